//! The policy engine's performance targets (issue: IAM policy engine).
//!
//! Run: `cargo bench -p rolechain-policy --bench decide`. Each group also
//! measures a baseline in the same run — `serde_json` parsing the same JSON —
//! so BENCHMARKS.md can quote ratios that survive a noisy machine.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rolechain_policy::wire::PolicySetSpec;
use rolechain_policy::{Context, Policy, PolicyKind, PolicySet, Principal, Request, authorize};

/// The reference workload shared by every host's benchmark (see the file's description).
const WORKLOAD: &str = include_str!("workload-identity-10.json");

/// The workload's policy set and request.
fn workload() -> (PolicySet, Request) {
    let root: serde_json::Value = serde_json::from_str(WORKLOAD).expect("workload JSON");
    let set = PolicySetSpec::from_json_str(&root["policies"].to_string())
        .expect("workload set")
        .build()
        .expect("set builds");
    let request = Request::from_json_str(&root["request"].to_string()).expect("workload request");
    (set, request)
}

/// A policy of `n` statements, the allowing one last. Identity policies cannot
/// hold 200 statements within IAM's size limits, so the large ones are resource
/// policies (no size limit of their own) naming the caller's role.
fn n_statement_policy(n: usize, principal: bool) -> String {
    let p = if principal {
        r#""Principal":{"AWS":"arn:aws:iam::222222222222:role/reader"},"#
    } else {
        ""
    };
    let mut statements: Vec<String> = (0..n.saturating_sub(1))
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i}","Effect":"Allow",{p}"Action":"dynamodb:Scan","Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/t{i}","Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"t{i}"}}}}}}"#
            )
        })
        .collect();
    statements.push(
        format!(r#"{{"Sid":"Last","Effect":"Allow",{p}"Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders"}}"#),
    );
    format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","))
}

fn cross_account_assume_role() -> (PolicySet, Request) {
    let identity = Policy::parse(
        PolicyKind::Identity,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/dynamodb-reader"}]}"#,
    )
    .expect("identity policy");
    let trust = Policy::parse(
        PolicyKind::Trust,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/workload"},"Action":"sts:AssumeRole",
        "Condition":{"StringEquals":{"sts:ExternalId":"orders-7f3a","aws:PrincipalTag/team":"orders"}}}]}"#,
    )
    .expect("trust policy");
    let request = Request {
        principal: Principal::AssumedRole {
            arn: "arn:aws:sts::111111111111:assumed-role/workload/pod".into(),
            role_arn: Some("arn:aws:iam::111111111111:role/workload".into()),
        },
        action: "sts:AssumeRole".into(),
        resource: "arn:aws:iam::222222222222:role/dynamodb-reader".into(),
        resource_account: None,
        context: Context::new()
            .with("sts:ExternalId", "orders-7f3a")
            .with("aws:PrincipalTag/team", "orders"),
    };
    (
        PolicySet {
            identity: vec![identity],
            resource: Some(trust),
            ..PolicySet::default()
        },
        request,
    )
}

fn decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));

    let (set, request) = workload();
    assert!(authorize(&set, &request).is_allowed());
    group.bench_function("identity_10_statements_get_item", |b| {
        b.iter(|| authorize(black_box(&set), black_box(&request)))
    });

    let (cross, assume) = cross_account_assume_role();
    assert!(authorize(&cross, &assume).is_allowed());
    group.bench_function("cross_account_assume_role", |b| {
        b.iter(|| authorize(black_box(&cross), black_box(&assume)))
    });

    let big = PolicySet {
        resource: Some(
            Policy::parse(PolicyKind::Resource, &n_statement_policy(200, true)).expect("200-statement policy"),
        ),
        ..PolicySet::default()
    };
    assert!(authorize(&big, &request).is_allowed());
    group.bench_function("resource_200_statements", |b| {
        b.iter(|| authorize(black_box(&big), black_box(&request)))
    });

    // Baseline: serde_json reading the request's JSON, a unit of work every host pays anyway.
    let request_json = serde_json::to_string(&request).expect("request json");
    group.bench_function("baseline_serde_json_parse_request", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&request_json)))
    });
    group.finish();
}

fn growth(c: &mut Criterion) {
    let mut group = c.benchmark_group("decide_by_statement_count");
    let (_, request) = workload();
    for n in [1usize, 10, 50, 100, 200, 400] {
        let set = PolicySet {
            resource: Some(Policy::parse(PolicyKind::Resource, &n_statement_policy(n, true)).expect("policy")),
            ..PolicySet::default()
        };
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(n), &set, |b, set| {
            b.iter(|| authorize(black_box(set), black_box(&request)))
        });
    }
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    // The 10-statement policy (about 3 KiB) and a 40-statement one (about 8 KiB, within the inline limit).
    let root: serde_json::Value = serde_json::from_str(WORKLOAD).expect("workload JSON");
    let ten = root["policies"]["identity"][0]["document"]
        .as_str()
        .expect("document")
        .to_string();
    for (name, text) in [("10_statements", ten), ("40_statements", n_statement_policy(40, false))] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        assert!(Policy::parse(PolicyKind::Identity, &text).is_ok());
        group.bench_with_input(BenchmarkId::new("policy_parse", name), &text, |b, text| {
            b.iter(|| Policy::parse(PolicyKind::Identity, black_box(text)))
        });
        group.bench_with_input(BenchmarkId::new("baseline_serde_json_value", name), &text, |b, text| {
            b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(text)))
        });
    }
    group.finish();
}

criterion_group!(benches, decisions, growth, parsing);
criterion_main!(benches);
