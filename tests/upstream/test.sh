#!/usr/bin/env bash
# Runs the upstream-mode test (tests/upstream): `rolechain serve
# --dynamodb-upstream` in front of moto's DynamoDB server (moto[server] from
# PyPI), driven through rolechain with boto3; moto itself is checked directly
# to show that denied requests never reach it.
#
#   bash tests/upstream/test.sh [pytest args...]
#
# Needs Python >= 3.9 with venv and access to PyPI (once). The virtualenv lives
# in target/upstream-venv (ignored by git) and gets the hash-pinned packages of
# tests/upstream/requirements.txt; they are reinstalled only when that file (or
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
pinned_venv tests/upstream target/upstream-venv tests/upstream/requirements.txt

# The test starts moto_server and rolechain itself, on free ports, and gives
# boto3 an empty AWS setup: nothing of the developer's ~/.aws or AWS_* reaches it.
exec "$venv_python" -m pytest -q -p no:cacheprovider tests/upstream "$@"
