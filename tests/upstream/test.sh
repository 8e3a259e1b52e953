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

# A Python >= 3.9.
python=""
for candidate in ${PYTHON:-} python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    echo "tests/upstream: needs Python 3.9 or newer as python3 (or set PYTHON=/path/to/python3); found: $(python3 --version 2>&1 || echo none)" >&2
    exit 1
fi

venv=target/upstream-venv
requirements=tests/upstream/requirements.txt
stamp="$venv/.requirements-stamp"

# A virtualenv that no longer runs (its Python was removed or upgraded) is rebuilt.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "tests/upstream: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv"; then
        rm -rf "$venv"
        echo "tests/upstream: '$python -m venv' failed; on Debian or Ubuntu install the venv module (apt-get install python3-venv)" >&2
        exit 1
    fi
fi

# Install the pinned requirements unless the stamp says they are in already.
want="$("$venv/bin/python" - "$requirements" <<'PY'
import hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read())
digest.update(sys.version.encode())
print(digest.hexdigest())
PY
)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "tests/upstream: installing $requirements into $venv" >&2
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --require-hashes -r "$requirements"
    echo "$want" >"$stamp"
fi

# The test starts moto_server and rolechain itself, on free ports, and gives
# boto3 an empty AWS setup: nothing of the developer's ~/.aws or AWS_* reaches it.
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/upstream "$@"
