#!/usr/bin/env bash
# Runs a command inside a throwaway desktop session, and tears it all down afterwards:
#
#   tests/lib/session.sh [--garage] [--display] -- COMMAND [ARG...]
#
# - a private D-Bus session bus (dbus-run-session),
# - a throwaway HOME and XDG_{DATA,CONFIG,CACHE,STATE,RUNTIME}_DIR under one temp directory,
#   with CARGO_HOME and RUSTUP_HOME still pointing at the real toolchain,
# - gnome-keyring's Secret Service, unlocked (a fresh "login" keyring with password "pw"),
# - with --garage: a single-node Garage on loopback (tests/lib/garage.sh), HOIST_GARAGE_* exported,
# - with --display: an Xvfb server (DISPLAY exported, WAYLAND_DISPLAY unset) and a mock
#   notification daemon (python3-dbusmock) logging every Notify call to $HOIST_NOTIFY_LOG, and
#   a StatusNotifierWatcher (tests/lib/sni_watcher.py) that tray icons register with, logged to
#   $HOIST_TRAY_LOG, and a file manager (tests/lib/file_manager.py) whose ShowItems calls are
#   logged to $HOIST_FILE_MANAGER_LOG.
#
# Exits with COMMAND's status. The temp directory is removed at the end unless
# HOIST_KEEP_SESSION=1 (then its path is printed: garage.log, keyrings, hoist data).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SETUP_TIMEOUT="${HOIST_SESSION_TIMEOUT:-30}"   # seconds, for each service to come up

usage() { echo "usage: $0 [--garage] [--display] -- COMMAND [ARG...]" >&2; exit 2; }

# ---------------------------------------------------------------- outer half
if [[ "${_HOIST_SESSION_INNER:-}" != 1 ]]; then
    for tool in dbus-run-session dbus-send gnome-keyring-daemon secret-tool; do
        command -v "$tool" >/dev/null 2>&1 || { echo "session: $tool not found (see scripts/test)" >&2; exit 1; }
    done

    # Keep the real toolchain when HOME moves.
    export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
    export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

    root="$(mktemp -d "${TMPDIR:-/tmp}/hoist-session.XXXXXX")"
    # shellcheck disable=SC2317  # called from a trap
    cleanup_root() {
        if [[ "${HOIST_KEEP_SESSION:-}" == 1 ]]; then
            echo "session: kept $root"
        else
            # The web view may have D-Bus-started xdg-document-portal, whose FUSE mount in
            # $XDG_RUNTIME_DIR/doc can outlive the bus for a moment.
            if mountpoint -q "$root/runtime/doc" 2>/dev/null; then
                fusermount -u -z "$root/runtime/doc" 2>/dev/null || true
            fi
            rm -rf "$root" 2>/dev/null || { sleep 1; rm -rf "$root"; }
        fi
    }
    trap cleanup_root EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    mkdir -p "$root"/{home,data,config,cache,state,runtime}
    chmod 700 "$root/runtime"
    export HOME="$root/home" XDG_DATA_HOME="$root/data" XDG_CONFIG_HOME="$root/config" \
        XDG_CACHE_HOME="$root/cache" XDG_STATE_HOME="$root/state" XDG_RUNTIME_DIR="$root/runtime"
    unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL
    export _HOIST_SESSION_INNER=1 HOIST_SESSION_ROOT="$root"

    # dbus-daemon may print "Failed to set fd limit"; that is harmless.
    rc=0
    dbus-run-session -- bash "$here/session.sh" "$@" || rc=$?
    exit "$rc"
fi

# ---------------------------------------------------------------- inner half
unset _HOIST_SESSION_INNER
want_garage=0 want_display=0
while (($#)); do
    case "$1" in
        --garage) want_garage=1 ;;
        --display) want_display=1 ;;
        --) shift; break ;;
        *) usage ;;
    esac
    shift
