//! The seed's chain with the AWS SDK for Rust, as an application in the pod
//! would run it: `rolechain run ... -- target/debug/examples/pod_chain`
//! (tests/pod/test.sh).
//!
//! From the default chain (the ccoctl Secret's web-identity profile, found
//! through AWS_SHARED_CREDENTIALS_FILE; AWS_REGION; AWS_ENDPOINT_URL) to the
//! ccoctl role's session, `AssumeRole` into `dynamodb-reader` of account B,
//! then the orders table: GetItem allowed, PutItem denied in AWS's words, and
//! after 901 s of the emulator's clock the 900-second session refused with
//! `ExpiredTokenException` until the app assumes the role again. Prints each
//! check and exits 1 at the first that fails.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;

const ACCOUNT_A: &str = "111111111111";
const ACCOUNT_B: &str = "222222222222";
const CCOCTL_ROLE: &str = "my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";
const SESSION: &str = "rust-reader";
const TABLE: &str = "orders";

type Outcome = Result<(), String>;

fn check(what: &str, ok: bool, detail: impl std::fmt::Display) -> Outcome {
    if ok {
        println!("ok   {what}");
        Ok(())
    } else {
        Err(format!("{what}: {detail}"))
    }
}

fn alice_1() -> [(String, AttributeValue); 2] {
    [
        ("customer".into(), AttributeValue::S("alice".into())),
        ("order_id".into(), AttributeValue::S("2026-0001".into())),
    ]
}

/// The post's getClient(): AssumeRole with the default credentials, then a
/// DynamoDB client with the session's credentials and the pod's region.
async fn reader_client(config: &aws_config::SdkConfig) -> Result<aws_sdk_dynamodb::Client, String> {
    let answer = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(READER_ROLE)
        .role_session_name(SESSION)
        .duration_seconds(900)
        .send()
        .await
        .map_err(|e| format!("AssumeRole: {}", aws_sdk_sts::error::DisplayErrorContext(e)))?;
    let session = answer.credentials.ok_or("AssumeRole returned no credentials")?;
    let credentials = Credentials::new(
        session.access_key_id,
        session.secret_access_key,
        Some(session.session_token),
        None,
        "AssumeRole",
    );
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(config)
        .credentials_provider(credentials)
        .build();
    Ok(aws_sdk_dynamodb::Client::from_conf(dynamodb))
}

/// `POST /_rolechain/clock` on the emulator's admin API (plain HTTP/1.1).
fn advance_clock(endpoint: &str, seconds: u32) -> Outcome {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or("ROLECHAIN_ENDPOINT is not http://")?
        .trim_end_matches('/');
    let body = format!("{{\"advanceSeconds\":{seconds}}}");
    let mut stream = TcpStream::connect(authority).map_err(|e| format!("connect {authority}: {e}"))?;
    write!(
        stream,
        "POST /_rolechain/clock HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    check("admin API moved the clock", answer.starts_with("HTTP/1.1 200"), &answer)
}

async fn chain() -> Outcome {
    let endpoint =
        std::env::var("ROLECHAIN_ENDPOINT").map_err(|_| "ROLECHAIN_ENDPOINT is not set: run inside `rolechain run`")?;
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    check(
        "region from AWS_REGION",
        config.region().map(|r| r.as_ref()) == Some("eu-west-2"),
        format!("{:?}", config.region()),
    )?;

    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("GetCallerIdentity: {}", aws_sdk_sts::error::DisplayErrorContext(e)))?;
    // The Rust SDK names a web-identity session of a *profile*
    // `web-identity-token-profile-<ms>` unless the profile has
    // `role_session_name`; AWS_ROLE_SESSION_NAME serves only its env-configured
    // provider (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE). The JavaScript SDK
    // and botocore use AWS_ROLE_SESSION_NAME for the profile too.
    let want = format!("arn:aws:sts::{ACCOUNT_A}:assumed-role/{CCOCTL_ROLE}/web-identity-token-profile-");
    let arn = identity.arn().unwrap_or_default();
    check(
        "default credentials: the ccoctl role's web-identity session",
        arn.strip_prefix(want.as_str())
            .is_some_and(|ms| !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit())),
        arn,
    )?;

    let dynamodb = reader_client(&config).await?;
    let item = dynamodb
        .get_item()
        .table_name(TABLE)
        .set_key(Some(alice_1().into_iter().collect()))
        .send()
        .await
        .map_err(|e| format!("GetItem: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?
        .item
        .unwrap_or_default();
    check(
        "GetItem alice/2026-0001 as dynamodb-reader",
        item.get("status") == Some(&AttributeValue::S("shipped".into())),
        format!("{item:?}"),
    )?;

    let denied = dynamodb
        .put_item()
        .table_name(TABLE)
        .item("customer", AttributeValue::S("mallory".into()))
        .item("order_id", AttributeValue::S("2026-9999".into()))
        .send()
        .await;
    let want = format!(
        "User: arn:aws:sts::{ACCOUNT_B}:assumed-role/dynamodb-reader/{SESSION} is not authorized to perform: \
         dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-2:{ACCOUNT_B}:table/{TABLE} \
         because no identity-based policy allows the dynamodb:PutItem action"
    );
    match denied {
        Ok(_) => return Err("PutItem was allowed".into()),
        Err(e) => check(
            "PutItem denied: AccessDeniedException in AWS's words",
            e.code() == Some("AccessDeniedException") && e.message() == Some(want.as_str()),
            format!("{:?}: {:?}", e.code(), e.message()),
        )?,
    }

    advance_clock(&endpoint, 901)?;
    let expired = dynamodb
        .get_item()
        .table_name(TABLE)
        .set_key(Some(alice_1().into_iter().collect()))
        .send()
        .await;
    match expired {
        Ok(_) => return Err("GetItem with a session 901 s old was allowed".into()),
        Err(e) => check(
            "after 901 s: ExpiredTokenException",
            e.code() == Some("ExpiredTokenException"),
            format!("{:?}", e.code()),
        )?,
    }
    let dynamodb = reader_client(&config).await?;
    let again = dynamodb
        .get_item()
        .table_name(TABLE)
        .set_key(Some(alice_1().into_iter().collect()))
        .send()
        .await;
    check(
        "a new AssumeRole and the read works again",
        again.is_ok_and(|a| a.item.is_some()),
        "GetItem failed",
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    match chain().await {
        Ok(()) => {
            println!("pod_chain: the chain works with the AWS SDK for Rust");
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("FAIL {failure}");
            ExitCode::FAILURE
        }
    }
}
