#!/usr/bin/env bash
# Runs the commands of README.md, tests/README.md and docs/*.md as written
# (scripts/check_docs.py says how, and lists what it skips and why), with
# the freshly built `understudy` on the PATH. Needs what scripts/setup.sh
# installs, and duckdb, pyarrow, pandas and xxhash, which it installs into
# a virtualenv under ~/.cache/understudy/venv. About a minute and a half;
# CHECK_DOCS_SLOW=1 also runs scripts/demo.sh and builds the plugin guide's
# new plugin (several minutes more).
#
#   scripts/check-docs.sh                 # every document
#   scripts/check-docs.sh loadgen.md      # the documents whose path ends so
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/understudy/target}"
cargo build --quiet -p understudy-cli --bin understudy
export PATH="$CARGO_TARGET_DIR/debug:$PATH"

venv="$HOME/.cache/understudy/venv"
if ! "$venv/bin/python" -c 'import duckdb, pyarrow, pandas, xxhash' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check duckdb pyarrow pandas xxhash
fi
# The README's plugin example starts with plugins/build.sh; built here once
# so that its time does not count against the command.
plugins/build.sh >/dev/null
CHECK_DOCS_PYTHON="$venv/bin/python" exec python3 scripts/check_docs.py "$@"
