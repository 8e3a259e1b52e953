//! The attack table through STS itself: tokens a caller might forge or
//! misuse, each presented to AssumeRoleWithWebIdentity and each refused with
//! the code AWS gives. (`webidentity::tests` has the token-level table; this
//! one adds what only STS can judge: providers per account, the trust policy,
//! other service accounts.)

use std::path::Path;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use rolechain_policy::evaluator::NativeEvaluator;
use serde_json::{Value, json};

use crate::audit::AuditLog;
use crate::clock::Clock;
use crate::emulator::{Emulator, Options};
use crate::issuer::{Issuer, TokenRequest};
use crate::sts::{self, AssumeRoleWithWebIdentityInput, Trail};
use crate::webidentity::forge;
use crate::world::{Files, World};

const NOW: i64 = forge::NOW;
const KEY: &str = include_str!("issuer/testdata/rsa2048-pkcs8.pem");
const ELSEWHERE: &str = "https://oidc.rolechain.local/elsewhere";
const ROLE: &str = "arn:aws:iam::111111111111:role/app";

fn world() -> String {
    format!(
        r#"
issuers:
  - name: forge
    url: {url}
    signingKeyFile: rsa2048-pkcs8.pem
  - name: elsewhere
    url: {ELSEWHERE}
accounts:
  - id: "111111111111"
    oidcProviders:
      - url: {url}
        clientIds: [openshift, sts.amazonaws.com]
    roles:
      - name: app
        trustPolicy: '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/forge"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"oidc.rolechain.local/forge:sub":"system:serviceaccount:team-a:app"}}}}}}]}}'
  - id: "333333333333"
    oidcProviders:
      - url: {ELSEWHERE}
        clientIds: [openshift]
"#,
        url = forge::ISSUER_URL
    )
}

fn emulator() -> Emulator {
    let built = World::from_yaml(&world())
        .unwrap()
        .build(
            Files::Dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/issuer/testdata"))),
            NOW,
        )
        .unwrap();
    Emulator::new(
        built,
        Options::new(
            Clock::frozen_at(NOW),
            Arc::new(NativeEvaluator::new()),
            "native",
            AuditLog::in_memory(),
        ),
    )
    .unwrap()
}

