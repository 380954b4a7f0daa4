#!/usr/bin/env bash
# Fuzzes what understudy reads from the network (issue 16): PromQL, the
# replay's Prometheus and Kubernetes APIs, remote-write bodies. Not in CI.
#
#   scripts/fuzz.sh                    every target, 120 s each
#   scripts/fuzz.sh promql_eval 600    one target, 10 minutes
#   scripts/fuzz.sh check              replay fuzz/regressions/ (every crash found so far)
#
# Targets: promql_eval, prometheus_api, kube_api, remote_write (fuzz/fuzz_targets/).
# One libFuzzer process at a time (the machine is shared). The corpus grows
# in ~/.cache/understudy/fuzz-corpus/TARGET, seeded from fuzz/seeds/TARGET.
# Every crash, timeout or out-of-memory input is copied to
# fuzz/regressions/TARGET/ with a line in fuzz/regressions/NOTES.md, and
# becomes a case of the hostile-request corpus
# (crates/cli/tests/hostile_requests/fuzz-TARGET-HASH.req) that fails until
# someone has looked at it and set its expected status.
#
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 gets them from the
# pinned stable toolchain. Install it once: cargo install cargo-fuzz
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz="$root/fuzz"
targets=(promql_eval prometheus_api kube_api remote_write)
cache="${UNDERSTUDY_CACHE:-$HOME/.cache/understudy}"
# Not the main target dir: sanitizer flags would rebuild everything there.
target_dir="${UNDERSTUDY_FUZZ_TARGET:-$cache/fuzz-target}"
export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 1
fi

dict_of() {
    case "$1" in
        promql_eval) echo "$fuzz/dict/promql.dict" ;;
        *) echo "$fuzz/dict/$1.dict" ;;
    esac
}

cd "$fuzz"

if [[ "${1:-}" == "check" ]]; then
    status=0
    for t in "${targets[@]}"; do
        dir="$fuzz/regressions/$t"
        [[ -d "$dir" ]] && [[ -n "$(ls -A "$dir")" ]] || continue
        echo "== $t: replaying $(ls "$dir" | wc -l) regression inputs"
        cargo fuzz run --target-dir "$target_dir" "$t" "$dir" -- -runs=0 || status=1
    done
    exit $status
fi

selected=("${targets[@]}")
if [[ $# -ge 1 ]]; then
    [[ " ${targets[*]} " == *" $1 "* ]] || { echo "unknown target $1: one of ${targets[*]}" >&2; exit 2; }
    selected=("$1")
fi
seconds="${2:-120}"

# The hostile-request case for a crash input of target $1 at path $2.
to_case() {
    python3 - "$1" "$2" "$root/crates/cli/tests/hostile_requests" <<'PY'
import hashlib, os, sys, urllib.parse
target, path, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, "rb").read()
name = f"fuzz-{target.replace('_', '-')}-{hashlib.sha1(data).hexdigest()[:12]}"
hexed = lambda b: "{{hex:" + " ".join(f"{x:02x}" for x in b) + "}}" if b else ""
lines = [f"# Found by scripts/fuzz.sh {target} ({os.path.basename(path)}): it crashed,",
         "# hung or ran out of memory. Set the status a real server answers once fixed."]
if target in ("prometheus_api", "kube_api"):
    head, sep, body = data.replace(b"\r\n", b"\n").partition(b"\n\n")
    first, *headers = head.split(b"\n")
    method, _, uri = first.partition(b" ")
    lines += ["server: " + ("prometheus" if target == "prometheus_api" else "kube"),
              "method: " + hexed(method), "path: " + hexed(uri)]
    lines += ["header: " + hexed(h) for h in headers if h]
    if body:
        lines.append("body: " + hexed(body))
elif target == "promql_eval":
    query, _, params = data.partition(b"\0")
    nums = [int(n) for n in params.split() if n.lstrip(b"-").isdigit()][:3]
    form = {"query": query.decode("utf-8", "replace")}
    if len(nums) >= 3:
        form.update(start=nums[0] / 1000, end=nums[1] / 1000, step=nums[2] / 1000)
        path = "/api/v1/query_range"
    else:
        form["time"] = (nums[0] if nums else 600_000) / 1000
        path = "/api/v1/query"
    lines += ["server: prometheus", "method: POST", "path: " + path,
              "header: Content-Type: application/x-www-form-urlencoded",
              "body: " + urllib.parse.urlencode(form).replace("{{", "%7B%7B")]
else:
    mode, rest = (data[0], data[1:]) if data else (1, b"")
    lines += ["server: remote-write", "method: POST", "path: /api/v1/write",
              "header: Content-Encoding: snappy", "header: Content-Type: application/x-protobuf",
              "body: " + hexed(rest)]
    if mode % 2 == 0:
        lines.append("body-encoding: snappy")
lines.append("expect-status: FIXME")
out = os.path.join(corpus, name + ".req")
if not os.path.exists(out):
    open(out, "w").write("\n".join(lines) + "\n")
print(out)
PY
}

summary=()
for t in "${selected[@]}"; do
    corpus="$cache/fuzz-corpus/$t"
    artifacts="$fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "$fuzz/regressions/$t"
    before="$(ls "$artifacts")"
    log="$artifacts/last-run.log"
    echo "== $t for ${seconds}s (corpus $corpus)"
    set +e
    cargo fuzz run --target-dir "$target_dir" "$t" "$corpus" "$fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -dict="$(dict_of "$t")" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        2>&1 | tee "$log"
    set -e
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
    summary+=("$t: ${done_line:-no DONE line: crashed or stopped, see $log}")
    for f in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/slow-unit-*; do
        [[ -e "$f" ]] || continue
        grep -qxF "$(basename "$f")" <<<"$before" && continue
        cp "$f" "$fuzz/regressions/$t/"
        case_file="$(to_case "$t" "$f")"
        echo "- $(date -u +%F) $t $(basename "$f"): reproduce with \`scripts/fuzz.sh check\`; hostile case $(basename "$case_file")" \
            >>"$fuzz/regressions/NOTES.md"
        summary+=("  new $(basename "$f") -> fuzz/regressions/$t/, $case_file")
    done
done

echo
printf '%s\n' "${summary[@]}"
