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
    echo "tests/clients: needs Python 3.9 or newer as python3 (or set PYTHON=/path/to/python3); found: $(python3 --version 2>&1 || echo none)" >&2
    exit 1
fi

venv=target/clients-venv
requirements=tests/clients/requirements.txt
stamp="$venv/.requirements-stamp"

# A virtualenv that no longer runs (its Python was removed or upgraded) is rebuilt.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "tests/clients: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv"; then
        rm -rf "$venv"
        echo "tests/clients: '$python -m venv' failed; on Debian or Ubuntu install the venv module (apt-get install python3-venv)" >&2
        exit 1
    fi
fi

# Install the pinned requirements unless the stamp says they are in already.
want="$("$venv/bin/python" - "$requirements" <<'EOF'
import hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read())
digest.update(sys.version.encode())
print(digest.hexdigest())
EOF
)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "tests/clients: installing $requirements into $venv" >&2
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --require-hashes -r "$requirements"
    echo "$want" >"$stamp"
fi

# The tests start their own emulator and give every client an empty, isolated
# AWS setup; nothing of the developer's ~/.aws or AWS_* variables reaches them.
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/clients "$@"
