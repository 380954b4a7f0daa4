#!/usr/bin/env bash
# Regenerates the bundled recordings from the bundled scenarios. The test
# `bundled_recordings_regenerate_identically` checks that this is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
cargo build --release --quiet
for s in conflict harmony; do
  rm -rf "recordings/$s"
  "$CARGO_TARGET_DIR/release/understudy" simulate --scenario "$s" --seed 7 --out "recordings/$s"
done
