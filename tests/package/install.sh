#!/usr/bin/env bash
# Installs the packages ./scripts/package built, checks what they put on the machine, opens the
# installed window under Xvfb, and removes them again:
#
#   tests/package/install.sh [PACKAGE_DIR]     (default: target/package; builds there if empty)
#
# Needs root (or sudo) for apt-get. Leaves target/package/installed-window.png, the screenshot
# of the installed window. Exits non-zero at the first check that fails, naming it; the
# packages are removed on every exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/../../scripts/lib.sh"
cd "$HOIST_ROOT"

# ---------------------------------------------------------------- inside the Xvfb session
# Opens the installed hoist, waits for its window, takes the screenshot, stops it.
if [[ "${1:-}" == --window ]]; then
    shot="$2"
    data="$HOIST_SESSION_ROOT/data dir"
    /usr/bin/hoist --data-dir "$data" >"$HOIST_SESSION_ROOT/window.log" 2>&1 &
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
    for ((i = 0; i < 300; i++)); do
        [[ "$(/usr/bin/python3 tests/lib/x11_window.py state Hoist 2>/dev/null)" == viewable ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$HOIST_SESSION_ROOT/window.log" >&2; die "the installed hoist exited before its window showed"; }
        sleep 0.2
    done
    [[ "$(/usr/bin/python3 tests/lib/x11_window.py state Hoist 2>/dev/null)" == viewable ]] ||
        die "no window titled Hoist after 60 s"
    # `hoist` with no command execs the window binary installed beside it.
    exe="$(readlink "/proc/$pid/exe")"
    [[ "$exe" == /usr/bin/hoist-window ]] || die "the window runs $exe, not /usr/bin/hoist-window"
    # The web view paints after the window maps: wait until the queue database the window
    # opens exists and the screen shows more than a blank window.
    for ((i = 0; i < 150; i++)); do
        import -window root "$shot"
        colours="$(convert "$shot" -format %k info:)"
        ((colours > 64)) && break
        sleep 0.2
    done
    ((colours > 64)) || die "the installed window stayed blank ($colours colours in $shot)"
    [[ -f "$data/hoist.db" ]] || die "the installed window did not open its queue database in $data"
    listed="$(/usr/bin/python3 tests/lib/x11_window.py list Hoist | head -n1)"
    # The desktop entry's StartupWMClass must name the window's class, or docks show two icons.
    [[ "$listed" == *"('hoist-window', "* ]] || die "the window's WM_CLASS is not hoist-window: $listed"
    note "installed window: $listed, $colours colours"
    exit 0
fi

packages="${1:-$(target_dir)/package}"
shopt -s nullglob
debs=("$packages"/hoist_*.deb)
if ((${#debs[@]} == 0)); then
    step "no packages in $packages: building them"
    ./scripts/package
    debs=("$packages"/hoist_*.deb)
fi
rpms=("$packages"/hoist-*.rpm)
headless=("$packages"/hoist-headless_*.deb)
((${#debs[@]} == 1 && ${#rpms[@]} == 1 && ${#headless[@]} == 1)) ||
    die "expected one hoist_*.deb, one hoist-*.rpm and one hoist-headless_*.deb in $packages"
version="$(node -p 'require("./tauri.conf.json").version')"

step "set-up: Debian packages"
ensure_debs "${TEST_DEBS[@]}" "${PACKAGE_TEST_DEBS[@]}"

# One at a time: apt-get refuses the whole line when it has never heard of one of them.
remove_all() {
    local pkg
    for pkg in hoist hoist-headless; do
        if [[ -z "$(missing_debs "$pkg")" ]]; then apt_get remove -y -q "$pkg" >/dev/null 2>&1 || true; fi
    done
}
trap remove_all EXIT
remove_all

# expect_file PATH... : each must exist after the install.
expect_file() {
    local f
    for f in "$@"; do [[ -e "$f" ]] || die "the package did not install $f"; done
}

# ---------------------------------------------------------------- the window's .deb
step "apt-get install ${debs[0]}"
apt_get install -y -q "${debs[0]}"
installed="$(/usr/bin/hoist --version)"
[[ "$installed" == "hoist $version" ]] || die "installed hoist --version says '$installed', not 'hoist $version'"
note "hoist --version: $installed"
depends="$(dpkg-query -W -f='${Depends}' hoist)"
[[ "$depends" == *libwebkit2gtk-4.1-0* ]] || die "the .deb does not depend on WebKitGTK: $depends"
note "Depends: $depends"

entry=/usr/share/applications/Hoist.desktop
expect_file /usr/bin/hoist-window "$entry" /usr/share/icons/hicolor/128x128/apps/hoist.png \
    /usr/share/icons/hicolor/256x256/apps/hoist.png \
    /usr/share/bash-completion/completions/hoist /usr/share/zsh/vendor-completions/_hoist \
    /usr/share/fish/vendor_completions.d/hoist.fish
desktop-file-validate "$entry" || die "desktop-file-validate refused $entry"
grep -qx 'Categories=Network;FileTransfer;' "$entry" || die "$entry: Categories is not Network;FileTransfer;"
grep -qx 'MimeType=application/octet-stream;inode/directory;' "$entry" ||
    die "$entry: MimeType does not offer Hoist for every file and folder"
grep -qx 'Exec=hoist %F' "$entry" || die "$entry: Exec does not hand the chosen files to hoist"
grep -qx 'StartupWMClass=hoist-window' "$entry" || die "$entry: StartupWMClass is not the window's class"
page="$(man -w hoist)"
[[ "$page" == /usr/share/man/man1/hoist.1.gz ]] || die "man -w hoist found '$page'"
zcat "$page" | grep -q '^\.SH "EXIT STATUS"' || die "$page has no EXIT STATUS section"
note "desktop entry valid; man page at $page"

step "the installed window under Xvfb"
bash tests/lib/session.sh --display -- bash "$here/install.sh" --window "$packages/installed-window.png"
note "screenshot: $packages/installed-window.png"

step "apt-get remove hoist"
apt_get remove -y -q hoist
[[ ! -e /usr/bin/hoist && ! -e "$entry" ]] || die "removing hoist left /usr/bin/hoist or its desktop entry behind"

# ---------------------------------------------------------------- the .rpm
step "rpm -qlp ${rpms[0]}"
listing="$(rpm -qlp "${rpms[0]}")"
for f in /usr/bin/hoist /usr/bin/hoist-window /usr/share/applications/Hoist.desktop \
    /usr/share/man/man1/hoist.1.gz /usr/share/bash-completion/completions/hoist \
    /usr/share/zsh/site-functions/_hoist /usr/share/fish/vendor_completions.d/hoist.fish \
    /usr/share/icons/hicolor/128x128/apps/hoist.png /usr/share/icons/hicolor/256x256/apps/hoist.png; do
    grep -qx "$f" <<<"$listing" || die "the .rpm does not carry $f"
done
requires="$(rpm -qp --requires "${rpms[0]}")"
grep -q '^libwebkit2gtk-4.1.so.0' <<<"$requires" || die "the .rpm does not require WebKitGTK: $requires"
note "$(wc -l <<<"$listing") files, requires $(grep -c . <<<"$requires") capabilities, WebKitGTK among them"

# ---------------------------------------------------------------- the headless .deb
step "apt-get install ${headless[0]}"
apt_get install -y -q "${headless[0]}"
installed="$(/usr/bin/hoist --version)"
[[ "$installed" == "hoist $version" ]] || die "headless hoist --version says '$installed'"
depends="$(dpkg-query -W -f='${Depends}' hoist-headless)"
[[ "$depends" != *gtk* && "$depends" != *webkit* ]] || die "the headless package depends on GTK or WebKit: $depends"
if ldd /usr/bin/hoist | grep -Eq 'libgtk|libwebkit'; then die "the headless hoist links GTK or WebKit"; fi
expect_file /usr/lib/systemd/user/hoist.service /usr/share/man/man1/hoist.1.gz
[[ ! -e /usr/bin/hoist-window ]] || die "the headless package installed the window"
grep -qx 'ExecStart=/usr/bin/hoist run --watch' /usr/lib/systemd/user/hoist.service ||
    die "the systemd user unit does not run hoist run --watch"
if command -v systemd-analyze >/dev/null 2>&1; then
    # It needs a runtime directory even where no user manager runs (a container).
    runtime="$(mktemp -d)"
    XDG_RUNTIME_DIR="$runtime" systemd-analyze verify --user /usr/lib/systemd/user/hoist.service ||
        die "systemd-analyze refused the user unit"
    rm -rf "$runtime"
fi
# The unit's command, run as the unit runs it, with nothing to do: it must start watching.
unit_data="$(mktemp -d)"
timeout 20 /usr/bin/hoist --data-dir "$unit_data" run --watch >"$unit_data/out" 2>&1 &
unit_pid=$!
for ((i = 0; i < 100; i++)); do grep -q '^watching ' "$unit_data/out" && break; sleep 0.1; done
kill -TERM "$unit_pid" 2>/dev/null || true
rc=0
wait "$unit_pid" || rc=$?
grep -q '^watching 0 folder' "$unit_data/out" || die "hoist run --watch did not start: $(cat "$unit_data/out")"
[[ " 0 130 143 " == *" $rc "* ]] || die "hoist run --watch stopped by SIGTERM exited $rc, which the unit takes for a failure"
rm -rf "$unit_data"
note "Depends: $depends; run --watch starts and stops on SIGTERM (exit $rc)"

step "apt-get remove hoist-headless"
apt_get remove -y -q hoist-headless
[[ ! -e /usr/bin/hoist ]] || die "removing hoist-headless left /usr/bin/hoist behind"

echo "package checks passed"
