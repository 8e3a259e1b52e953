#!/usr/bin/env bash
# Runs the Python host's tests (wasm/python) on target/rolechain_policy.wasm.
#
#   bash wasm/python/test.sh [pytest args...]
#
# Needs Python >= 3.9 with venv and access to PyPI (once). The virtualenv lives
# in target/python-venv (ignored by git) and gets the hash-pinned packages of
# wasm/python/requirements-test.txt; they are reinstalled only when that file
# (or the Python) changes. Set PYTHON to choose the interpreter.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The module: built by the Rust workspace (build.rs of rolechain-wasm-host).
if [ -z "${ROLECHAIN_POLICY_WASM:-}" ] && [ ! -f target/rolechain_policy.wasm ]; then
    echo "wasm/python: target/rolechain_policy.wasm is missing; building it (cargo build --locked -p rolechain-wasm-host)" >&2
    cargo build -q --locked -p rolechain-wasm-host
fi

# A virtualenv with the pinned requirements (tests/lib/venv.sh).
source tests/lib/venv.sh
pinned_venv wasm/python target/python-venv wasm/python/requirements-test.txt

# The package from the source tree: no build step, no install.
export PYTHONPATH="$PWD/wasm/python${PYTHONPATH:+:$PYTHONPATH}"
exec "$venv_python" -m pytest -q wasm/python/tests "$@"
