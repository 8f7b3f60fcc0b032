# shellcheck shell=bash
# A single-node Garage (crates.io `garage` 2.5) on loopback, for tests and the benchmark.
#
#   source tests/lib/garage.sh
#   garage_start WORKDIR     # config, data, metadata and garage.log all go under WORKDIR
#   ...                      # HOIST_GARAGE_* are exported (see below)
#   garage_stop              # safe to call twice, or when garage_start failed half-way
#
# Exports: HOIST_GARAGE_ENDPOINT (http://127.0.0.1:PORT), HOIST_GARAGE_REGION (us-east-1),
# HOIST_GARAGE_ACCESS_KEY, HOIST_GARAGE_SECRET_KEY, HOIST_GARAGE_BUCKET (hoist-test; the key
# may also create buckets), HOIST_GARAGE_CONFIG (the garage.toml, for `garage -c` in a test).
# The secret key is never printed: the `key create` output that contains it goes to /dev/null.
#
# Notes on the garage 2.5 CLI (it talks to the server over RPC on rpc_bind_addr):
# - `garage node id -q` prints "<64 hex>" (or "<hex>@<addr>" when rpc_public_addr is set);
#   `layout assign` takes a hex prefix of it.
# - `garage key info NAME --key-id` / `--secret-key` print just that one value, which is
#   safer than parsing the table that `key create` prints.
# - `garage status` fails until the node's RPC answers, so it is the readiness probe.
# - Without rpc_public_addr the server guesses a non-loopback address (and warns), so it is
#   pinned to the loopback RPC address.
# - `garage --version` prints "garage cargo:2.5.0 [features: ...]" for a crates.io build.

GARAGE_PID=""
GARAGE_CONFIG=""
GARAGE_WORKDIR=""
GARAGE_BOOT_TIMEOUT="${GARAGE_BOOT_TIMEOUT:-60}"   # seconds
GARAGE_CMD_TIMEOUT="${GARAGE_CMD_TIMEOUT:-30}"     # seconds, for each CLI call

