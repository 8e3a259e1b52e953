# Sourced by the Python test and bench scripts: a virtualenv with hash-pinned
# requirements, rebuilt only when the requirements (or the Python) change.
#
#   source tests/lib/venv.sh
#   pinned_venv NAME VENV_DIR REQUIREMENTS_FILE   # sets $venv_python
#
# Needs Python >= 3.9 with venv and access to PyPI (once). PYTHON chooses the
# interpreter. NAME prefixes the messages (e.g. tests/clients).

pinned_venv() {
    local name="$1" venv="$2" requirements="$3"
    local python="" candidate
    for candidate in ${PYTHON:-} python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' >/dev/null 2>&1; then
            python="$candidate"
            break
        fi
    done
    if [ -z "$python" ]; then
        echo "$name: needs Python 3.9 or newer as python3 (or set PYTHON=/path/to/python3); found: $(python3 --version 2>&1 || echo none)" >&2
        return 1
    fi

    # A virtualenv that no longer runs (its Python was removed or upgraded) is rebuilt.
    if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
        echo "$name: $venv is broken; recreating it" >&2
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        if ! "$python" -m venv "$venv"; then
            rm -rf "$venv"
            echo "$name: '$python -m venv' failed; on Debian or Ubuntu install the venv module (apt-get install python3-venv)" >&2
            return 1
        fi
    fi

    # Install the pinned requirements unless the stamp says they are in already.
    local stamp="$venv/.requirements-stamp" want
    want="$("$venv/bin/python" - "$requirements" <<'PY'
import hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read())
digest.update(sys.version.encode())
print(digest.hexdigest())
PY
)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "$name: installing $requirements into $venv" >&2
        rm -f "$stamp"
        "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --require-hashes -r "$requirements"
        echo "$want" >"$stamp"
    fi
    venv_python="$venv/bin/python"
}
