#!/usr/bin/env bash
# Create .venv and install the project. `bootstrap.sh` for the app, `bootstrap.sh dev` for the tests too.
# torch is installed first, pinned, so that pip never resolves it to a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
if [ "${1:-}" = "dev" ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi
