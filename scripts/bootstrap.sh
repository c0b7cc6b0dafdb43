#!/usr/bin/env bash
# Create .venv and install the project. `bootstrap.sh` for the app, `bootstrap.sh dev` for the tests too.
# torch is installed first, pinned, so that pip never resolves it to a multi-GB CUDA build.
# For the app, the lite (MediaPipe) model files are then fetched, with progress, when they are not
# found (SAPIENS_MEASURE_MODEL_DIR, then the cache): the app itself never goes online unless asked.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
  # Files already there are not fetched again; a failure still leaves an app that starts and
  # whose Start page says what is missing and offers the download again.
  .venv/bin/python -m core fetch lite ||
    echo "bootstrap: the lite model files could not be fetched (see the error above); the app starts without them" >&2
fi
