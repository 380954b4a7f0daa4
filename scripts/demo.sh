#!/usr/bin/env bash
# The main job, from a fresh machine: build, then replay the bundled
# "conflict" recording through the Prometheus HTTP API on 127.0.0.1:9090 as
# if it were live. Point Grafana at it (deploy/grafana/) and press q or
# Ctrl-C to stop. Pass other arguments to `understudy replay` after the
# recording, e.g. `scripts/demo.sh recordings/harmony --speed 2`.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
cargo build --release --quiet
exec "$CARGO_TARGET_DIR/release/understudy" replay "${@:-recordings/conflict}"
