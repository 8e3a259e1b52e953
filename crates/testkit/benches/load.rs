//! DynamoDB GetItem under load over loopback HTTP, enforcement on.
//!
//! The seed's emulator (wasm evaluator) is served on 127.0.0.1 from this
//! process, on a runtime of its own (2 worker threads named `server`, as
//! `rolechain serve` runs). Credentials come through the seed's chain (a
//! service-account token, AssumeRoleWithWebIdentity into account A's ccoctl
//! role, AssumeRole into B's dynamodb-reader), so every GetItem verifies SigV4
//! and the session and is decided by the reader's identity policy in wasm, and
//! leaves an audit event. The load comes from a second runtime (2 worker
//! threads named `client`) with many concurrent tasks; both runtimes share the
//! machine's cores, so the figures are what client and server reach together.
//!
//! Two clients, one after the other:
//! - `sdk`: one shared `aws_sdk_dynamodb::Client` (its default hyper client,
//!   signing every request), as an application under load would use it;
//! - `lean`: one shared hyper client; each request built by hand and signed by
//!   `aws-sigv4` (no SDK orchestration, serialisation or retries).
//!
//! Run: `cargo bench -p rolechain-testkit --bench load [-- --seconds 10 --tasks 64[,8,...] --client sdk|lean|both]`.
//! With several task counts, each client runs once per count, in that order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rolechain_testkit::Lab;

const CCOCTL_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";
const GET_BODY: &str = r#"{"TableName":"orders","Key":{"customer":{"S":"alice"},"order_id":{"S":"2026-0001"}}}"#;

struct Args {
    seconds: u64,
    warmup: u64,
    tasks: Vec<usize>,
    client: String,
    server_threads: usize,
    client_threads: usize,
}

fn args() -> Args {
    let mut out = Args {
        seconds: 10,
        warmup: 2,
        tasks: vec![64],
        client: "both".into(),
        server_threads: 2,
        client_threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().expect("a value after the flag");
        match a.as_str() {
            "--seconds" => out.seconds = value().parse().unwrap(),
            "--warmup" => out.warmup = value().parse().unwrap(),
            "--tasks" => out.tasks = value().split(',').map(|t| t.parse().unwrap()).collect(),
            "--client" => out.client = value(),
            "--server-threads" => out.server_threads = value().parse().unwrap(),
            "--client-threads" => out.client_threads = value().parse().unwrap(),
            _ => {} // cargo bench passes --bench
        }
    }
    out
}

/// Session credentials of B's reader, reached through the seed's chain.
async fn reader_credentials(lab: &Lab) -> (String, String, String) {
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
    let pod = lab.web_identity_config(CCOCTL_ROLE, &token).await;
    let hop = aws_sdk_sts::Client::new(&pod)
        .assume_role()
        .role_arn(READER_ROLE)
        .role_session_name("load")
        .send()
        .await
        .expect("AssumeRole into the reader");
    let c = hop.credentials().expect("credentials");
    (
        c.access_key_id().to_string(),
        c.secret_access_key().to_string(),
        c.session_token().to_string(),
    )
}

/// What one run measured: latencies in µs of successful calls, and errors.
struct Run {
    latencies_us: Vec<u32>,
    errors: u64,
    elapsed: Duration,
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index] as f64 / 1000.0
}

fn print_run(name: &str, tasks: usize, mut run: Run) -> (f64, f64, f64) {
    run.latencies_us.sort_unstable();
    let n = run.latencies_us.len();
    let rate = n as f64 / run.elapsed.as_secs_f64();
    let (p50, p99, p999) = (
        percentile(&run.latencies_us, 0.50),
        percentile(&run.latencies_us, 0.99),
        percentile(&run.latencies_us, 0.999),
    );
    let max = run.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0;
    println!(
        "{name:5} {tasks:4} tasks  {rate:9.0} GetItem/s  p50 {p50:.3} ms  p99 {p99:.3} ms  p99.9 {p999:.3} ms  max {max:.3} ms  ({n} calls in {:.1} s, {} errors)",
        run.elapsed.as_secs_f64(),
        run.errors
    );
    (rate, p99, p999)
}

