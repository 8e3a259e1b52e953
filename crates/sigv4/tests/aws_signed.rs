//! Random requests signed by the `aws-sigv4` crate (AWS's Rust SDK signer),
//! header and presigned forms, must verify here; tampering must not.

mod common;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use common::RawRequest;
use proptest::prelude::*;
use rolechain_sigv4::{AuthLocation, SigV4Error, parse_auth, verify};
use std::time::{Duration, UNIX_EPOCH};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    time: u64,
    token: Option<String>,
    presign_expires: Option<u64>,
}

/// A path piece: unreserved text, a percent-encoded byte sequence, or a dot segment.
fn path_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._~-]{1,6}",
        Just("%20".to_owned()),
        Just("%2F".to_owned()),
        Just("%E1%88%B4".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just(String::new()),
    ]
}

/// A query name or value: unreserved text and encoded reserved characters (no `+`).
fn query_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[A-Za-z0-9._~-]{1,5}",
            Just("%20".to_owned()),
            Just("%3D".to_owned()),
            Just("%26".to_owned()),
            Just("%2B".to_owned()),
            Just("%2F".to_owned()),
            Just("%E1%88%B4".to_owned()),
        ],
        0..3,
    )
    .prop_map(|v| v.concat())
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        prop::collection::vec(path_piece(), 0..5),
        any::<bool>(),
        prop::collection::vec((query_text(), query_text()), 0..4),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "X-Test-A",
                    "x-test-a",
                    "X-Amz-Target",
                    "Content-Type",
                    "x-amz-meta-b",
                ]),
                // Spaces only: aws-sigv4 collapses spaces but not tabs, botocore
                // (and this crate) all ASCII whitespace; see canonical_header_value.
                "[ ]{0,2}[!-~]{0,4}([ ]{1,3}[!-~]{1,4}){0,2}[ ]{0,2}",
            ),
            0..4,
        ),
        prop::collection::vec(any::<u8>(), 0..64),
        946_684_800u64..4_102_444_800,
        prop::option::of("[A-Za-z0-9/+=]{1,40}"),
        prop::option::of(1u64..=604_800),
    )
        .prop_map(
            |(method, pieces, trailing, query, headers, body, time, token, presign_expires)| {
                let mut path = format!("/{}", pieces.join("/"));
                if trailing && !path.ends_with('/') {
                    path.push('/');
                }
                let query = query
                    .into_iter()
                    .filter(|(n, _)| !n.is_empty() && !n.starts_with("X-Amz-"))
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join("&");
                let headers = headers.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
                Case {
                    method,
                    path,
                    query,
                    headers,
                    body,
                    time,
                    token,
                    presign_expires,
                }
            },
        )
}

/// Signs `case` with aws-sigv4 and returns the request as a server receives it.
fn sign_with_aws(case: &Case) -> RawRequest {
    let identity: Identity = Credentials::new("AKIDEXAMPLE", SECRET, case.token.clone(), None, "test").into();
    let mut settings = SigningSettings::default();
    if let Some(e) = case.presign_expires {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(e));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(UNIX_EPOCH + Duration::from_secs(case.time))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let mut headers = vec![("Host".to_owned(), "sts.us-east-1.amazonaws.com".to_owned())];
    headers.extend(case.headers.iter().cloned());
    let uri = if case.query.is_empty() {
        format!("https://sts.us-east-1.amazonaws.com{}", case.path)
    } else {
        format!("https://sts.us-east-1.amazonaws.com{}?{}", case.path, case.query)
    };
    let signable = SignableRequest::new(
        case.method,
        uri,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&case.body),
    )
    .unwrap();
    let (instructions, _signature) = sign(signable, &params).unwrap().into_parts();
    let (new_headers, new_params) = instructions.into_parts();
    for h in new_headers {
        headers.push((h.name().to_owned(), h.value().to_owned()));
    }
    let mut query: Vec<String> = if case.query.is_empty() {
        vec![]
    } else {
        vec![case.query.clone()]
    };
    for (n, v) in new_params {
        query.push(format!("{}={}", encode(n), encode(&v)));
    }
    RawRequest {
        method: case.method.to_owned(),
        path: case.path.clone(),
        query: query.join("&"),
        headers,
        body: case.body.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn aws_sigv4_signed_requests_verify(case in case()) {
        let raw = sign_with_aws(&case);
        let req = raw.signed(true);
        let auth = parse_auth(&req).unwrap();
        prop_assert_eq!(auth.session_token.as_deref(), case.token.as_deref());
        prop_assert_eq!(
            matches!(auth.location, AuthLocation::Query { .. }),
            case.presign_expires.is_some()
        );
        let now = case.time as i64;
        prop_assert_eq!(verify(&req, &auth, SECRET, now), Ok(()));
        prop_assert_eq!(verify(&req, &auth, "wrong", now), Err(SigV4Error::SignatureMismatch));

        // Tampered body.
        let mut tampered = raw.clone();
        tampered.body.push(b'x');
        let req = tampered.signed(true);
        let auth = parse_auth(&req).unwrap();
        prop_assert_eq!(verify(&req, &auth, SECRET, now), Err(SigV4Error::SignatureMismatch));
    }
}
