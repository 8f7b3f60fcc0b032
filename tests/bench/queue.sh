#!/usr/bin/env bash
# The queue at 100,000 jobs: enqueueing that many files and listing them.
#
#   HOIST_BIN=target/release/hoist tests/bench/queue.sh [N]
#
# Makes N (100,000) small files in /dev/shm, then times with /usr/bin/time (wall seconds, peak
# RSS), with the database on disk: `hoist upload --detach` of their folder (a walk and one durable transaction per batch
# of jobs; nothing is sent), `hoist queue --json` of the N jobs into /dev/null, and `hoist queue`
# (the table). No peer keeps a queue, so there is none to stand beside.
set -euo pipefail
n="${1:-100000}"
hoist="${HOIST_BIN:-target/release/hoist}"
root="$(mktemp -d "${TMPDIR:-/dev/shm}/hoist-bench-queue.XXXXXX")"
# The queue's database on disk, as a user's is; the files in memory.
data="$(mktemp -d /var/tmp/hoist-bench-queue-data.XXXXXX)"
trap 'rm -rf "$root" "$data"' EXIT
export HOIST_DATA_DIR="$data" HOIST_LOCAL_DIR="$root/Hoist"
python3 - "$root/src" "$n" <<'PY'
import os, sys
src, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(src, f"dir{i % 100}")
    if i < 100:
        os.makedirs(d)
    with open(os.path.join(d, f"file-{i}.txt"), "w") as f:
        f.write("x" * 100)
PY
measure() {
    local what="$1"; shift
    /usr/bin/time -f "%e %M" -o "$root/time" "$@" >/dev/null 2>"$root/err" || { cat "$root/err" >&2; exit 1; }
    read -r secs kib <"$root/time"
    printf '  %-40s %6.2f s, peak RSS %4d MiB\n' "$what" "$secs" $((kib / 1024))
}
echo "queue of $n jobs ($hoist):"
measure "enqueue (upload --detach of the folder)" "$hoist" upload --detach "$root/src"
measure "queue --json" "$hoist" queue --json
measure "queue (table)" "$hoist" queue
jobs="$("$hoist" queue --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')"
[[ "$jobs" == "$n" ]] || { echo "expected $n jobs, found $jobs" >&2; exit 1; }
