#!/usr/bin/env bash
# Builds every plugin as a WebAssembly component (wasm32-wasip2 turns a
# cdylib into a component) and copies them to dist/<name>.wasm.
set -euo pipefail
cd "$(dirname "$0")"

target_dir="${CARGO_TARGET_DIR:-/root/.cache/understudy/target-plugins}"
export CARGO_TARGET_DIR="$target_dir"

cargo build --release --target wasm32-wasip2 --workspace "$@"

# <dist name>:<crate name>; cargo names the artifact after the crate, with '_'.
plugins=(
    productivity:productivity
    flapping:flapping
    drain-time:drain-time
    throttle-ratio:throttle-ratio
    infinite-loop:hostile-infinite-loop
    memory-bomb:hostile-memory-bomb
    huge-output:hostile-huge-output
    panic:hostile-panic
    nan-flood:hostile-nan-flood
    wrong-version:hostile-wrong-version
    bad-config:hostile-bad-config
)

mkdir -p dist
for entry in "${plugins[@]}"; do
    name="${entry%%:*}"
    crate="${entry#*:}"
    wasm="$target_dir/wasm32-wasip2/release/${crate//-/_}.wasm"
    cp "$wasm" "dist/$name.wasm"
    printf '%-16s %8d bytes\n' "$name.wasm" "$(stat -c %s "dist/$name.wasm")"
done
