#!/usr/bin/env bash
# Runs the real-client tests (tests/clients): boto3 and the AWS CLI (v1, from
# PyPI) against `rolechain serve`, exactly as an application would use them.
#
#   bash tests/clients/test.sh [pytest args...]
#
# Needs Python >= 3.9 with venv and access to PyPI (once). The virtualenv lives
# in target/clients-venv (ignored by git) and gets the hash-pinned packages of
# tests/clients/requirements.txt; they are reinstalled only when that file (or
# the Python) changes. Set PYTHON to choose the interpreter, ROLECHAIN_BIN to
# test an already built binary instead of building target/debug/rolechain.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The binary under test.
if [ -z "${ROLECHAIN_BIN:-}" ]; then
    cargo build -q --locked -p rolechain
    export ROLECHAIN_BIN="$PWD/target/debug/rolechain"
fi

# A virtualenv with the pinned requirements (tests/lib/venv.sh).
source tests/lib/venv.sh
pinned_venv tests/clients target/clients-venv tests/clients/requirements.txt

# The tests start their own emulator and give every client an empty, isolated
# AWS setup; nothing of the developer's ~/.aws or AWS_* variables reaches them.
exec "$venv_python" -m pytest -q -p no:cacheprovider tests/clients "$@"
