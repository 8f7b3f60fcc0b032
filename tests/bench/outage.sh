#!/usr/bin/env bash
# Back-online benchmark: how long after the storage answers again the queue goes on.
#
#   tests/bench/outage.sh
#
# `hoist run` uploads BENCH_FILES (default 60) files of 1 MiB, paced to 4 MiB/s so the queue is
# still busy, to the in-test S3 server (tests/s3-server, run as a process of its own). After the
# first few complete, the server is stopped for BENCH_OUTAGE_SECS (default 30) and started again
# on the same port. Printed: the seconds from the server's return to the next completed upload
# (read from `hoist queue --json` every 0.1 s), for each of BENCH_ROUNDS (default 3) outages,
# beside the goal (5 s) and the figure before the change (21.3 s). The peers (aws s3 cp, rclone,
# s5cmd) have no such figure: they exit on an unreachable endpoint and start over when run again.
#
# Environment: HOIST_BIN, HOIST_TEST_S3_BIN (default: the debug binaries, built first),
# BENCH_FILES, BENCH_OUTAGE_SECS, BENCH_ROUNDS.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"
cd "$HOIST_ROOT"
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

if [[ "${_HOIST_BENCH_INNER:-}" != 1 ]]; then
    step "set-up"
    if [[ -z "${HOIST_BIN:-}" ]]; then
        HOIST_BIN="$(target_dir)/debug/hoist"
        ensure_node
        ensure_ui_deps
        ensure_ui_built
        cargo build -p hoist -p hoist-test-s3
    fi
    HOIST_TEST_S3_BIN="${HOIST_TEST_S3_BIN:-$(target_dir)/debug/hoist-test-s3}"
    export HOIST_BIN HOIST_TEST_S3_BIN _HOIST_BENCH_INNER=1
    exec bash tests/lib/session.sh -- bash "$self" "$@"
fi

unset _HOIST_BENCH_INNER
work="$HOIST_SESSION_ROOT/outage-bench"
mkdir -p "$work/files"
files="${BENCH_FILES:-60}"
outage="${BENCH_OUTAGE_SECS:-30}"
rounds="${BENCH_ROUNDS:-3}"
hoist() { "$HOIST_BIN" --data-dir "$work/db" "$@"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

server_pid=""
start_server() {
    "$HOIST_TEST_S3_BIN" --port "$port" --bucket bench >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^endpoint=' "$work/server.out" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "the test server did not start: $(cat "$work/server.err")" >&2
    exit 1
}
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}
completed() {
    hoist queue --json | python3 -c 'import json,sys; print(sum(j["state"] == "completed" for j in json.load(sys.stdin)))'
}

for i in $(seq "$files"); do head -c $((1024 * 1024)) /dev/urandom >"$work/files/f$i.bin"; done
start_server
AWS_ACCESS_KEY_ID=hoist-test-access AWS_SECRET_ACCESS_KEY=hoist-test-secret-key-0123456789 \
    hoist destination add bench --endpoint "http://127.0.0.1:$port" --region us-east-1 \
    --bucket bench --path-style >/dev/null
hoist upload --detach "$work"/files/*.bin >/dev/null
hoist run --limit 4MiB >"$work/run.log" 2>&1 &
run_pid=$!

results=()
for round in $(seq "$rounds"); do
    # Let a few uploads finish, then take the endpoint away mid-queue.
    before=$(completed)
    until (($(completed) >= before + 3)); do sleep 0.1; done
    stop_server
    sleep "$outage"
    done_at_return=$(completed)
    returned=$(date +%s.%N)
    start_server
    until (($(completed) > done_at_return)); do sleep 0.1; done
    back=$(python3 -c "print(f'{$(date +%s.%N) - $returned:.1f}')")
    results+=("$back")
    echo "outage $round: ${outage} s; the next upload completed ${back} s after the server returned"
done
kill "$run_pid" 2>/dev/null || true
wait "$run_pid" 2>/dev/null || true
stop_server

printf '\n%-34s %s\n' "after a ${outage} s outage" "seconds to the next completed upload"
printf '%-34s %s\n' "hoist (this build)" "${results[*]}"
printf '%-34s %s\n' "hoist before (issue 21)" "21.3"
printf '%-34s %s\n' "goal" "5"
printf '%-34s %s\n' "aws s3 cp, rclone, s5cmd" "exit; run again by hand"
