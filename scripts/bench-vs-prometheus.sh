#!/usr/bin/env bash
# Write throughput and size on disk of understudy's recording format beside
# Prometheus' TSDB, on the same 10k series x 360 scrapes (15 s, with jitter),
# both pinned to one core. Needs promtool (scripts/setup.sh).
#
#   scripts/bench-vs-prometheus.sh [--series N] [--scrapes N]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
series=10000 scrapes=360
while (($#)); do
  case "$1" in
    --series) series=$2; shift 2 ;;
    --scrapes) scrapes=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
one="taskset -c 0"
command -v taskset >/dev/null || one=""

cargo bench -p understudy-store --bench write --no-run -q 2>/dev/null
bench() { $one cargo bench -p understudy-store --bench write -q -- --series "$series" --scrapes "$scrapes" "$@" 2>/dev/null; }

# Three runs each: the machine is shared, take the median.
echo "== understudy, one segment"
bench --out "$work" | grep -v '^wrote'
for _ in 1 2; do bench | grep '^write:'; done
echo "== understudy, a segment every 20 scrapes (the recorder's default 5 min)"
bench --segment-scrapes 20 | grep -v '^wrote'
for _ in 1 2; do bench --segment-scrapes 20 | grep '^write:'; done

samples=$((series * scrapes))
echo "== promtool tsdb bench write (GOMAXPROCS=1; it rounds scrapes up to a multiple of 100)"
for _ in 1 2 3; do
  rm -rf "$work/promtool-bench"
  GOMAXPROCS=1 $one promtool tsdb bench write --metrics="$series" --scrapes="$scrapes" \
    --out="$work/promtool-bench" "$work/series.json" 2>&1 | grep -E 'samples/sec'
done
echo "== Prometheus blocks built by promtool from the same samples"
promtool tsdb create-blocks-from openmetrics "$work/samples.om" "$work/blocks" >/dev/null
blocks=$(du -sb "$work/blocks" | cut -f1)
ours=$(du -sb "$work/recording" | cut -f1)
awk -v b="$blocks" -v o="$ours" -v n="$samples" 'BEGIN {
  printf "prometheus blocks: %d bytes, %.3f bytes/sample\n", b, b / n
  printf "understudy recording (all files): %d bytes, %.3f bytes/sample = %.3fx prometheus\n", o, o / n, o / b
}'
