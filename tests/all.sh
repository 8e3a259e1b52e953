#!/usr/bin/env bash
# Runs every test of rolechain. This is the README's test command and what
# .ci/run calls on a clean clone. It needs only rustup (plus, as hosts land,
# Node and Python 3): everything else it installs itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# rust-toolchain.toml pins the compiler; make sure it (and its targets) are present.
rustup show active-toolchain >/dev/null

cargo test --workspace --locked
