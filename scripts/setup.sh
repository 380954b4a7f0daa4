#!/usr/bin/env bash
# Installs what understudy's tests talk to, where it is missing: Debian's
# prometheus (with promtool), nats-server, kubectl and chromium, node and
# npm with Playwright (tests/browser) to drive chromium, pyarrow for the
# test that reads recordings without our code, and the wasm32-wasip2
# target. Safe to run again, and quick when everything is there.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
# The deploy test renders deploy/recorder with `kubectl kustomize`.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
# The HTML report and the stage dashboard are checked in headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The stage dashboard's keys and buttons are driven with Playwright.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# The docs check runs the DuckDB and pyarrow snippets in a virtualenv
# (Debian's python3 makes one only with python3-venv).
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Playwright as locked in tests/browser (it drives Debian's chromium and
# downloads no browser); again only when the lock changed.
browser="$(dirname "$0")/../tests/browser"
[ "$browser/node_modules/.package-lock.json" -nt "$browser/package-lock.json" ] ||
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
python3 -c 'import pyarrow' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyarrow
# The KPI plugins build for wasm32-wasip2. rust-toolchain.toml names the
# target, but rustup adds it only when it installs the toolchain itself.
if command -v rustup >/dev/null 2>&1; then
  rustup target add wasm32-wasip2 >/dev/null 2>&1 || rustup target add wasm32-wasip2
fi
