#!/usr/bin/env bash
# Runs every test of rolechain. This is the README's test command and what
# .ci/run calls on a clean clone. It needs only rustup, Node and Python 3:
# everything else (the wasm32 target, pinned npm and pip packages) it installs itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# rust-toolchain.toml pins the compiler; make sure it (and its targets) are present.
rustup show active-toolchain >/dev/null

# Rust: the engine, the wasm module's ABI, the wasmtime host, the CLI. Building
# rolechain-wasm-host also leaves target/rolechain_policy.wasm for the other hosts.
cargo test --workspace --locked

# The same module in the JavaScript and Python hosts, on the same corpus.
for host in wasm/js wasm/python; do
    if [ -f "$host/test.sh" ]; then
        bash "$host/test.sh"
    fi
done

# Real AWS clients (boto3, the AWS CLI v1) against `rolechain serve`.
bash tests/clients/test.sh

# The seed's JavaScript (corrected) on the AWS SDK for JavaScript v3, boto3, the AWS CLI
# and the AWS SDK for Rust, each inside `rolechain run` as the seed's pod.
bash tests/pod/test.sh

# DynamoDB's upstream mode, with moto's server as the upstream.
bash tests/upstream/test.sh
