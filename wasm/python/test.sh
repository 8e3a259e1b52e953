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
    echo "wasm/python: needs Python 3.9 or newer as python3 (or set PYTHON=/path/to/python3); found: $(python3 --version 2>&1 || echo none)" >&2
    exit 1
fi

venv=target/python-venv
requirements=wasm/python/requirements-test.txt
stamp="$venv/.requirements-stamp"

# A virtualenv that no longer runs (its Python was removed or upgraded) is rebuilt.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "wasm/python: $venv is broken; recreating it" >&2
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    if ! "$python" -m venv "$venv"; then
        rm -rf "$venv"
        echo "wasm/python: '$python -m venv' failed; on Debian or Ubuntu install the venv module (apt-get install python3-venv)" >&2
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
    echo "wasm/python: installing $requirements into $venv" >&2
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --require-hashes -r "$requirements"
    echo "$want" >"$stamp"
fi

# The package from the source tree: no build step, no install.
export PYTHONPATH="$PWD/wasm/python${PYTHONPATH:+:$PYTHONPATH}"
exec "$venv/bin/python" -m pytest -q wasm/python/tests "$@"
