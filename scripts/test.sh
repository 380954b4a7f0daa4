#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# builds the KPI plugins for wasm32-wasip2, then runs every test. Tests start
# the real services themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
scripts/setup.sh
plugins/build.sh >/dev/null
plugins/test.sh
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc
# Every command of the README and docs/, as written (about 90 s).
scripts/check-docs.sh
