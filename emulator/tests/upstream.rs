//! `rolechain serve --dynamodb-upstream URL` against a fake upstream in this
//! process: a DynamoDB-shaped HTTP server that verifies every request's SigV4
//! signature against the upstream's credentials, records what reached it and
//! answers canned JSON. Authorization stays in rolechain: denied requests
//! never reach the upstream; allowed ones do, re-signed with the upstream's
//! key; the upstream's errors come back as they were; an upstream that
//! cannot be reached is an InternalServerError naming it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

mod common;
use common::Served;
const UPSTREAM_KEY: &str = "AKIDUPSTREAMEXAMPLE1";
const UPSTREAM_SECRET: &str = "upstream/secret/not-a-real-one";
const UPSTREAM_REGION: &str = "us-east-1";
const ADMIN_KEY: &str = "AKIAROLECHAINADMINBB";
const ADMIN_SECRET: &str = "rolechain/admin/222222222222/not-a-real-secret";

/// What reached the fake upstream: operation, body, and whether its
/// signature verified with the upstream's credentials (and their scope).
#[derive(Debug, Clone)]
struct Received {
    operation: String,
    body: Value,
    verified: Result<(), String>,
}

type Log = Arc<Mutex<Vec<Received>>>;

fn verify(headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let request = rolechain_sigv4::SignedRequest::new("POST", "/", "", &pairs, body);
    let auth = rolechain_sigv4::parse_auth(&request).map_err(|e| format!("{e:?}"))?;
    if auth.access_key_id != UPSTREAM_KEY {
        return Err(format!("signed with {}", auth.access_key_id));
    }
    if (auth.region.as_str(), auth.service.as_str()) != (UPSTREAM_REGION, "dynamodb") {
        return Err(format!("scope {}", auth.credential_scope()));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    rolechain_sigv4::verify(&request, &auth, UPSTREAM_SECRET, now).map_err(|e| format!("{e:?}"))
}

/// The fake upstream's answers: table `things` (key `pk`) exists, nothing else does.
fn answer(operation: &str, body: &Value) -> (StatusCode, Value) {
    let table = body["TableName"].as_str().unwrap_or_default();
    let not_found = json!({
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found",
    });
    match (operation, table) {
        ("DescribeTable", "things") => (
            StatusCode::OK,
            json!({ "Table": {
                "TableName": "things",
                "TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/things",
                "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }],
                "AttributeDefinitions": [{ "AttributeName": "pk", "AttributeType": "S" }],
                "TableStatus": "ACTIVE",
            }}),
        ),
        ("GetItem", "things") => (StatusCode::OK, json!({ "Item": body["Key"].clone() })),
        ("PutItem", "things") | ("ListTagsOfResource", _) => (StatusCode::OK, json!({})),
        ("ListTables", _) => (StatusCode::OK, json!({ "TableNames": ["things"] })),
        _ => (StatusCode::BAD_REQUEST, not_found),
    }
}

/// Starts the fake upstream on 127.0.0.1:0 on its own runtime thread.
fn fake_upstream() -> (SocketAddr, Log) {
    let log: Log = Arc::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = log.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
                let log = shared.clone();
                async move {
                    let operation = headers
                        .get("x-amz-target")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|t| t.strip_prefix("DynamoDB_20120810."))
                        .unwrap_or_default()
                        .to_string();
                    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let verified = verify(&headers, &body);
                    let (status, answer) = match &verified {
                        Ok(()) => answer(&operation, &parsed),
                        Err(e) => (
                            StatusCode::BAD_REQUEST,
                            json!({ "__type": "com.amazon.coral.service#InvalidSignatureException", "message": e }),
                        ),
                    };
                    log.lock().unwrap().push(Received {
                        operation,
                        body: parsed,
                        verified,
                    });
                    let text = answer.to_string();
                    let crc = crc32fast::hash(text.as_bytes()).to_string();
                    (
                        status,
                        [
                            ("content-type", "application/x-amz-json-1.0".to_string()),
                            ("x-amz-crc32", crc),
                        ],
                        text,
                    )
                }
            });
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    (addr, log)
}

