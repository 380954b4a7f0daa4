#!/usr/bin/env bash
# The main job, from a fresh machine: record a few seconds, inspect the
# recording, and export it as OpenMetrics.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
out="${1:-/tmp/understudy-demo}"
cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/understudy"
rm -rf "$out"
"$bin" record --config deploy/understudy.toml --out "$out" --duration 3s --listen 127.0.0.1:0
"$bin" inspect "$out"
