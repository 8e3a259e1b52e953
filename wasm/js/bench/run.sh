#!/usr/bin/env bash
# The JavaScript host's benchmark: the 10-statement identity-policy workload of
# crates/policy/benches/decide.rs through wasm/js, next to @cloud-copilot/iam-simulate
# on the same policy and request. Prints a table and writes BENCHMARKS-node.md.
#
#   bash wasm/js/bench/run.sh            # 5 rounds of at least 2 s per variant
#   SECONDS_PER_RUN=0.5 RUNS=3 bash wasm/js/bench/run.sh   # a quick look
#   WITH_OPT_LEVEL_3=1 bash wasm/js/bench/run.sh   # also time the module built for speed
#                                                  # (opt-level 3 instead of "z"; into target/wasm-module-o3)
#
# iam-simulate is installed here, into a temporary directory that is removed on
# exit — never into the project's package.json. IAM_SIMULATE_VERSION pins it.
set -euo pipefail
cd "$(dirname "$0")/../../.."

IAM_SIMULATE_VERSION="${IAM_SIMULATE_VERSION:-0.1.173}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-2}"
RUNS="${RUNS:-5}"
OUT="${OUT:-BENCHMARKS-node.md}"

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
    echo "wasm/js/bench/run.sh: Node.js $(node --version) is too old; the JavaScript host needs Node.js 18 or later" >&2
    exit 1
fi

# The module is always built with the `wasm` profile (opt-level z, LTO), whatever the outer profile.
cargo build -q -p rolechain-wasm-host

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "installing @cloud-copilot/iam-simulate@$IAM_SIMULATE_VERSION into $tmp" >&2
npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error \
    "@cloud-copilot/iam-simulate@$IAM_SIMULATE_VERSION" >&2

command="bash wasm/js/bench/run.sh"
if [ "$SECONDS_PER_RUN" != 2 ] || [ "$RUNS" != 5 ]; then
    command="SECONDS_PER_RUN=$SECONDS_PER_RUN RUNS=$RUNS $command"
fi
also=()
if [ "${WITH_OPT_LEVEL_3:-0}" = 1 ]; then
    # The same crate and profile as build.rs, with the profile's opt-level "z" overridden.
    cargo build --locked -q -p rolechain-policy-wasm --target wasm32-unknown-unknown --profile wasm \
        --config 'profile.wasm.opt-level=3' --target-dir target/wasm-module-o3
    also=(--also-wasm "opt-level 3=target/wasm-module-o3/wasm32-unknown-unknown/wasm/rolechain_policy_wasm.wasm")
    command="WITH_OPT_LEVEL_3=1 $command"
fi
node wasm/js/bench/bench.mjs ${also[@]+"${also[@]}"} \
    --wasm target/rolechain_policy.wasm \
    --iam-simulate "$tmp/node_modules/@cloud-copilot/iam-simulate" \
    --seconds "$SECONDS_PER_RUN" --runs "$RUNS" \
    --command "$command" --out "$OUT"
echo >&2
cat "$OUT"