struct Server {
    served: Served,
}

impl Server {
    fn start(upstream: &str) -> Server {
        let served = Served::start(|command| {
            command
                .args(["--dynamodb-upstream", upstream])
                .env("ROLECHAIN_UPSTREAM_ACCESS_KEY_ID", UPSTREAM_KEY)
                .env("ROLECHAIN_UPSTREAM_SECRET_ACCESS_KEY", UPSTREAM_SECRET)
                .env("ROLECHAIN_UPSTREAM_REGION", UPSTREAM_REGION)
                .env_remove("ROLECHAIN_UPSTREAM_SESSION_TOKEN");
        });
        Server { served }
    }

    /// A DynamoDB call signed by the seed world's admin of 222222222222:
    /// (status, body, x-amz-crc32).
    async fn call(&self, operation: &str, body: Value) -> (u16, Value, Option<String>) {
        let body = body.to_string();
        let authority = self.served.authority().to_string();
        let target = format!("DynamoDB_20120810.{operation}");
        let headers = [
            ("host", authority.as_str()),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target.as_str()),
        ];
        let identity: Identity = Credentials::new(ADMIN_KEY, ADMIN_SECRET, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-west-2")
            .name("dynamodb")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let url = format!("{}/", self.served.endpoint());
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut builder = http::Request::post(url.as_str());
        for (n, v) in headers {
            builder = builder.header(n, v);
        }
        let mut request = builder.body(Full::new(Bytes::from(body))).unwrap();
        instructions.apply_to_request_http1x(&mut request);
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let response = client.request(request).await.unwrap();
        let status = response.status().as_u16();
        let crc = response
            .headers()
            .get("x-amz-crc32")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({ "raw": String::from_utf8_lossy(&bytes) }));
        (status, value, crc)
    }

    /// The audit events of one operation, oldest first.
    async fn audit(&self, operation: &str) -> Vec<Value> {
        let url = format!("{}/_rolechain/audit?eventName={operation}", self.served.endpoint());
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let request = http::Request::get(url).body(Full::new(Bytes::new())).unwrap();
        let response = client.request(request).await.unwrap();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        answer["events"].as_array().cloned().unwrap_or_default()
    }
}