done
(($#)) || usage

keyring_pid="" xvfb_pid="" notifyd_pid="" sni_pid="" file_manager_pid=""
# shellcheck source=tests/lib/garage.sh
source "$here/garage.sh"

# shellcheck disable=SC2317  # called from a trap
stop_pid() {
    local pid="$1" i
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317  # called from a trap
teardown() {
    garage_stop
    stop_pid "$file_manager_pid"
    stop_pid "$sni_pid"
    stop_pid "$notifyd_pid"
    stop_pid "$xvfb_pid"
    stop_pid "$keyring_pid"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bus_has() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}

# Secret Service: started by us (not by D-Bus activation) so that we know its pid.
printf '%s' pw | gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$HOIST_SESSION_ROOT/keyring.log" 2>&1 &
keyring_pid=$!
deadline=$((SECONDS + SETUP_TIMEOUT))
until bus_has org.freedesktop.secrets; do
    kill -0 "$keyring_pid" 2>/dev/null || { echo "session: gnome-keyring-daemon exited" >&2; cat "$HOIST_SESSION_ROOT/keyring.log" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "session: no Secret Service after ${SETUP_TIMEOUT}s" >&2; exit 1; }
    sleep 0.1
done
# Prove the keychain stores and returns a value before any test depends on it.
printf 'probe' | timeout 10 secret-tool store --label='hoist session probe' hoist-session probe
[[ "$(timeout 10 secret-tool lookup hoist-session probe)" == probe ]] ||
    { echo "session: the keyring did not return a stored value" >&2; exit 1; }
timeout 10 secret-tool clear hoist-session probe
echo "    keyring: gnome-keyring Secret Service unlocked (pid $keyring_pid)"

if ((want_display)); then
    command -v Xvfb >/dev/null 2>&1 || { echo "session: Xvfb not found" >&2; exit 1; }
    display_file="$HOIST_SESSION_ROOT/display"
    : >"$display_file"
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$display_file" \
        >"$HOIST_SESSION_ROOT/xvfb.log" 2>&1 &
    xvfb_pid=$!
    deadline=$((SECONDS + SETUP_TIMEOUT))
    until [[ -s "$display_file" ]]; do
        kill -0 "$xvfb_pid" 2>/dev/null || { echo "session: Xvfb exited" >&2; cat "$HOIST_SESSION_ROOT/xvfb.log" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "session: Xvfb did not start in ${SETUP_TIMEOUT}s" >&2; exit 1; }
        sleep 0.1
    done
    DISPLAY=":$(tr -d '[:space:]' <"$display_file")"
    export DISPLAY
    unset WAYLAND_DISPLAY
    echo "    display: Xvfb on $DISPLAY (pid $xvfb_pid)"

    # Debian's python3-dbusmock belongs to the system Python, not to a pyenv one on PATH.
    HOIST_NOTIFY_LOG="$HOIST_SESSION_ROOT/notifications.log"
    export HOIST_NOTIFY_LOG
    : >"$HOIST_NOTIFY_LOG"
    /usr/bin/python3 -m dbusmock --session -t notification_daemon -l "$HOIST_NOTIFY_LOG" \
        >"$HOIST_SESSION_ROOT/notifyd.log" 2>&1 &
    notifyd_pid=$!
    deadline=$((SECONDS + SETUP_TIMEOUT))
    until bus_has org.freedesktop.Notifications; do
        kill -0 "$notifyd_pid" 2>/dev/null || { echo "session: the mock notification daemon exited" >&2; cat "$HOIST_SESSION_ROOT/notifyd.log" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "session: no notification daemon after ${SETUP_TIMEOUT}s" >&2; exit 1; }
        sleep 0.1
    done
    echo "    notifications: mock daemon logging to $HOIST_NOTIFY_LOG (pid $notifyd_pid)"

    HOIST_TRAY_LOG="$HOIST_SESSION_ROOT/tray.log"
    export HOIST_TRAY_LOG
    : >"$HOIST_TRAY_LOG"
    /usr/bin/python3 -m dbusmock --session -t "$here/sni_watcher.py" -l "$HOIST_TRAY_LOG" \
        >"$HOIST_SESSION_ROOT/sni.log" 2>&1 &
    sni_pid=$!
    deadline=$((SECONDS + SETUP_TIMEOUT))
    until bus_has org.kde.StatusNotifierWatcher; do
        kill -0 "$sni_pid" 2>/dev/null || { echo "session: the tray watcher exited" >&2; cat "$HOIST_SESSION_ROOT/sni.log" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "session: no tray watcher after ${SETUP_TIMEOUT}s" >&2; exit 1; }
        sleep 0.1
    done
    echo "    tray: StatusNotifierWatcher logging to $HOIST_TRAY_LOG (pid $sni_pid)"

    HOIST_FILE_MANAGER_LOG="$HOIST_SESSION_ROOT/file-manager.log"
    export HOIST_FILE_MANAGER_LOG
    : >"$HOIST_FILE_MANAGER_LOG"
    /usr/bin/python3 -m dbusmock --session -t "$here/file_manager.py" -l "$HOIST_FILE_MANAGER_LOG" \
        >"$HOIST_SESSION_ROOT/file-manager.out" 2>&1 &
    file_manager_pid=$!
    deadline=$((SECONDS + SETUP_TIMEOUT))
    until bus_has org.freedesktop.FileManager1; do
        kill -0 "$file_manager_pid" 2>/dev/null || { echo "session: the mock file manager exited" >&2; cat "$HOIST_SESSION_ROOT/file-manager.out" >&2; exit 1; }
        ((SECONDS < deadline)) || { echo "session: no file manager after ${SETUP_TIMEOUT}s" >&2; exit 1; }
        sleep 0.1
    done
    echo "    file manager: FileManager1 logging to $HOIST_FILE_MANAGER_LOG (pid $file_manager_pid)"
fi

if ((want_garage)); then
    garage_start "$HOIST_SESSION_ROOT/garage"
fi

# Not exec: the EXIT trap must still tear the services down.
rc=0
"$@" || rc=$?
exit "$rc"
