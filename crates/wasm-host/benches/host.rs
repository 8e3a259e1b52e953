//! The wasmtime host against the native engine, in the same run.
//!
//! Run: `cargo bench -p rolechain-wasm-host --bench host`. The workload is the
//! engine's reference one (`crates/policy/benches/workload-identity-10.json`),
//! with a loaded policy set and JSON in and out on both sides: the native
//! baseline reads the request JSON, decides and writes the decision JSON, as
//! the wasm module does inside.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rolechain_policy::evaluator::Evaluator;
use rolechain_policy::wire::PolicySetSpec;
use rolechain_policy::{Request, authorize};
use rolechain_wasm_host::WasmEvaluator;

const WORKLOAD: &str = include_str!("../../policy/benches/workload-identity-10.json");

fn workload() -> (PolicySetSpec, String) {
    let root: serde_json::Value = serde_json::from_str(WORKLOAD).expect("workload JSON");
    let spec = PolicySetSpec::from_json_str(&root["policies"].to_string()).expect("workload set");
    (spec, root["request"].to_string())
}

fn decisions(c: &mut Criterion) {
    let (spec, request_json) = workload();
    let mut group = c.benchmark_group("host");
    group.throughput(Throughput::Elements(1));

    let set = spec.build().expect("set builds");
    group.bench_function("native_json_in_out", |b| {
        b.iter(|| {
            let request = Request::from_json_str(black_box(&request_json)).expect("request");
            serde_json::to_vec(&authorize(&set, &request)).expect("decision JSON")
        })
    });
    let request = Request::from_json_str(&request_json).expect("request");
    group.bench_function("native_typed", |b| {
        b.iter(|| authorize(black_box(&set), black_box(&request)))
    });

    let wasm = WasmEvaluator::new().expect("wasm host");
    let handle = wasm.load(&spec).expect("load");
    assert!(wasm.authorize(handle, &request).expect("decision").is_allowed());
    group.bench_function("wasm_json_in_out", |b| {
        b.iter(|| {
            wasm.authorize_json(handle, black_box(request_json.as_bytes()))
                .expect("answer")
        })
    });
    group.bench_function("wasm_evaluator_typed", |b| {
        b.iter(|| wasm.authorize(handle, black_box(&request)).expect("decision"))
    });
    group.finish();
}

/// Start-up: a fresh host (engine, module compile, first instance) and its first decision.
fn startup(c: &mut Criterion) {
    let (spec, _) = workload();
    let (_, request_json) = workload();
    let request = Request::from_json_str(&request_json).expect("request");
    let mut group = c.benchmark_group("host_startup");
    group.sample_size(10);
    group.bench_function("new_load_first_decision", |b| {
        b.iter(|| {
            let wasm = WasmEvaluator::new().expect("wasm host");
            let h = wasm.load(&spec).expect("load");
            wasm.authorize(h, &request).expect("decision")
        })
    });
    group.finish();
    // One cold measurement, printed for BENCHMARKS.md.
    let start = Instant::now();
    let wasm = WasmEvaluator::new().expect("wasm host");
    let ready = start.elapsed();
    let h = wasm.load(&spec).expect("load");
    wasm.authorize(h, &request).expect("decision");
    eprintln!(
        "host start-up (compile + instantiate): {ready:?}; with load and first decision: {:?}",
        start.elapsed()
    );
}

criterion_group!(benches, decisions, startup);
criterion_main!(benches);