fn received(log: &Log, operation: &str) -> Vec<Received> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|r| r.operation == operation)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_requests_are_forwarded_re_signed_and_answered_as_is() {
    let (addr, log) = fake_upstream();
    let server = Server::start(&format!("http://{addr}"));

    // An ARN of the caller's account becomes the table's name upstream.
    let key = json!({ "pk": { "S": "alice" } });
    let arn = "arn:aws:dynamodb:eu-west-2:222222222222:table/things";
    let (status, body, crc) = server.call("GetItem", json!({ "TableName": arn, "Key": key })).await;
    assert_eq!((status, &body), (200, &json!({ "Item": key })));
    let crc = crc.expect("x-amz-crc32");
    assert_eq!(crc, crc32fast::hash(body.to_string().as_bytes()).to_string());

    let gets = received(&log, "GetItem");
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].verified, Ok(()), "re-signed with the upstream's key");
    assert_eq!(gets[0].body, json!({ "TableName": "things", "Key": key }));
    // The key schema came from the upstream, once: later calls use the cache.
    let (status, _, _) = server
        .call("GetItem", json!({ "TableName": "things", "Key": key }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(received(&log, "DescribeTable").len(), 1);

    // An error of the upstream comes back as it was, and the audit records it.
    let (status, body, _) = server
        .call(
            "PutItem",
            json!({ "TableName": "nope", "Item": { "pk": { "S": "x" } } }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    let events = server.audit("PutItem").await;
    assert_eq!(events.last().unwrap()["errorCode"], "ResourceNotFoundException");
    let events = server.audit("GetItem").await;
    assert!(
        events.iter().all(|e| e.get("errorCode").is_none_or(Value::is_null)),
        "{events:?}"
    );

    // The upstream's table has the upstream's ARN.
    let (status, _, _) = server.call("ListTagsOfResource", json!({ "ResourceArn": arn })).await;
    assert_eq!(status, 200);
    assert_eq!(
        received(&log, "ListTagsOfResource")[0].body["ResourceArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/things"
    );
    assert!(log.lock().unwrap().iter().all(|r| r.verified.is_ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_requests_never_reach_the_upstream() {
    let (addr, log) = fake_upstream();
    let server = Server::start(&format!("http://{addr}"));

    // Resource policies stay in rolechain: this one is answered here and
    // denies GetItem and PutItem on the partition "secret", which takes the
    // key schema the upstream describes.
    let arn = "arn:aws:dynamodb:eu-west-2:222222222222:table/things";
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Principal": { "AWS": "arn:aws:iam::222222222222:user/admin" },
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": arn,
            "Condition": { "ForAnyValue:StringEquals": { "dynamodb:LeadingKeys": ["secret"] } },
        }],
    });
    let (status, body, _) = server
        .call(
            "PutResourcePolicy",
            json!({ "ResourceArn": arn, "Policy": policy.to_string() }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["RevisionId"].is_string());
    let (status, body, _) = server.call("GetResourcePolicy", json!({ "ResourceArn": arn })).await;
    assert_eq!(status, 200, "{body}");
    assert!(received(&log, "PutResourcePolicy").is_empty());
    assert!(received(&log, "GetResourcePolicy").is_empty());

    let secret = json!({ "pk": { "S": "secret" } });
    let (status, body, _) = server
        .call("PutItem", json!({ "TableName": "things", "Item": secret }))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "com.amazon.coral.service#AccessDeniedException");
    let (status, _, _) = server
        .call("GetItem", json!({ "TableName": "things", "Key": secret }))
        .await;
    assert_eq!(status, 400);
    assert!(
        received(&log, "PutItem").is_empty(),
        "a denied PutItem reached the upstream"
    );
    assert!(
        received(&log, "GetItem").is_empty(),
        "a denied GetItem reached the upstream"
    );
    let events = server.audit("PutItem").await;
    assert_eq!(events.last().unwrap()["errorCode"], "AccessDeniedException");

    // Another partition is allowed, and forwarded.
    let open = json!({ "pk": { "S": "open" } });
    let (status, _, _) = server
        .call("PutItem", json!({ "TableName": "things", "Item": open }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(received(&log, "PutItem").len(), 1);

    // With the policy gone, the partition is open too.
    let (status, _, _) = server.call("DeleteResourcePolicy", json!({ "ResourceArn": arn })).await;
    assert_eq!(status, 200);
    let (status, _, _) = server
        .call("PutItem", json!({ "TableName": "things", "Item": secret }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(received(&log, "PutItem").len(), 2);
    // A policy for a table the upstream does not have: ResourceNotFoundException.
    let missing = "arn:aws:dynamodb:eu-west-2:222222222222:table/missing";
    let (status, body, _) = server
        .call(
            "PutResourcePolicy",
            json!({ "ResourceArn": missing, "Policy": policy.to_string() }),
        )
        .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"))
    );
    assert!(log.lock().unwrap().iter().all(|r| r.verified.is_ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_an_internal_server_error_naming_it() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let server = Server::start(&url);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "serve waited for its upstream"
    );
    for (operation, body) in [
        ("ListTables", json!({})),
        (
            "PutItem",
            json!({ "TableName": "things", "Item": { "pk": { "S": "a" } } }),
        ),
    ] {
        let (status, body, _) = server.call(operation, body).await;
        assert_eq!(status, 500, "{operation}: {body}");
        assert_eq!(body["__type"], "com.amazonaws.dynamodb.v20120810#InternalServerError");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(&url), "{message}");
        let events = server.audit(operation).await;
        assert_eq!(events.last().unwrap()["errorCode"], "InternalServerError");
    }
}
