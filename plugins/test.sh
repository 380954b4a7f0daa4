#!/usr/bin/env bash
# Runs the KPI logic's unit tests natively (the SDK compiles without its
# wasm bindings off wasm32, so no runtime is needed).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/understudy/target-plugins}"
cargo test --workspace "$@"
