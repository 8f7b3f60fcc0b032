# shellcheck shell=bash
# Shared set-up for scripts/start, scripts/test and tests/bench/compare.sh.
# Source it; it defines functions and package lists and changes nothing by itself.
#
# Every "ensure_*" function installs what is missing and skips what is present,
# so running any of the scripts twice is cheap.

HOIST_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian/Ubuntu packages, named once here so the README and the scripts agree.
# shellcheck disable=SC2034  # used by the scripts that source this file
APP_DEBS=(libwebkit2gtk-4.1-dev build-essential pkg-config libayatana-appindicator3-dev
          librsvg2-dev libxdo-dev libssl-dev)
# shellcheck disable=SC2034
TEST_DEBS=(xvfb xauth dbus dbus-x11 gnome-keyring libsecret-tools python3-dbusmock imagemagick
           webkit2gtk-driver python3-xlib xclip
           libsodium-dev libzstd-dev)
# shellcheck disable=SC2034
BENCH_DEBS=(rclone awscli time)

# shellcheck disable=SC2034
PACKAGE_DEBS=(dpkg-dev)
# shellcheck disable=SC2034
PACKAGE_TEST_DEBS=(desktop-file-utils rpm man-db)

GARAGE_VERSION=2.5.0
TAURI_DRIVER_VERSION=2.1.0
# The Tauri CLI whose bundler builds the .deb and .rpm (scripts/package): major 2, as the tauri
# crate; the minor matches ui/package.json's @tauri-apps/cli.
TAURI_CLI_VERSION="~2.12"

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# Prints the packages from "$@" that are not installed.
missing_debs() {
    local pkg
    for pkg in "$@"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" != installed ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

# Runs apt-get as root, through sudo when we are not root (ensure_debs checked sudo exists).
apt_get() {
    local -a cmd=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@")
    if (( EUID == 0 )); then
        "${cmd[@]}"
    else
        sudo "${cmd[@]}"
    fi
}

# ensure_debs PKG... : installs the missing ones (apt-get update first, once per run).
ensure_debs() {
    local -a missing
    mapfile -t missing < <(missing_debs "$@")
    if (( ${#missing[@]} == 0 )); then
        note "Debian packages present: $*"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "missing packages (${missing[*]}) and no apt-get: install them with your package manager"
    if (( EUID != 0 )) && ! command -v sudo >/dev/null 2>&1; then
        die "missing Debian packages and not root (no sudo). Run as root:
    apt-get update && apt-get install -y ${missing[*]}"
    fi
    note "installing: ${missing[*]}"
    if [[ -z "${_HOIST_APT_UPDATED:-}" ]]; then
        apt_get update -q
        _HOIST_APT_UPDATED=1
    fi
    apt_get install -y -q "${missing[@]}" ||
        die "apt-get install failed; the command was:  apt-get install -y ${missing[*]}"
}

# Like ensure_debs, but a package the distribution does not have (awscli on Ubuntu 24.04)
# is only a warning: the caller decides what to do without it.
ensure_debs_optional() {
    local pkg
    for pkg in "$@"; do
        if [[ -n "$(missing_debs "$pkg")" ]]; then
            ( ensure_debs "$pkg" ) || warn "could not install $pkg; going on without it"
        fi
    done
}

# The Rust toolchain cannot be installed from a package registry (Debian's rustc is too old),
# so it is checked, not installed. CARGO_HOME/RUSTUP_HOME are pinned here so that scripts
# which later switch HOME to a throwaway directory keep the real toolchain.
ensure_rust() {
    export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
    export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
    case ":$PATH:" in *":$CARGO_HOME/bin:"*) ;; *) export PATH="$CARGO_HOME/bin:$PATH" ;; esac
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found. Hoist needs Rust >= 1.95 (rustup: https://rustup.rs), with clippy and rustfmt."
    note "$(cargo --version)"
}

ensure_rust_components() {
    cargo fmt --version >/dev/null 2>&1 || die "rustfmt missing: rustup component add rustfmt"
    cargo clippy --version >/dev/null 2>&1 || die "clippy missing: rustup component add clippy"
}

# Node.js and npm for the web UI. Debian's nodejs is used only when none is installed;
# the UI's build tools need a recent Node (Vite 7+ wants >= 20.19).
ensure_node() {
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        ensure_debs nodejs npm
    fi
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    note "node $(node --version), npm $(npm --version)"
    if (( major < 20 )); then
        warn "Node.js $(node --version) is older than the UI's tools expect (>= 20.19)"
    fi
}

# npm ci when node_modules is missing or package-lock.json changed since the last install
# (npm writes node_modules/.package-lock.json on every install).
ensure_ui_deps() {
    local ui="$HOIST_ROOT/ui"
    if [[ ! -f "$ui/package.json" ]]; then
        warn "ui/package.json not found: skipping the web UI"
        return 0
    fi
    if [[ ! -f "$ui/package-lock.json" ]]; then
        die "ui/package-lock.json is missing: run 'npm install' in ui/ and commit the lock file"
    fi
    if [[ -d "$ui/node_modules" && ! "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]]; then
        note "ui/node_modules up to date"
        return 0
    fi
    # The lock file lists every platform's optional packages (@tauri-apps/cli-*, @rollup/*),
    # so `npm ci` takes it as it is; if it ever refuses, the lock file is broken: say so.
    (cd "$ui" && npm ci --no-audit --no-fund) ||
        die "npm ci refused ui/package-lock.json: regenerate it with 'npm install --package-lock-only' in ui/ and commit it"
}

# Builds ui/dist (tauri.conf.json's frontendDist) when it is missing or older than any source
# file in ui/. Cargo needs it: tauri's generate_context! embeds it at compile time, so even
# clippy and cargo test of the `hoist` crate fail without it.
ensure_ui_built() {
    local ui="$HOIST_ROOT/ui"
    [[ -f "$ui/package.json" ]] || return 0
    if ! (cd "$ui" && node -e 'process.exit(require("./package.json").scripts?.build ? 0 : 1)'); then
        warn "ui/package.json has no build script: ui/dist not built"
        return 0
    fi
    local stamp="$ui/dist/index.html"
    if [[ -f "$stamp" ]] && [[ -z "$(find "$ui" \( -path "$ui/node_modules" -o -path "$ui/dist" \) -prune \
            -o -type f -newer "$stamp" -print -quit)" ]]; then
        note "ui/dist up to date"
        return 0
    fi
    npm --prefix "$ui" run build
}

# Garage (the S3 server the tests run against) from crates.io, built once per machine
# (~13 minutes on 2 cores) into $CARGO_HOME/bin.
ensure_garage() {
    if command -v garage >/dev/null 2>&1; then
        note "garage present: $(command -v garage) ($(garage --version 2>/dev/null | head -n1))"
        return 0
    fi
    note "garage not found: building garage $GARAGE_VERSION from crates.io (about 13 minutes, once per machine)"
    cargo install garage --version "$GARAGE_VERSION" --locked --no-default-features \
        --features lmdb,system-libs
    command -v garage >/dev/null 2>&1 || die "garage was built but is not on PATH ($CARGO_HOME/bin)"
}

# tauri-driver: the WebDriver front the end-to-end tests talk to (it starts WebKitWebDriver).
ensure_tauri_driver() {
    if command -v tauri-driver >/dev/null 2>&1; then
        note "tauri-driver present: $(command -v tauri-driver)"
        return 0
    fi
    note "tauri-driver not found: installing tauri-driver $TAURI_DRIVER_VERSION from crates.io (under a minute)"
    cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
    command -v tauri-driver >/dev/null 2>&1 || die "tauri-driver was built but is not on PATH ($CARGO_HOME/bin)"
}

# The Tauri CLI (`cargo tauri`), from crates.io, built once per machine (~10 minutes on 2 cores).
ensure_tauri_cli() {
    if cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; then
        note "tauri-cli present: $(cargo tauri --version)"
        return 0
    fi
    note "tauri-cli not found: installing tauri-cli $TAURI_CLI_VERSION from crates.io (about 10 minutes, once per machine)"
    cargo install tauri-cli --version "$TAURI_CLI_VERSION" --locked
    cargo tauri --version >/dev/null 2>&1 || die "tauri-cli was built but cargo cannot run it ($CARGO_HOME/bin)"
}

# Where cargo puts binaries (CARGO_TARGET_DIR if the user set one).
target_dir() { printf '%s\n' "${CARGO_TARGET_DIR:-$HOIST_ROOT/target}"; }
