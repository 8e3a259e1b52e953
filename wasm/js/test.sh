#!/usr/bin/env bash
# Tests of the JavaScript host (wasm/js): the API, errors, traps, the shared
# corpus, and the TypeScript declarations. Called by tests/all.sh; needs only
# rustup (for the module), Node 18+ and npm (for the pinned TypeScript).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null 2>&1; then
    echo "wasm/js/test.sh: node is not installed; the JavaScript host needs Node.js 18 or later" >&2
    exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
    echo "wasm/js/test.sh: Node.js $(node --version) is too old; the JavaScript host needs Node.js 18 or later" >&2
    exit 1
fi

# The module: built (or brought up to date with the engine's source — a stale
# module fails the corpus for no reason) by rolechain-wasm-host's build.rs.
if command -v cargo >/dev/null 2>&1; then
    cargo build -q -p rolechain-wasm-host
elif [ ! -f target/rolechain_policy.wasm ]; then
    echo "wasm/js/test.sh: target/rolechain_policy.wasm is missing and cargo is not installed to build it" >&2
    exit 1
fi

# TypeScript (a pinned devDependency, package-lock.json) checks the
# declarations; `npm ci` runs unless the pinned version is already installed.
pinned=$(node -p 'require("./wasm/js/package.json").devDependencies.typescript')
installed=$(node -p 'try { require("./wasm/js/node_modules/typescript/package.json").version } catch { "" }')
if [ "$installed" != "$pinned" ]; then
    (cd wasm/js && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
fi
wasm/js/node_modules/.bin/tsc -p wasm/js/test/tsconfig.json
echo "wasm/js: rolechain-policy.d.ts type-checks (tsc $(wasm/js/node_modules/.bin/tsc --version | cut -d' ' -f2), strict)"

# Files, not the directory: Node 21+ reads --test arguments as globs.
reporter=()
if [ "$node_major" -ge 20 ]; then reporter=(--test-reporter=spec); fi
node --test ${reporter[@]+"${reporter[@]}"} wasm/js/test/*.test.mjs
