//! `rolechain serve --state-dir`: every acknowledged write survives `kill -9`.
//!
//! The real binary, real sockets, requests signed with SigV4 (aws-sigv4) by
//! the seed world's admin of account 222222222222. Writers stream PutItem and
//! UpdateItem (ADD) from several threads and record each acknowledged write;
//! the emulator is killed with SIGKILL mid-stream and restarted on the same
//! directory, and every acknowledged write must be there (a write in flight
//! when the process died may or may not be).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{Value, json};

mod common;
use common::Served;
const KEY: &str = "AKIAROLECHAINADMINBB";
const SECRET: &str = "rolechain/admin/222222222222/not-a-real-secret";
const REGION: &str = "eu-west-2";

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        TempDir(std::env::temp_dir().join(format!("rolechain-it-{name}-{}-{nanos}", std::process::id())))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Server {
    served: Served,
    /// `127.0.0.1:PORT`
    authority: String,
}

impl Server {
    fn start(state_dir: Option<&Path>) -> Server {
        let served = Served::start(|command| {
            if let Some(dir) = state_dir {
                command.arg("--state-dir").arg(dir);
            }
        });
        let authority = served.authority().to_string();
        Server { served, authority }
    }

    fn kill9(mut self) {
        self.served.signal("9");
    }

    fn stop(mut self) {
        self.served.signal("TERM");
    }
}

/// One keep-alive HTTP/1.1 connection that signs what it sends.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    authority: String,
}

impl Client {
    fn connect(authority: &str) -> Client {
        let stream = TcpStream::connect(authority).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            authority: authority.to_string(),
        }
    }

    /// POST / signed for `service`: (status, body), or Err when the
    /// connection broke (the emulator died).
    fn post(
        &mut self,
        service: &str,
        region: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<(u16, Value)> {
        let mut all: Vec<(String, String)> = vec![("host".into(), self.authority.clone())];
        all.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        let identity: Identity = Credentials::new(KEY, SECRET, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name(service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            "POST",
            format!("http://{}/", self.authority),
            all.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let (signed, _) = instructions.into_parts();
        for h in signed {
            all.push((h.name().to_owned(), h.value().to_owned()));
        }
        let mut request = String::from("POST / HTTP/1.1\r\n");
        for (n, v) in &all {
            request.push_str(&format!("{n}: {v}\r\n"));
        }
        request.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.writer.write_all(&bytes)?;
        self.read_answer()
    }

    fn read_answer(&mut self) -> std::io::Result<(u16, Value)> {
        let broken = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(broken());
        }
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(broken)?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(broken());
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(':')
                && n.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        let value =
            serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
        Ok((status, value))
    }

    fn dynamodb(&mut self, operation: &str, input: &Value) -> std::io::Result<(u16, Value)> {
        let target = format!("DynamoDB_20120810.{operation}");
        self.post(
            "dynamodb",
            REGION,
            &[
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", &target),
            ],
            input.to_string().as_bytes(),
        )
    }

    /// A DynamoDB call that must succeed.
    fn ok(&mut self, operation: &str, input: Value) -> Value {
        let (status, body) = self.dynamodb(operation, &input).unwrap();
        assert_eq!(status, 200, "{operation}: {body}");
        body
    }

    /// An IAM awsQuery call: (status, XML body).
    fn iam(&mut self, params: &[(&str, &str)]) -> (u16, String) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Version", "2010-05-08");
        for (k, v) in params {
            form.append_pair(k, v);
        }
        let body = form.finish();
        let (status, answer) = self
            .post(
                "iam",
                "us-east-1",
                &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
                body.as_bytes(),
            )
            .unwrap();
        (
            status,
            answer
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| answer.to_string()),
        )
    }
}

const TABLE: &str = "stream";

/// What one writer thread did: the puts and ADDs acknowledged, and the
/// operation in flight when the connection broke.
#[derive(Debug, Default)]
struct Written {
    puts: BTreeSet<u64>,
    adds: u64,
    in_flight_put: Option<u64>,
    in_flight_add: bool,
}

fn writer(authority: String, thread: usize, acked: Arc<AtomicU64>, stop: Arc<AtomicBool>) -> Written {
    let mut client = Client::connect(&authority);
    let mut done = Written::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    for i in 0u64.. {
        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            break;
        }
        if i % 2 == 0 {
            let put = json!({"TableName": TABLE, "Item": {
                "pk": {"S": format!("w{thread}")}, "sk": {"S": format!("{i:08}")}, "n": {"N": i.to_string()},
                "pad": {"S": "x".repeat(100)}
            }});
            done.in_flight_put = Some(i);
            match client.dynamodb("PutItem", &put) {
                Ok((200, _)) => {
                    done.puts.insert(i);
                }
                Ok((status, body)) => panic!("PutItem answered {status}: {body}"),
                Err(_) => return done,
            }
            done.in_flight_put = None;
        } else {
            let add = json!({"TableName": TABLE,
                "Key": {"pk": {"S": "counters"}, "sk": {"S": format!("w{thread}")}},
                "UpdateExpression": "ADD c :one", "ExpressionAttributeValues": {":one": {"N": "1"}}});
            done.in_flight_add = true;
            match client.dynamodb("UpdateItem", &add) {
                Ok((200, _)) => done.adds += 1,
                Ok((status, body)) => panic!("UpdateItem answered {status}: {body}"),
                Err(_) => return done,
            }
            done.in_flight_add = false;
        }
        acked.fetch_add(1, Ordering::Relaxed);
    }
    done
}

