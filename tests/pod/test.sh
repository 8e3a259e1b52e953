#!/usr/bin/env bash
# Runs the pod tests (tests/pod): the seed's JavaScript (corrected, in
# emulator/seed/app) with the AWS SDK for JavaScript v3, boto3, the AWS CLI and
# the AWS SDK for Rust, each inside `rolechain run` with the seed's Deployment
# and Secret, as the application in that pod would run.
#
#   bash tests/pod/test.sh [pytest args...]
#
# Needs Node 20+ with npm, Python >= 3.9 with venv, and access to the npm
# registry and PyPI (once). The npm packages are those of
# tests/pod/js/package-lock.json, installed by `npm ci` into
# tests/pod/js/node_modules when that lockfile (or Node) changes; the Python
# ones are tests/clients' hash-pinned requirements in target/clients-venv.
# ROLECHAIN_BIN tests an already built binary instead of target/debug/rolechain.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "tests/pod: node and npm are needed (Node.js 20 or later)" >&2
    exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    echo "tests/pod: Node.js $(node --version) is too old; the pinned AWS SDK for JavaScript needs Node.js 20 or later" >&2
    exit 1
fi

# The binary under test, and the Rust client (an example of the tests crate).
if [ -z "${ROLECHAIN_BIN:-}" ]; then
    cargo build -q --locked -p rolechain
    export ROLECHAIN_BIN="$PWD/target/debug/rolechain"
fi
cargo build -q --locked -p rolechain-tests --example pod_chain
pod_chain="${CARGO_TARGET_DIR:-$PWD/target}/debug/examples/pod_chain"

# The pinned npm packages: `npm ci` unless the stamp says this lockfile (with
# this Node) is what node_modules holds.
js=tests/pod/js
stamp="$js/node_modules/.rolechain-lock-stamp"
want=$(node -e 'const c = require("node:crypto"), fs = require("node:fs");
    console.log(c.createHash("sha256").update(fs.readFileSync(process.argv[1])).update(process.version).digest("hex"))' "$js/package-lock.json")
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "tests/pod: installing $js/package-lock.json into $js/node_modules" >&2
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
fi

# boto3 and the AWS CLI: the client tests' pinned virtualenv (tests/lib/venv.sh).
source tests/lib/venv.sh
pinned_venv tests/pod target/clients-venv tests/clients/requirements.txt

# Each client gets its own pod: a fresh emulator, token and virtual clock
# (`run` would use an emulator named by ROLECHAIN_ENDPOINT instead).
unset ROLECHAIN_ENDPOINT
pod() {
    "$ROLECHAIN_BIN" run --quiet \
        --deployment emulator/seed/deployment.yaml --container my-container \
        --secret emulator/seed/secret.yaml -- "$@"
}
failed=()
step() {
    local name="$1"
    shift
    echo "== tests/pod: $name" >&2
    if ! pod "$@"; then
        echo "== tests/pod: FAILED: $name" >&2
        failed+=("$name")
    fi
}

# The SDK for JavaScript v3 warns on every run that its 2027 releases need
# Node 22; the variable is set inside the pod, whose environment `run` builds.
for file in "$js"/test/*.test.mjs; do
    step "node $file" env AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
        node --test --test-reporter=spec "$file"
done
step "boto3 and the AWS CLI" "$venv_python" -m pytest -q -p no:cacheprovider tests/pod/test_pod_python.py "$@"
step "the AWS SDK for Rust" "$pod_chain"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "tests/pod: ${#failed[@]} failed: ${failed[*]}" >&2
    exit 1
fi
echo "tests/pod: every client passed inside rolechain run" >&2
