#!/usr/bin/env bash
# Resident memory of `understudy replay` beside Prometheus 2.42 on the same
# samples, at rest and under concurrent heavy range queries (issue 16): by
# default six concurrent query_range of
#   quantile_over_time(0.5, {__name__=~".+"}[1h])
# at step 15 s over the whole recording of 10,000 series x 6 h (14.4M
# samples). Both servers run with their default query limits; peak resident
# memory is each process's VmHWM. Needs promtool and prometheus
# (scripts/setup.sh) and a release build.
#
#   scripts/bench-heavy-queries.sh [--series N] [--scrapes N] [--clients N] [--query Q] [--step S] [--data DIR]
#
# --data DIR keeps the generated recording and blocks in DIR and reuses
# them on the next run. UNDERSTUDY_BIN=PATH measures that binary instead of
# building one.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
series=10000 scrapes=1440 clients=6 step=15 data=
query='quantile_over_time(0.5, {__name__=~".+"}[1h])'
while (($#)); do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --scrapes) scrapes=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --query) query=$2; shift 2 ;;
    --step) step=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

source scripts/bench-data.sh
bin=$(bench_binary)
data=${data:-$work}
bench_data "$data" "$series" "$scrapes"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
kib() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$2/status"; }
wait_ready() {
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$1/api/v1/query?query=1%2B1" >/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

measure() {
  local name=$1 port=$2 pid=$3
  wait_ready "$port"
  local start=$((first_ms / 1000)) end=$((last_ms / 1000))
  sleep 2
  local rest t0 curls=()
  rest=$(kib VmRSS "$pid")
  t0=$(date +%s.%N)
  for i in $(seq 1 "$clients"); do
    curl -s --max-time 600 -o /dev/null -w '%{http_code} %{size_download}\n' \
      "http://127.0.0.1:$port/api/v1/query_range" \
      --data-urlencode "query=$query" --data-urlencode "start=$start" \
      --data-urlencode "end=$end" --data-urlencode "step=$step" >"$work/$name.$i" &
    curls+=($!)
  done
  wait "${curls[@]}" || true
  local took after peak codes sizes light
  took=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
  after=$(kib VmRSS "$pid")
  peak=$(kib VmHWM "$pid")
  codes=$(cat "$work/$name".* | awk '{print $1}' | sort | uniq -c | awk '{printf "%s x %s ", $1, $2}')
  sizes=$(cat "$work/$name".* | awk '{print $2}' | sort -u | tr '\n' ' ')
  light=$(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' "http://127.0.0.1:$port/api/v1/query?query=up")
  printf '%-11s rest %5d MB  peak %5d MB  after %5d MB  | %sin %s s, bytes: %s| then `up`: %s\n' \
    "$name" $((rest / 1024)) $((peak / 1024)) $((after / 1024)) "$codes" "$took" "$sizes" "$light"
}

# Time span of the generated data.
read -r first_ms last_ms < <("$bin" inspect "$data/recording" --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(m["start_ms"], m["end_ms"])')

echo "== $clients concurrent query_range of $query, step ${step}s, over the whole span"
port=$(free_port)
"$bin" replay "$data/recording" --no-shift --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!)
measure understudy "$port" "$!"
kill "${pids[-1]}"

port=$(free_port)
prometheus --storage.tsdb.path="$data/blocks" --storage.tsdb.retention.time=100y \
  --web.listen-address="127.0.0.1:$port" --config.file=/dev/null >/dev/null 2>&1 &
pids+=($!)
measure prometheus "$port" "$!"
