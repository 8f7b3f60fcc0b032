#!/usr/bin/env bash
# Memory flat in file size: the headless hoist's peak RSS uploading and downloading a 64 MiB
# file and a 10 GiB one to Garage on loopback, with s5cmd's beside it on the same files.
#
#   tests/bench/flat.sh
#
# The files are sparse (zeros: what a transfer holds in memory does not depend on the bytes,
# and Garage stores a block of zeros once, so 10 GiB costs no disk). Each upload is `hoist
# upload` at Hoist's defaults, each download `hoist get` into /dev/shm when it has room (else
# TMPDIR), compared with cmp. Peak RSS, wall seconds and CPU seconds by /usr/bin/time.
#
# Environment: HOIST_HEADLESS_BIN (default: target/dist/hoist, built first with --profile dist
# --no-default-features), BENCH_FLAT_BIG_MIB (10240) and BENCH_FLAT_SMALL_MIB (64).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"
cd "$HOIST_ROOT"
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
BIG="${BENCH_FLAT_BIG_MIB:-10240}"
SMALL="${BENCH_FLAT_SMALL_MIB:-64}"

if [[ "${_HOIST_BENCH_INNER:-}" != 1 ]]; then
    step "set-up"
    ensure_rust
    ensure_debs "${APP_DEBS[@]}" "${TEST_DEBS[@]}"
    [[ -x /usr/bin/time ]] || die "/usr/bin/time is required: apt-get install time"
    ensure_garage
    if [[ -z "${HOIST_HEADLESS_BIN:-}" ]]; then
        cargo build --profile dist -p hoist --no-default-features
        HOIST_HEADLESS_BIN="$(target_dir)/dist/hoist"
    fi
    [[ -x "$HOIST_HEADLESS_BIN" ]] || die "HOIST_HEADLESS_BIN=$HOIST_HEADLESS_BIN is not an executable"
    export HOIST_HEADLESS_BIN _HOIST_BENCH_INNER=1
    exec bash tests/lib/session.sh --garage -- bash "$self" "$@"
fi

unset _HOIST_BENCH_INNER AWS_CA_BUNDLE
work="$HOIST_SESSION_ROOT/bench-flat"
mkdir -p "$work"
out="$work"
shm_free_mib="$(df -m --output=avail /dev/shm 2>/dev/null | tail -n1 || echo 0)"
if ((shm_free_mib > BIG + 2048)); then out="$(mktemp -d /dev/shm/hoist-bench-flat.XXXXXX)"; fi
trap 'rm -rf "$out"' EXIT
export AWS_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
export AWS_REGION="$HOIST_GARAGE_REGION" AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
bucket="$HOIST_GARAGE_BUCKET"
hoist=("$HOIST_HEADLESS_BIN" --data-dir "$work/hoist")
timeout 60 "${hoist[@]}" destination add garage --endpoint "$HOIST_GARAGE_ENDPOINT" \
    --bucket "$bucket" --region "$HOIST_GARAGE_REGION" --path-style </dev/null >/dev/null
timeout 120 "${hoist[@]}" destination test garage </dev/null >/dev/null
note "hoist: $("$HOIST_HEADLESS_BIN" --version) (headless)"

# measure NAME COMMAND... : sets $line to "peak MiB, seconds, CPU seconds" and $peak_kib.
measure() {
    local name="$1" secs kib user sys
    shift
    timeout 300 sync || true
    /usr/bin/time -f '%e %M %U %S' -o "$work/$name.time" timeout 1800 "$@" \
        >"$work/$name.out" 2>"$work/$name.err" </dev/null || { cat "$work/$name.err" >&2; die "$name failed"; }
    read -r secs kib user sys <"$work/$name.time"
    peak_kib="$kib"
    line="$(awk -v k="$kib" -v s="$secs" -v u="$user" -v y="$sys" \
        'BEGIN { printf "%6.1f MiB  %7.2f s  %6.2f CPU-s", k / 1024, s, u + y }')"
}

declare -A peak
for mib in "$SMALL" "$BIG"; do
    file="$work/zeros-$mib.bin"
    truncate -s "${mib}M" "$file"
    step "$mib MiB"
    measure "up-$mib" "${hoist[@]}" upload --prefix "flat/" "$file"
    peak["up-$mib"]="$peak_kib"
    printf '  %-28s %s\n' "hoist upload" "$line"
    rm -rf "$out/to-hoist" && mkdir "$out/to-hoist"
    measure "get-$mib" "${hoist[@]}" get "flat/zeros-$mib.bin" --to "$out/to-hoist"
    peak["get-$mib"]="$peak_kib"
    cmp -s "$file" "$out/to-hoist/zeros-$mib.bin" || die "hoist's download of $mib MiB differs"
    printf '  %-28s %s (identical)\n' "hoist get" "$line"
    rm -rf "$out/to-hoist"
    if command -v s5cmd >/dev/null 2>&1; then
        measure "s5-up-$mib" s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" cp -c 8 -p 16 "$file" "s3://$bucket/s5cmd-flat/zeros-$mib.bin"
        printf '  %-28s %s\n' "s5cmd cp (upload)" "$line"
        measure "s5-get-$mib" s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" cp -c 8 -p 16 "s3://$bucket/s5cmd-flat/zeros-$mib.bin" "$out/s5cmd.bin"
        printf '  %-28s %s\n' "s5cmd cp (download)" "$line"
        rm -f "$out/s5cmd.bin"
    fi
    rm -f "$file"
done

step "peak RSS, $BIG MiB against $SMALL MiB (goal: within 4 MiB)"
for way in up get; do
    awk -v w="$way" -v a="${peak[$way-$SMALL]}" -v b="${peak[$way-$BIG]}" \
        'BEGIN { printf "  %-6s %+6.1f MiB\n", w, (b - a) / 1024 }'
done
