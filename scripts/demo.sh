#!/usr/bin/env bash
# The main job, from a fresh machine: build, then replay the bundled
# "conflict" recording through the Prometheus HTTP API on 127.0.0.1:9090 as
# if it were live, with the stage dashboard at http://127.0.0.1:9090/. It
# opens 15 s before the load arrives (at 1:00 of the recording, so
# --start-at 45s): the minute before is idle, and the graphs already hold
# it. Point Grafana at it (deploy/grafana/) and press q or Ctrl-C to stop.
# Arguments replace the default ones, e.g.
# `scripts/demo.sh recordings/harmony --speed 2`; the page counts down to
# any recording's load.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
cargo build --release --quiet
if (($# == 0)); then
  set -- recordings/conflict --start-at 45s
fi
exec "$CARGO_TARGET_DIR/release/understudy" replay "$@"
