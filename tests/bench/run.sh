#!/usr/bin/env bash
# STS through boto3: rolechain (release build, wasm evaluator) against moto's
# server, side by side in one run, with a canned-response baseline
# (tests/bench/sts_peers.py says what is measured). Not part of tests/all.sh:
# it takes a couple of minutes.
#
#   bash tests/bench/run.sh [sts_peers.py args...]
#   bash tests/bench/run.sh --write-benchmarks BENCHMARKS.md   # refresh its section there
#
# DynamoDB (GetItem and Query signed by the seed chain's reader session, against
# moto, fakecloud when installed, and the canned baseline; tests/bench/ddb_peers.py):
#
#   bash tests/bench/run.sh dynamodb [ddb_peers.py args...]
#   bash tests/bench/run.sh dynamodb --write-benchmarks BENCHMARKS.md
#
# Needs Python >= 3.9 with venv and access to PyPI (once). The virtualenv lives
# in target/bench-venv (ignored by git) and gets the hash-pinned packages of
# tests/bench/requirements.txt; they are reinstalled only when that file (or
# the Python) changes. Set PYTHON to choose the interpreter, ROLECHAIN_BIN to
# measure an already built binary.
set -euo pipefail
cd "$(dirname "$0")/../.."

script=tests/bench/sts_peers.py
if [ "${1:-}" = dynamodb ]; then
    script=tests/bench/ddb_peers.py
    shift
fi

if [ -z "${ROLECHAIN_BIN:-}" ]; then
    cargo build -q --locked --release -p rolechain
    ROLECHAIN_BIN="$PWD/target/release/rolechain"
fi

# A virtualenv with the pinned requirements (tests/lib/venv.sh).
source tests/lib/venv.sh
pinned_venv tests/bench target/bench-venv tests/bench/requirements.txt

# The peers are spawned with nothing of the developer's AWS setup.
exec env -i PATH="$PATH" HOME="${HOME:-/tmp}" LANG=C.UTF-8 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$venv_python" "$script" --rolechain "$ROLECHAIN_BIN" "$@"