fn assume(emulator: &Emulator, token: &str) -> Result<sts::AssumeRoleOutput, crate::error::AwsError> {
    let input = AssumeRoleWithWebIdentityInput {
        role_arn: ROLE.into(),
        role_session_name: "attack".into(),
        web_identity_token: token.into(),
        ..AssumeRoleWithWebIdentityInput::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(sts::assume_role_with_web_identity(
        emulator,
        &input,
        &mut Trail::default(),
    ))
}

const INVALID: &str = "InvalidIdentityToken";
const EXPIRED: &str = "ExpiredTokenException";
const DENIED: &str = "AccessDenied";

#[test]
fn every_attack_is_refused_with_the_code_aws_gives() {
    let emulator = emulator();
    let ours = Issuer::from_private_key_pem(forge::ISSUER_URL, KEY).unwrap();
    let kid = ours.active_kid().to_string();
    let mint = |ns: &str, sa: &str, aud: &str| ours.mint(&TokenRequest::new(ns, sa, [aud]), NOW).unwrap().token;
    let valid = mint("team-a", "app", "openshift");
    // The control: the same emulator grants the genuine token.
    assume(&emulator, &valid).expect("the genuine token is accepted");

    let claims = forge::valid_claims(forge::ISSUER_URL, NOW);
    let with = |edit: &dyn Fn(&mut serde_json::Map<String, Value>)| forge::with_claims(&ours, NOW, edit);
    let public_pem = ours.public_key_pem();
    let hs = json!({"alg": "HS256", "kid": kid});
    let stranger = Issuer::generate(forge::ISSUER_URL).unwrap();
    let stranger_same_kid = forge::signed(&stranger, &forge::rs256_header(&kid), &Value::Object(claims.clone()));
    let elsewhere_token = emulator
        .read_issuers()
        .get("elsewhere")
        .unwrap()
        .issuer
        .mint(&TokenRequest::new("team-a", "app", ["openshift"]), NOW)
        .unwrap()
        .token;
    let parts: Vec<&str> = valid.split('.').collect();

    let table: Vec<(&str, String, &str)> = vec![
        (
            "alg none, trailing dot",
            forge::alg_none("none", &claims, true),
            INVALID,
        ),
        (
            "alg none, no trailing dot",
            forge::alg_none("none", &claims, false),
            INVALID,
        ),
        ("alg NONE", forge::alg_none("NONE", &claims, true), INVALID),
        (
            "HS256 keyed with the public key",
            forge::hmac_token(
                Algorithm::HS256,
                public_pem.as_bytes(),
                &hs,
                &Value::Object(claims.clone()),
            ),
            INVALID,
        ),
        (
            "HS384 keyed with the public key",
            forge::hmac_token(
                Algorithm::HS384,
                public_pem.as_bytes(),
                &json!({"alg":"HS384","kid":kid}),
                &Value::Object(claims.clone()),
            ),
            INVALID,
        ),
        (
            "unknown kid",
            forge::signed(&ours, &forge::rs256_header("not-a-kid"), &Value::Object(claims.clone())),
            INVALID,
        ),
        ("another key under our kid", stranger_same_kid, INVALID),
        (
            "tampered payload",
            forge::tamper_payload(&valid, |c| {
                c.insert("sub".into(), json!("system:serviceaccount:kube-system:admin"));
            }),
            INVALID,
        ),
        ("tampered signature", forge::flip_signature_bit(&valid), INVALID),
        (
            "signature of another token",
            format!(
                "{}.{}.{}",
                parts[0],
                parts[1],
                mint("team-a", "app", "sts.amazonaws.com").split('.').nth(2).unwrap()
            ),
            INVALID,
        ),
        (
            "expired",
            with(&|c| {
                c.insert("iat".into(), json!(NOW - 7200));
                c.insert("nbf".into(), json!(NOW - 7200));
                c.insert("exp".into(), json!(NOW - 1));
            }),
            EXPIRED,
        ),
        (
            "expires this second",
            with(&|c| {
                c.insert("exp".into(), json!(NOW));
            }),
            EXPIRED,
        ),
        (
            "not valid for an hour",
            with(&|c| {
                c.insert("nbf".into(), json!(NOW + 3600));
                c.insert("exp".into(), json!(NOW + 7200));
            }),
            INVALID,
        ),
        (
            "issued in the future",
            with(&|c| {
                c.insert("iat".into(), json!(NOW + 3600));
                c.insert("exp".into(), json!(NOW + 7200));
            }),
            INVALID,
        ),
        (
            "wrong iss",
            with(&|c| {
                c.insert("iss".into(), json!("https://evil.example.com"));
            }),
            INVALID,
        ),
        (
            "iss with a trailing slash",
            with(&|c| {
                c.insert("iss".into(), json!(format!("{}/", forge::ISSUER_URL)));
            }),
            INVALID,
        ),
        (
            "iss over http",
            with(&|c| {
                c.insert("iss".into(), json!(forge::ISSUER_URL.replace("https", "http")));
            }),
            INVALID,
        ),
        ("wrong aud", mint("team-a", "app", "kubernetes"), INVALID),
        (
            "no aud",
            with(&|c| {
                c.remove("aud");
            }),
            INVALID,
        ),
        (
            "no sub",
            with(&|c| {
                c.remove("sub");
            }),
            INVALID,
        ),
        (
            "no exp",
            with(&|c| {
                c.remove("exp");
            }),
            INVALID,
        ),
        (
            "exp as a string",
            with(&|c| {
                c.insert("exp".into(), json!((NOW + 3600).to_string()));
            }),
            INVALID,
        ),
        (
            "oversize",
            with(&|c| {
                c.insert("padding".into(), json!("x".repeat(20_000)));
            }),
            "ValidationError",
        ),
        (
            "just under the size limit, padded",
            with(&|c| {
                c.insert("padding".into(), json!("x".repeat(14_000)));
                c.remove("sub");
            }),
            INVALID,
        ),
        ("not a JWT", "hello, STS".into(), INVALID),
        ("two parts", format!("{}.{}", parts[0], parts[1]), INVALID),
        (
            "JWE (five parts)",
            format!(
                "{}.a.b.c.d",
                forge::b64_json(&json!({"alg":"RSA-OAEP","enc":"A256GCM"}))
            ),
            INVALID,
        ),
        ("garbage base64", "!!!!.????.####".into(), INVALID),
        (
            "a valid token of another service account",
            mint("team-a", "intruder", "openshift"),
            DENIED,
        ),
        (
            "a valid token of another namespace",
            mint("team-b", "app", "openshift"),
            DENIED,
        ),
        (
            "a provider registered only in another account",
            elsewhere_token,
            INVALID,
        ),
    ];
    assert!(table.len() >= 25);
    let mut wrong = Vec::new();
    for (name, token, code) in &table {
        match assume(&emulator, token) {
            Ok(_) => wrong.push(format!("{name}: GRANTED")),
            Err(e) if e.code != *code => wrong.push(format!("{name}: {} {}", e.code, e.message)),
            Err(e) => assert!(e.status == 400 || e.status == 403, "{name}: status {}", e.status),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_retired_key_no_longer_verifies() {
    let emulator = emulator();
    let ours = Issuer::from_private_key_pem(forge::ISSUER_URL, KEY).unwrap();
    let token = ours
        .mint(&TokenRequest::new("team-a", "app", ["openshift"]), NOW)
        .unwrap()
        .token;
    {
        let mut issuers = emulator.write_issuers();
        let entry = issuers.get_mut("forge").unwrap();
        entry.issuer.rotate().unwrap();
    }
    // Rotated: the old key stays in the JWKS, so its tokens still verify.
    assume(&emulator, &token).expect("a rotated key still verifies");
    {
        let mut issuers = emulator.write_issuers();
        let entry = issuers.get_mut("forge").unwrap();
        let old = ours.active_kid().to_string();
        entry.issuer.retire(&old).unwrap();
    }
    let err = assume(&emulator, &token).unwrap_err();
    assert_eq!(err.code, INVALID);
}

#[test]
fn refusals_read_as_aws_words_them() {
    let emulator = emulator();
    let ours = Issuer::from_private_key_pem(forge::ISSUER_URL, KEY).unwrap();
    let message = |token: &str| assume(&emulator, token).unwrap_err().message;
    let other_sa = ours
        .mint(&TokenRequest::new("team-a", "intruder", ["openshift"]), NOW)
        .unwrap()
        .token;
    assert_eq!(
        message(&other_sa),
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    );
    let wrong_iss = forge::with_claims(&ours, NOW, |c| {
        c.insert("iss".into(), json!(format!("{}/", forge::ISSUER_URL)));
    });
    assert_eq!(
        message(&wrong_iss),
        "No OpenIDConnect provider found in your account for https://oidc.rolechain.local/forge/"
    );
    let oversize = forge::with_claims(&ours, NOW, |c| {
        c.insert("padding".into(), json!("x".repeat(20_000)));
    });
    assert_eq!(
        message(&oversize),
        "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length less than or equal to 20000"
    );
    let wrong_aud = ours
        .mint(&TokenRequest::new("team-a", "app", ["kubernetes"]), NOW)
        .unwrap()
        .token;
    assert_eq!(message(&wrong_aud), "Incorrect token audience");
    let expired = forge::with_claims(&ours, NOW, |c| {
        c.insert("exp".into(), json!(NOW - 5));
    });
    assert_eq!(
        message(&expired),
        format!(
            "Token expired: current date/time {NOW} must be before the expiration date/time {}",
            NOW - 5
        )
    );
}