# Prints N free loopback TCP ports. All sockets are held open until all are chosen, so the
# ports differ from each other; another process could still take one before Garage binds it.
_garage_free_ports() {
    local py
    py="$(command -v /usr/bin/python3 || command -v python3)" || return 1
    "$py" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

_garage_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# garage CLI against our node, with a timeout; its output goes to garage-cli.log.
_garage_cli() {
    timeout "$GARAGE_CMD_TIMEOUT" garage -c "$GARAGE_CONFIG" "$@" >>"$GARAGE_WORKDIR/garage-cli.log" 2>&1
}

_garage_fail() {
    printf 'garage: %s\n' "$*" >&2
    local f
    for f in "$GARAGE_WORKDIR/garage-cli.log" "$GARAGE_WORKDIR/garage.log"; do
        [[ -s "$f" ]] && { printf -- '--- last lines of %s\n' "$f" >&2; tail -n 20 "$f" >&2; }
    done
    garage_stop
    return 1
}

garage_start() {
    local workdir="${1:?usage: garage_start WORKDIR}"
    command -v garage >/dev/null 2>&1 || { echo "garage: not on PATH" >&2; return 1; }
    mkdir -p "$workdir"
    GARAGE_WORKDIR="$(cd "$workdir" && pwd)"
    GARAGE_CONFIG="$GARAGE_WORKDIR/garage.toml"
    mkdir -p "$GARAGE_WORKDIR/meta" "$GARAGE_WORKDIR/data"

    local rpc_port s3_port admin_port
    read -r rpc_port s3_port admin_port < <(_garage_free_ports 3) || true
    [[ -n "$admin_port" ]] || { echo "garage: could not pick free ports (python3 missing?)" >&2; return 1; }

    # The config holds rpc_secret and admin_token: owner-only, never printed.
    (
        umask 077
        cat >"$GARAGE_CONFIG" <<EOF
metadata_dir = "$GARAGE_WORKDIR/meta"
data_dir = "$GARAGE_WORKDIR/data"
db_engine = "lmdb"
replication_factor = 1

rpc_bind_addr = "127.0.0.1:$rpc_port"
rpc_public_addr = "127.0.0.1:$rpc_port"
rpc_secret = "$(_garage_hex 32)"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$s3_port"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$admin_port"
admin_token = "$(_garage_hex 32)"
EOF
    )

    garage -c "$GARAGE_CONFIG" server >>"$GARAGE_WORKDIR/garage.log" 2>&1 &
    GARAGE_PID=$!

    local deadline=$((SECONDS + GARAGE_BOOT_TIMEOUT))
    until timeout 10 garage -c "$GARAGE_CONFIG" status >/dev/null 2>&1; do
        kill -0 "$GARAGE_PID" 2>/dev/null || { GARAGE_PID=""; _garage_fail "server exited during start-up"; return 1; }
        (( SECONDS < deadline )) || { _garage_fail "no answer within ${GARAGE_BOOT_TIMEOUT}s"; return 1; }
        sleep 0.5
    done

    local node_id
    node_id="$(timeout "$GARAGE_CMD_TIMEOUT" garage -c "$GARAGE_CONFIG" node id -q 2>/dev/null)" ||
        { _garage_fail "node id failed"; return 1; }
    node_id="${node_id%%@*}"
    [[ "$node_id" =~ ^[0-9a-f]{16,}$ ]] || { _garage_fail "unexpected node id '$node_id'"; return 1; }

    _garage_cli layout assign -z dc1 -c 1G "$node_id" || { _garage_fail "layout assign failed"; return 1; }
    _garage_cli layout apply --version 1 || { _garage_fail "layout apply failed"; return 1; }

    # `key create` prints the secret: keep it out of every log.
    timeout "$GARAGE_CMD_TIMEOUT" garage -c "$GARAGE_CONFIG" key create hoist-test >/dev/null 2>&1 ||
        { _garage_fail "key create failed"; return 1; }
    local key_id secret
    key_id="$(timeout "$GARAGE_CMD_TIMEOUT" garage -c "$GARAGE_CONFIG" key info hoist-test --key-id 2>/dev/null)" ||
        { _garage_fail "key info --key-id failed"; return 1; }
    secret="$(timeout "$GARAGE_CMD_TIMEOUT" garage -c "$GARAGE_CONFIG" key info hoist-test --secret-key 2>/dev/null)" ||
        { _garage_fail "key info --secret-key failed"; return 1; }
    [[ "$key_id" =~ ^GK[0-9a-f]+$ && "$secret" =~ ^[0-9a-f]{64}$ ]] ||
        { _garage_fail "could not read the key id and secret of hoist-test"; return 1; }

    _garage_cli key allow --create-bucket hoist-test || { _garage_fail "key allow failed"; return 1; }
    _garage_cli bucket create hoist-test || { _garage_fail "bucket create failed"; return 1; }
    _garage_cli bucket allow --read --write --owner hoist-test --key hoist-test ||
        { _garage_fail "bucket allow failed"; return 1; }

    export HOIST_GARAGE_ENDPOINT="http://127.0.0.1:$s3_port"
    export HOIST_GARAGE_REGION="us-east-1"
    export HOIST_GARAGE_ACCESS_KEY="$key_id"
    export HOIST_GARAGE_SECRET_KEY="$secret"
    export HOIST_GARAGE_BUCKET="hoist-test"
    export HOIST_GARAGE_CONFIG="$GARAGE_CONFIG"
    printf '    %s up: S3 %s, bucket %s, key %s (pid %s, log %s)\n' \
        "$(garage --version 2>/dev/null | head -n1 | cut -d' ' -f1-2)" "$HOIST_GARAGE_ENDPOINT" \
        "$HOIST_GARAGE_BUCKET" "$key_id" "$GARAGE_PID" "$GARAGE_WORKDIR/garage.log"
}

garage_stop() {
    [[ -n "${GARAGE_PID:-}" ]] || return 0
    local pid="$GARAGE_PID" i
    GARAGE_PID=""
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do          # up to 10 s for a clean shutdown
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset HOIST_GARAGE_ENDPOINT HOIST_GARAGE_REGION HOIST_GARAGE_ACCESS_KEY HOIST_GARAGE_SECRET_KEY \
        HOIST_GARAGE_BUCKET HOIST_GARAGE_CONFIG
}
