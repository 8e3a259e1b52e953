# Developer recipes. `just` is optional: each recipe is one plain command.

# every test (the README's test command)
test:
    bash tests/all.sh

# the README's main job
demo:
    cargo run -q -p rolechain -- demo

# the engine's criterion benchmarks (figures go to BENCHMARKS.md)
bench:
    cargo bench -p rolechain-policy --bench decide

# formatting and clippy, as CI runs them
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings

# lint the seed's trust policy as published
lint-seed:
    cargo run -q -p rolechain -- lint ../shared/testdata/seed/trust-policy.as-published.json

# the bad-input property tests with many more cases than the default run
fuzz:
    PROPTEST_CASES=20000 cargo test -p rolechain-policy --release --test bad_input --test lint_never_panics --test properties

# CI exactly as it runs on a clean clone
ci:
    bash .ci/run
