//! STS through the AWS SDK for Rust: in process (the testkit's client, no
//! sockets) and over loopback HTTP, with the wasm evaluator deciding.
//!
//! The baseline, measured in the same run on each path, is a call the
//! emulator refuses before doing any work (a RoleSessionName too short): the
//! SDK's own cost plus the transport. Run: `cargo bench -p rolechain-testkit --bench sts`.

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_types::region::Region;
use criterion::{Criterion, criterion_group, criterion_main};
use rolechain_testkit::{Lab, SEED_ADMIN_A};

const CCOCTL_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let lab = runtime.block_on(Lab::seed());
    let listening = runtime.block_on(lab.serve_loopback());
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);

    let in_process = lab.static_config(SEED_ADMIN_A.0, SEED_ADMIN_A.1);
    let loopback = runtime.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("eu-west-2"))
            .endpoint_url(listening.endpoint_url())
            .credentials_provider(Credentials::new(SEED_ADMIN_A.0, SEED_ADMIN_A.1, None, None, "bench"))
            .load(),
    );

    for (path, config) in [("in-process", &in_process), ("loopback", &loopback)] {
        let admin = aws_sdk_sts::Client::new(config);
        // A session of the ccoctl role, to sign AssumeRole with (a chained hop, as in the seed).
        let pod = runtime.block_on(async {
            let out = admin
                .assume_role_with_web_identity()
                .role_arn(CCOCTL_ROLE)
                .role_session_name("bench")
                .web_identity_token(&token)
                .send()
                .await
                .unwrap();
            let c = out.credentials().unwrap().clone();
            let creds = Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().into()),
                None,
                "pod",
            );
            aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(config)
                    .credentials_provider(creds)
                    .build(),
            )
        });
        let mut group = c.benchmark_group(format!("sts-{path}"));
        group.bench_function("baseline (refused by validation)", |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let err = admin
                        .assume_role_with_web_identity()
                        .role_arn(CCOCTL_ROLE)
                        .role_session_name("x")
                        .web_identity_token(&token)
                        .send()
                        .await;
                    assert!(err.is_err());
                })
            })
        });
        group.bench_function("AssumeRoleWithWebIdentity", |b| {
            b.iter(|| {
                runtime.block_on(async {
                    admin
                        .assume_role_with_web_identity()
                        .role_arn(CCOCTL_ROLE)
                        .role_session_name("bench")
                        .web_identity_token(&token)
                        .send()
                        .await
                        .unwrap()
                })
            })
        });
        group.bench_function("AssumeRole (cross-account, chained)", |b| {
            b.iter(|| {
                runtime.block_on(async {
                    pod.assume_role()
                        .role_arn(READER_ROLE)
                        .role_session_name("bench")
                        .send()
                        .await
                        .unwrap()
                })
            })
        });
        group.bench_function("GetCallerIdentity", |b| {
            b.iter(|| runtime.block_on(async { pod.get_caller_identity().send().await.unwrap() }))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