/// Runs `tasks` copies of `call` on `runtime` for warm-up then `seconds`;
/// each call's latency is recorded after the warm-up only.
fn drive<F, Fut>(runtime: &tokio::runtime::Runtime, tasks: usize, warmup: u64, seconds: u64, call: F) -> Run
where
    F: Fn() -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let call = call.clone();
            let recording = recording.clone();
            let stop = stop.clone();
            runtime.spawn(async move {
                let mut latencies = Vec::with_capacity(1 << 16);
                let mut errors = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    let ok = call().await;
                    let took = start.elapsed();
                    if recording.load(Ordering::Relaxed) {
                        if ok {
                            latencies.push(took.as_micros().min(u32::MAX as u128) as u32);
                        } else {
                            errors += 1;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(warmup));
    recording.store(true, Ordering::Relaxed);
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    recording.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut run = Run {
        latencies_us: Vec::new(),
        errors: 0,
        elapsed,
    };
    for handle in handles {
        let (latencies, errors) = runtime.block_on(handle).expect("a load task");
        run.latencies_us.extend(latencies);
        run.errors += errors;
    }
    run
}

fn main() {
    let args = args();
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .thread_name("server")
        .enable_all()
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .thread_name("client")
        .enable_all()
        .build()
        .unwrap();

    let lab = server.block_on(Lab::seed());
    let listening = server.block_on(lab.serve_loopback());
    let endpoint = listening.endpoint_url();
    let (key, secret, token) = server.block_on(reader_credentials(&lab));
    println!(
        "rolechain DynamoDB GetItem over loopback ({endpoint}), wasm evaluator, signed by B's dynamodb-reader session \
         (seed chain); server runtime {} threads, client runtime {} threads, on {} cores shared by both; \
         {} s measured after {} s warm-up",
        args.server_threads,
        args.client_threads,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        args.seconds,
        args.warmup
    );

    let mut summary = Vec::new();
    if args.client == "sdk" || args.client == "both" {
        let config = client_rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_types::region::Region::new("eu-west-2"))
                .endpoint_url(&endpoint)
                .credentials_provider(Credentials::new(&key, &secret, Some(token.clone()), None, "load"))
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .load(),
        );
        let db = aws_sdk_dynamodb::Client::new(&config);
        // It answers the item before it is timed.
        let got = client_rt
            .block_on(
                db.get_item()
                    .table_name("orders")
                    .key("customer", AttributeValue::S("alice".into()))
                    .key("order_id", AttributeValue::S("2026-0001".into()))
                    .send(),
            )
            .expect("GetItem through the SDK");
        assert_eq!(
            got.item().and_then(|i| i.get("total")),
            Some(&AttributeValue::N("42.5".into()))
        );
        for &tasks in &args.tasks {
            let db = db.clone();
            let run = drive(&client_rt, tasks, args.warmup, args.seconds, move || {
                let db = db.clone();
                async move {
                    db.get_item()
                        .table_name("orders")
                        .key("customer", AttributeValue::S("alice".into()))
                        .key("order_id", AttributeValue::S("2026-0001".into()))
                        .send()
                        .await
                        .is_ok_and(|o| o.item().is_some())
                }
            });
            summary.push(("sdk", tasks, print_run("sdk", tasks, run)));
        }
    }
    if args.client == "lean" || args.client == "both" {
        let http: HyperClient<HttpConnector, Full<Bytes>> = HyperClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(args.tasks.iter().copied().max().unwrap_or(64))
            .build_http();
        let identity: Identity = Credentials::new(&key, &secret, Some(token.clone()), None, "load").into();
        let uri: http::Uri = format!("{endpoint}/").parse().unwrap();
        let host = uri.authority().unwrap().to_string();
        let shared = Arc::new((http, identity, uri, host));
        let call = move || {
            let shared = shared.clone();
            async move {
                let (http, identity, uri, host) = &*shared;
                let mut request = http::Request::builder()
                    .method("POST")
                    .uri(uri.clone())
                    .header("host", host.as_str())
                    .header("content-type", "application/x-amz-json-1.0")
                    .header("x-amz-target", "DynamoDB_20120810.GetItem")
                    .body(Full::new(Bytes::from_static(GET_BODY.as_bytes())))
                    .unwrap();
                let signable = SignableRequest::new(
                    "POST",
                    uri.to_string(),
                    request.headers().iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())),
                    SignableBody::Bytes(GET_BODY.as_bytes()),
                )
                .unwrap();
                let params = v4::SigningParams::builder()
                    .identity(identity)
                    .region("eu-west-2")
                    .name("dynamodb")
                    .time(SystemTime::now())
                    .settings(SigningSettings::default())
                    .build()
                    .unwrap()
                    .into();
                let (instructions, _) = sign(signable, &params).unwrap().into_parts();
                instructions.apply_to_request_http1x(&mut request);
                match http.request(request).await {
                    Ok(response) => {
                        let ok = response.status() == 200;
                        let body = response.into_body().collect().await.map(|b| b.to_bytes());
                        ok && body.is_ok_and(|b| b.starts_with(b"{\"Item\""))
                    }
                    Err(_) => false,
                }
            }
        };
        assert!(client_rt.block_on(call()), "GetItem through the lean client");
        for &tasks in &args.tasks {
            let run = drive(&client_rt, tasks, args.warmup, args.seconds, call.clone());
            summary.push(("lean", tasks, print_run("lean", tasks, run)));
        }
    }
    for (name, tasks, (rate, p99, p999)) in summary {
        println!(
            "target {name} at {tasks} tasks: >= 20,000 GetItem/s {} ({rate:.0}); p99 <= 2 ms {} ({p99:.3} ms; p99.9 {p999:.3} ms)",
            if rate >= 20_000.0 { "holds" } else { "does not hold" },
            if p99 <= 2.0 { "holds" } else { "does not hold" },
        );
    }
    let kept = lab.audit(&rolechain::audit::AuditFilter::default()).len();
    println!("audit events kept in memory at the end: {kept}");
    server.block_on(listening.stop());
}