/// Every item of one partition, through Query's pages.
fn partition(client: &mut Client, pk: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut start: Option<Value> = None;
    loop {
        let mut input = json!({"TableName": TABLE, "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": pk}}, "ConsistentRead": true});
        if let Some(s) = start.take() {
            input["ExclusiveStartKey"] = s;
        }
        let page = client.ok("Query", input);
        items.extend(page["Items"].as_array().unwrap().iter().cloned());
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return items,
        }
    }
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    const THREADS: usize = 4;
    let dir = TempDir::new("kill9");
    let server = Server::start(Some(&dir.0));
    let mut client = Client::connect(&server.authority);
    client.ok(
        "CreateTable",
        json!({"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}),
    );

    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (authority, acked, stop) = (server.authority.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || writer(authority, t, acked, stop))
        })
        .collect();
    // Kill mid-stream: once a good number of writes is in, or after a while on a slow disk.
    while acked.load(Ordering::Relaxed) < 600 && started.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    server.kill9();
    stop.store(true, Ordering::Relaxed);
    let written: Vec<Written> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let total: u64 = written.iter().map(|w| w.puts.len() as u64 + w.adds).sum();
    eprintln!(
        "{total} writes acknowledged in {elapsed:?} ({:.0}/s) before kill -9",
        total as f64 / elapsed.as_secs_f64()
    );
    assert!(total > 0, "no write was acknowledged before the kill");

    let server = Server::start(Some(&dir.0));
    let mut client = Client::connect(&server.authority);
    let counters = partition(&mut client, "counters");
    for (t, w) in written.iter().enumerate() {
        let items = partition(&mut client, &format!("w{t}"));
        let found: BTreeSet<u64> = items
            .iter()
            .map(|item| {
                let n: u64 = item["n"]["N"].as_str().unwrap().parse().unwrap();
                assert_eq!(item["sk"]["S"], format!("{n:08}"), "{item}");
                n
            })
            .collect();
        let missing: Vec<&u64> = w.puts.difference(&found).collect();
        assert!(missing.is_empty(), "writer {t}: acknowledged puts lost: {missing:?}");
        let extra: Vec<&u64> = found.difference(&w.puts).collect();
        assert!(
            extra.is_empty() || (extra.len() == 1 && Some(*extra[0]) == w.in_flight_put),
            "writer {t}: puts never sent or acknowledged: {extra:?} (in flight: {:?})",
            w.in_flight_put
        );
        let count: u64 = counters
            .iter()
            .find(|c| c["sk"]["S"] == format!("w{t}"))
            .map(|c| c["c"]["N"].as_str().unwrap().parse().unwrap())
            .unwrap_or(0);
        let allowed = if w.in_flight_add {
            w.adds..=w.adds + 1
        } else {
            w.adds..=w.adds
        };
        assert!(
            allowed.contains(&count),
            "writer {t}: counter {count}, acknowledged ADDs {}, one in flight: {}",
            w.adds,
            w.in_flight_add
        );
    }
    // The world's own table came back too, and the store takes writes again.
    let orders = client.ok("DescribeTable", json!({"TableName": "orders"}));
    assert_eq!(orders["Table"]["TableName"], "orders");
    client.ok(
        "PutItem",
        json!({"TableName": TABLE, "Item": {"pk": {"S": "after"}, "sk": {"S": "restart"}}}),
    );
    server.stop();
}

#[test]
fn iam_changes_survive_kill_9() {
    let dir = TempDir::new("iam");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}"#;
    let inline =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#;
    let server = Server::start(Some(&dir.0));
    let mut client = Client::connect(&server.authority);
    let (status, body) = client.iam(&[
        ("Action", "CreateRole"),
        ("RoleName", "kept-role"),
        ("AssumeRolePolicyDocument", trust),
    ]);
    assert_eq!(status, 200, "{body}");
    let (status, body) = client.iam(&[
        ("Action", "PutRolePolicy"),
        ("RoleName", "kept-role"),
        ("PolicyName", "read"),
        ("PolicyDocument", inline),
    ]);
    assert_eq!(status, 200, "{body}");
    server.kill9();

    let server = Server::start(Some(&dir.0));
    let mut client = Client::connect(&server.authority);
    let (status, body) = client.iam(&[("Action", "GetRole"), ("RoleName", "kept-role")]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("arn:aws:iam::222222222222:role/kept-role"), "{body}");
    let (status, body) = client.iam(&[
        ("Action", "GetRolePolicy"),
        ("RoleName", "kept-role"),
        ("PolicyName", "read"),
    ]);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("dynamodb%3AGetItem"), "{body}");
    // The world's own roles are there too: the directory was seeded from it.
    let (status, body) = client.iam(&[("Action", "GetRole"), ("RoleName", "dynamodb-reader")]);
    assert_eq!(status, 200, "{body}");
    server.stop();
}

/// Writes per second with and without `--state-dir` (not a pass/fail test):
/// `cargo test -p rolechain --test persistence -- --ignored --nocapture`.
#[test]
#[ignore]
fn write_throughput() {
    for threads in [1usize, 8, 32] {
        for persisted in [false, true] {
            let dir = TempDir::new("bench");
            let server = Server::start(persisted.then_some(dir.0.as_path()));
            Client::connect(&server.authority).ok(
                "CreateTable",
                json!({"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]}),
            );
            let acked = Arc::new(AtomicU64::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (authority, acked, stop) = (server.authority.clone(), acked.clone(), stop.clone());
                    std::thread::spawn(move || writer(authority, t, acked, stop))
                })
                .collect();
            std::thread::sleep(Duration::from_secs(3));
            stop.store(true, Ordering::Relaxed);
            for h in handles {
                h.join().unwrap();
            }
            let n = acked.load(Ordering::Relaxed);
            println!(
                "{threads:>2} client threads, {}: {:.0} writes/s (PutItem and UpdateItem ADD alternating)",
                if persisted { "--state-dir" } else { "in memory " },
                n as f64 / 3.0
            );
            server.stop();
        }
    }
}
