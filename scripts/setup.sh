#!/usr/bin/env bash
# Installs what understudy's tests talk to, where it is missing: Debian's
# prometheus (with promtool), nats-server, kubectl and chromium, and pyarrow for the test that
# reads recordings without our code, and the wasm32-wasip2 target. Safe to
# run again.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
# The deploy test renders deploy/recorder with `kubectl kustomize`.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
# The HTML report and the stage dashboard are checked in headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import pyarrow' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyarrow
# The KPI plugins build for wasm32-wasip2. rust-toolchain.toml names the
# target, but rustup adds it only when it installs the toolchain itself.
if command -v rustup >/dev/null 2>&1; then
  rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
fi
