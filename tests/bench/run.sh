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

python=""
for candidate in ${PYTHON:-} python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    echo "tests/bench: needs Python 3.9 or newer as python3 (or set PYTHON=/path/to/python3)" >&2
    exit 1
fi

venv=target/bench-venv
requirements=tests/bench/requirements.txt
stamp="$venv/.requirements-stamp"

if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "tests/bench: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv"; then
        rm -rf "$venv"
        echo "tests/bench: '$python -m venv' failed; on Debian or Ubuntu install the venv module (apt-get install python3-venv)" >&2
        exit 1
    fi
fi

want="$("$venv/bin/python" - "$requirements" <<'EOF'
import hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read())
digest.update(sys.version.encode())
print(digest.hexdigest())
EOF
)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "tests/bench: installing $requirements into $venv" >&2
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --require-hashes -r "$requirements"
    echo "$want" >"$stamp"
fi

# The peers are spawned with nothing of the developer's AWS setup.
exec env -i PATH="$PATH" HOME="${HOME:-/tmp}" LANG=C.UTF-8 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$venv/bin/python" "$script" --rolechain "$ROLECHAIN_BIN" "$@"
