#!/usr/bin/env bash
# Runs the KPI logic's unit tests natively (the SDK compiles without its
# wasm bindings off wasm32, so no runtime is needed).
set -euo pipefail
cd "$(dirname "$0")"
# Never the main workspace's target dir: a crate that is also a cdylib gets
# no hash in its file names, so this workspace's native build of
# `productivity` would overwrite the one crates/plugin's bench links against.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}-plugins"
cargo test --workspace "$@"
