# Sourced by the scripts that measure replay beside Prometheus 2.42: the
# binary to measure, and the same samples as a recording and as promtool
# blocks, generated once into a directory and reused.

# The understudy binary: $UNDERSTUDY_BIN, else a fresh release build.
bench_binary() {
  if [ -n "${UNDERSTUDY_BIN:-}" ]; then
    echo "$UNDERSTUDY_BIN"
    return
  fi
  cargo build --release -q -p understudy-cli
  echo "$CARGO_TARGET_DIR/release/understudy"
}

# bench_data DIR SERIES SCRAPES: DIR/recording and DIR/blocks hold SERIES
# series x SCRAPES scrapes at 15 s, unless they already do.
bench_data() {
  local data=$1 series=$2 scrapes=$3
  mkdir -p "$data"
  [ -d "$data/blocks" ] && return
  echo "== data: $series series x $scrapes scrapes at 15 s"
  cargo bench -q -p understudy-store --bench write -- --series "$series" --scrapes "$scrapes" --out "$data" >/dev/null 2>&1
  promtool tsdb create-blocks-from openmetrics "$data/samples.om" "$data/blocks" >/dev/null
  rm "$data/samples.om"
}
