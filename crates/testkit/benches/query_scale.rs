//! DynamoDB Query of one partition against table size, and memory per item.
//!
//! The seed's `orders` table is filled, in process through
//! `Emulator::dynamodb.execute("PutItem", …)`, to 10^3, 10^4, 10^5 and 10^6
//! items (10 orders per customer: 100 to 100,000 partitions). At each size:
//!
//! - `store`: Query of one customer's 10 orders through `execute` (the JSON
//!   request parsed, the key condition planned, the range read, the answer
//!   built as JSON), the partition chosen round-robin over 1,000 customers
//!   spread across the table so the caches see a realistic spread;
//! - `full path`: the same Query by B's dynamodb-reader (session through the
//!   seed's chain) through the AWS SDK for Rust in process (the testkit's
//!   client, no sockets): SigV4, session, the reader's policy in wasm, audit,
//!   the store, the SDK's own serialisation;
//! - memory: VmRSS of this process before and after each fill (the audit log
//!   is not touched by `execute`, so the delta is the table's).
//!
//! Run: `cargo bench -p rolechain-testkit --bench query_scale [-- --max 1000000 --queries 20000]`.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use rolechain_testkit::Lab;
use serde_json::json;

const CCOCTL_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";
const ACCOUNT: &str = "222222222222";
const REGION: &str = "eu-west-2";
const PER_PARTITION: usize = 10;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn customer(partition: usize) -> String {
    format!("customer-{partition:07}")
}

fn item(n: usize) -> serde_json::Value {
    let p = n / PER_PARTITION;
    let o = n % PER_PARTITION;
    json!({
        "TableName": "orders",
        "Item": {
            "customer": {"S": customer(p)},
            "order_id": {"S": format!("2026-{o:04}")},
            "status": {"S": if o.is_multiple_of(3) { "shipped" } else { "open" }},
            "total": {"N": format!("{}.{:02}", (n * 7) % 500, n % 100)},
        }
    })
}

fn query(partition: usize) -> serde_json::Value {
    json!({
        "TableName": "orders",
        "KeyConditionExpression": "customer = :c",
        "ExpressionAttributeValues": {":c": {"S": customer(partition)}},
    })
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let mut max = 1_000_000usize;
    let mut queries = 20_000usize;
    let mut sdk_queries = 5_000usize;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--max" => max = it.next().unwrap().parse().unwrap(),
            "--queries" => queries = it.next().unwrap().parse().unwrap(),
            "--sdk-queries" => sdk_queries = it.next().unwrap().parse().unwrap(),
            _ => {} // cargo bench passes --bench
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let lab = runtime.block_on(Lab::seed());
    let db = runtime.block_on(async {
        let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
        let pod = lab.web_identity_config(CCOCTL_ROLE, &token).await;
        let hop = aws_sdk_sts::Client::new(&pod)
            .assume_role()
            .role_arn(READER_ROLE)
            .role_session_name("query-scale")
            .send()
            .await
            .unwrap();
        let c = hop.credentials().unwrap();
        aws_sdk_dynamodb::Client::new(&lab.static_session_config(
            c.access_key_id(),
            c.secret_access_key(),
            c.session_token(),
        ))
    });
    let tables = &lab.emulator().dynamodb;
    let now = lab.clock().now();

    println!(
        "Query of one partition ({PER_PARTITION} items) of `orders` against the table's size; store = Tables::execute \
         in process, full path = B's reader through the AWS SDK for Rust in process (SigV4, session, wasm policy, audit)"
    );
    println!(
        "{:>9} {:>11} {:>11} {:>11} {:>12} {:>12} {:>12} {:>13} {:>12}",
        "items", "store p50", "store p99", "store mean", "full p50", "full p99", "fill s", "RSS delta", "bytes/item"
    );
    let rss_start = rss_kib();
    let mut filled = 0usize;
    let mut size = 1_000usize;
    let mut rows = Vec::new();
    while size <= max {
        let before = rss_kib();
        let fill = Instant::now();
        while filled < size {
            tables
                .execute(ACCOUNT, REGION, "PutItem", &item(filled), now)
                .expect("PutItem");
            filled += 1;
        }
        let fill_seconds = fill.elapsed().as_secs_f64();
        let after = rss_kib();
        let partitions = size / PER_PARTITION;
        let probes: Vec<usize> = (0..1000).map(|i| (i * partitions) / 1000).collect();
        let requests: Vec<serde_json::Value> = probes.iter().map(|&p| query(p)).collect();

        // Warm-up, and a check of what comes back.
        for r in requests.iter().take(100) {
            let answer = tables.execute(ACCOUNT, REGION, "Query", r, now).expect("Query");
            assert_eq!(answer["Count"], PER_PARTITION, "{answer}");
        }
        let mut store = Vec::with_capacity(queries);
        let all = Instant::now();
        for i in 0..queries {
            let r = &requests[i % requests.len()];
            let start = Instant::now();
            let answer = tables.execute(ACCOUNT, REGION, "Query", r, now).expect("Query");
            store.push(start.elapsed());
            std::hint::black_box(answer);
        }
        let store_mean = all.elapsed() / queries as u32;
        store.sort_unstable();

        let mut full = Vec::with_capacity(sdk_queries);
        runtime.block_on(async {
            for i in 0..(sdk_queries + 200) {
                let p = probes[i % probes.len()];
                let start = Instant::now();
                let page = db
                    .query()
                    .table_name("orders")
                    .key_condition_expression("customer = :c")
                    .expression_attribute_values(":c", AttributeValue::S(customer(p)))
                    .send()
                    .await
                    .expect("Query through the SDK");
                if i >= 200 {
                    full.push(start.elapsed());
                }
                assert_eq!(page.count(), PER_PARTITION as i32);
            }
        });
        full.sort_unstable();

        let delta_kib = after.saturating_sub(before);
        let added = if rows.is_empty() { size } else { size - size / 10 };
        let bytes_per_item = delta_kib as f64 * 1024.0 / added as f64;
        println!(
            "{:>9} {:>9.2}µs {:>9.2}µs {:>9.2}µs {:>10.2}µs {:>10.2}µs {:>12.2} {:>10.1} MiB {:>12.0}",
            size,
            micros(percentile(&store, 0.5)),
            micros(percentile(&store, 0.99)),
            micros(store_mean),
            micros(percentile(&full, 0.5)),
            micros(percentile(&full, 0.99)),
            fill_seconds,
            delta_kib as f64 / 1024.0,
            bytes_per_item
        );
        rows.push((size, percentile(&store, 0.5), percentile(&full, 0.5)));
        size *= 10;
    }
    let total_mib = rss_kib().saturating_sub(rss_start) as f64 / 1024.0;
    println!(
        "RSS grew {total_mib:.1} MiB for {filled} items: {:.1} MiB per million items ({:.0} bytes per item)",
        total_mib * 1e6 / filled as f64,
        total_mib * 1024.0 * 1024.0 / filled as f64
    );
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        println!(
            "store p50 at {} items ÷ at {} items: {:.2}×; full path: {:.2}×",
            last.0,
            first.0,
            last.1.as_secs_f64() / first.1.as_secs_f64(),
            last.2.as_secs_f64() / first.2.as_secs_f64()
        );
    }
}
