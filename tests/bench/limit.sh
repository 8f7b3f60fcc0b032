#!/usr/bin/env bash
# Bandwidth-limit benchmark: how close `hoist upload --limit` keeps to its limit, and how
# smoothly, uploading to Garage on loopback.
#
#   tests/bench/limit.sh
#
# For each limit (BENCH_LIMITS, default "4MiB 16MiB") it uploads BENCH_MIB (default 64) MiB as
# three files at once (one large, multipart, and two of a quarter of its size) and prints: the
# achieved rate over the whole run (bytes / wall time) against the limit, and the
# smoothness: per-second throughput read from the queue database (`hoist queue --json`, which
# the engine updates every second), as min / median / max over the seconds in the middle of the
# run. A debug build is fine here: the limit, not the CPU, sets the pace.
#
# Environment: HOIST_BIN (default: the debug binary, built first), BENCH_LIMITS, BENCH_MIB.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"
cd "$HOIST_ROOT"
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

if [[ "${_HOIST_BENCH_INNER:-}" != 1 ]]; then
    step "set-up"
    ensure_garage
    if [[ -z "${HOIST_BIN:-}" ]]; then
        HOIST_BIN="$(target_dir)/debug/hoist"
        ensure_node
        ensure_ui_deps
        ensure_ui_built
        cargo build -p hoist
    fi
    export HOIST_BIN _HOIST_BENCH_INNER=1
    exec bash tests/lib/session.sh --garage -- bash "$self" "$@"
fi

unset _HOIST_BENCH_INNER
work="$HOIST_SESSION_ROOT/limit-bench"
mkdir -p "$work/files"
mib="${BENCH_MIB:-64}"
hoist() { "$HOIST_BIN" --data-dir "$work/db" "$@"; }

head -c $((mib * 1024 * 1024 / 3 * 2)) /dev/urandom >"$work/files/large.bin"
head -c $((mib * 1024 * 1024 / 6)) /dev/urandom >"$work/files/quarter-a.bin"
head -c $((mib * 1024 * 1024 / 6)) /dev/urandom >"$work/files/quarter-b.bin"
total=$(du -cb "$work"/files/* | tail -n1 | cut -f1)

# Prints bytes done over the whole queue, from the database.
bytes_done() {
    hoist queue --json | python3 -c 'import json,sys; print(sum(j["bytes_done"] for j in json.load(sys.stdin)))'
}

printf '\n%-10s %12s %12s %8s %28s\n' limit "wall s" "achieved" "of limit" "per-second min/median/max"
for limit in ${BENCH_LIMITS:-4MiB 16MiB}; do
    rm -rf "$work/db"
    AWS_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY" \
        hoist destination add garage --endpoint "$HOIST_GARAGE_ENDPOINT" --region "$HOIST_GARAGE_REGION" \
        --bucket "$HOIST_GARAGE_BUCKET" --path-style --prefix "limit-$limit/" >/dev/null
    samples="$work/samples-$limit"
    : >"$samples"
    start=$(date +%s.%N)
    hoist upload --limit "$limit" "$work/files" >"$work/upload-$limit.log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        printf '%s %s\n' "$(date +%s.%N)" "$(bytes_done 2>/dev/null || echo 0)" >>"$samples"
        sleep 1
    done
    wait "$pid" || die "the upload at $limit failed: $(cat "$work/upload-$limit.log")"
    end=$(date +%s.%N)
    python3 - "$limit" "$start" "$end" "$total" "$samples" <<'PY'
import statistics, sys
limit, start, end, total, samples = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
units = {"kib": 1024, "mib": 1024**2, "gib": 1024**3, "k": 1e3, "m": 1e6, "g": 1e9}
num = "".join(c for c in limit if c.isdigit() or c == ".")
rate_limit = float(num) * units[limit[len(num):].lower()]
wall = end - start
achieved = total / wall
points = [tuple(map(float, line.split())) for line in open(samples) if len(line.split()) == 2]
rates = [(b2 - b1) / (t2 - t1) for (t1, b1), (t2, b2) in zip(points, points[1:]) if t2 > t1]
middle = rates[2:-2] if len(rates) > 6 else rates
mb = lambda r: f"{r / 1048576:.2f}"
spread = "/".join(mb(r) for r in (min(middle), statistics.median(middle), max(middle))) if middle else "-"
print(f"{limit:<10} {wall:12.1f} {mb(achieved) + ' MiB/s':>12} {achieved / rate_limit:8.0%} {spread + ' MiB/s':>28}")
PY
done
