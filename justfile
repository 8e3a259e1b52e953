# Developer recipes. `just` is optional: each recipe is one plain command.

# every test (the README's test command)
test:
    bash tests/all.sh

# the README's main job
demo:
    cargo run -q -p rolechain -- demo

# the emulator with the seed's world (issuer, STS, IAM) on 127.0.0.1:4590
serve:
    cargo run -q -p rolechain -- serve

# the benchmarks behind BENCHMARKS.md: the engine, the wasmtime host, Node, Python, the emulator
bench:
    cargo bench -p rolechain-policy --bench decide
    cargo bench -p rolechain-wasm-host --bench host
    bash wasm/js/bench/run.sh
    target/python-venv/bin/python wasm/python/bench.py
    cargo bench -p rolechain-testkit --bench sts
    bash tests/bench/run.sh

# build rolechain_policy.wasm (left at target/rolechain_policy.wasm) and show its size
wasm:
    cargo build -q -p rolechain-wasm-host
    ls -l target/rolechain_policy.wasm

# formatting and clippy, as CI runs them
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# lint the seed's trust policy as published
lint-seed:
    cargo run -q -p rolechain -- lint ../shared/testdata/seed/trust-policy.as-published.json

# the property tests and the ABI fuzzer with many more cases than the default run
fuzz:
    PROPTEST_CASES=20000 cargo test -p rolechain-policy --release --test bad_input --test lint_never_panics --test properties
    PROPTEST_CASES=5000 cargo test -p rolechain-wasm-host --release --test abi_fuzz --test differential
    PROPTEST_CASES=1000 cargo test -p rolechain-testkit --release --test properties

# CI exactly as it runs on a clean clone
ci:
    bash .ci/run
