use std::time::Instant;

use serde_json::{Value, json};

use super::*;
use crate::webidentity::{self, TokenError};

const URL: &str = "https://oidc.rolechain.local/my-cluster";
const NOW: i64 = 1_700_000_000;
const PKCS8: &str = include_str!("testdata/rsa2048-pkcs8.pem");
const PKCS1: &str = include_str!("testdata/rsa2048-pkcs1.pem");
const EC_PEM: &str = include_str!("testdata/ec-p256.pem");
const MODULUS_HEX: &str = include_str!("testdata/rsa2048-modulus.hex");
/// Computed with openssl (see testdata/README.md), independently of this code.
const OPENSSL_KID: &str = "5zPE-2i7jUdFfhJzpZGlTEjTLaIfK2a00bMkowWqiq0";

fn fixed_issuer() -> Issuer {
    Issuer::from_private_key_pem(URL, PKCS8).unwrap()
}

fn verify(issuer: &Issuer, token: &str, now: i64) -> Result<webidentity::VerifiedClaims, TokenError> {
    let parsed = webidentity::inspect(token)?;
    webidentity::verify_signature(&parsed, &issuer.verification_keys())?;
    webidentity::check_claims(
        &parsed,
        now,
        &["openshift".to_string(), "sts.amazonaws.com".to_string()],
    )
}

#[test]
fn kid_matches_openssl_for_pkcs8_and_pkcs1() {
    let a = Issuer::from_private_key_pem(URL, PKCS8).unwrap();
    let b = Issuer::from_private_key_pem(URL, PKCS1).unwrap();
    assert_eq!(a.active_kid(), OPENSSL_KID);
    assert_eq!(b.active_kid(), OPENSSL_KID);
    let jwk = &a.jwks()["keys"][0];
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    assert_eq!(hex::encode_upper(n), MODULUS_HEX.trim());
    assert_eq!(jwk["e"], "AQAB");
}

#[test]
fn generated_kid_is_sha256_of_spki() {
    let issuer = Issuer::generate(URL).unwrap();
    // Recompute from the SPKI PEM rcgen prints, through a separate path (PEM → DER → SHA-256).
    let pem = issuer.public_key_pem();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    assert_eq!(issuer.active_kid(), URL_SAFE_NO_PAD.encode(Sha256::digest(&der)));
    // And the private key round-trips.
    let again = Issuer::from_private_key_pem(URL, &issuer.private_key_pem()).unwrap();
    assert_eq!(again.active_kid(), issuer.active_kid());
}

#[test]
fn refuses_non_rsa_and_garbage_keys() {
    assert!(matches!(
        Issuer::from_private_key_pem(URL, EC_PEM),
        Err(IssuerError::Key(_))
    ));
    assert!(matches!(
        Issuer::from_private_key_pem(URL, "nope"),
        Err(IssuerError::Key(_))
    ));
    assert!(matches!(
        Issuer::from_private_key_pem(URL, ""),
        Err(IssuerError::Key(_))
    ));
}

#[test]
fn url_validation() {
    for ok in [
        URL,
        "https://oidc.example.com",
        "https://127.0.0.1:8443",
        "https://a.s3.us-east-1.amazonaws.com",
    ] {
        assert!(validate_url(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://oidc.example.com",
        "https://",
        "https://oidc.example.com/",
        "https://oidc.example.com?x=1",
        "https://oidc.example.com#f",
        "https://user@oidc.example.com",
        "https://oidc.example.com/a b",
        "https://oidc.example.com//x",
        "oidc.example.com",
        "HTTPS://oidc.example.com",
        "https://a\"b",
    ] {
        assert!(matches!(validate_url(bad), Err(IssuerError::InvalidUrl(_))), "{bad}");
    }
    assert!(Issuer::generate("https://x/").is_err());
}

#[test]
fn key_generation_and_mint_are_fast() {
    let start = Instant::now();
    let issuer = Issuer::generate(URL).unwrap();
    let generate = start.elapsed();
    let request = TokenRequest::new("team-a", "app", ["openshift"]);
    let start = Instant::now();
    let rounds = 20u32;
    let mut token = String::new();
    for _ in 0..rounds {
        token = issuer.mint(&request, NOW).unwrap().token;
    }
    let mint = start.elapsed() / rounds;
    let keys = issuer.verification_keys();
    let start = Instant::now();
    for _ in 0..rounds {
        let parsed = webidentity::inspect(&token).unwrap();
        webidentity::verify_signature(&parsed, &keys).unwrap();
        webidentity::check_claims(&parsed, NOW, &["openshift".to_string()]).unwrap();
    }
    let verify = start.elapsed() / rounds;
    eprintln!("RSA-2048 generate: {generate:?}, mint: {mint:?}, inspect+verify+check: {verify:?}");
    // Generous bound: the 200 ms target is measured and reported, not asserted on a shared machine.
    assert!(generate.as_secs() < 5);
}

#[test]
fn minted_token_shape() {
    let issuer = fixed_issuer();
    let mut request = TokenRequest::new("team-a", "app", ["openshift"]);
    request.pod = Some("app-6d4cf56db6-x7k2p".into());
    request.node = Some("ip-10-0-1-5.ec2.internal".into());
    let minted = issuer.mint(&request, NOW).unwrap();
    let parts: Vec<&str> = minted.token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header, json!({"alg": "RS256", "kid": OPENSSL_KID}));
    assert_eq!(
        String::from_utf8(URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap(),
        format!("{{\"alg\":\"RS256\",\"kid\":\"{OPENSSL_KID}\"}}")
    );
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let claims: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(claims, minted.claims);
    let keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"]);
    // Alphabetical on the wire, as Go writes it.
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| payload.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{payload}");
    assert_eq!(claims["aud"], json!(["openshift"]));
    assert_eq!(
        (claims["iat"].as_i64(), claims["nbf"].as_i64(), claims["exp"].as_i64()),
        (Some(NOW), Some(NOW), Some(NOW + 3600))
    );
    assert_eq!(claims["iss"], URL);
    assert_eq!(claims["sub"], "system:serviceaccount:team-a:app");
    assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());
    let k8s = &claims["kubernetes.io"];
    assert_eq!(k8s["namespace"], "team-a");
    assert_eq!(k8s["serviceaccount"]["name"], "app");
    assert_eq!(k8s["pod"]["name"], "app-6d4cf56db6-x7k2p");
    assert_eq!(k8s["node"]["name"], "ip-10-0-1-5.ec2.internal");
    for uid in [&k8s["serviceaccount"]["uid"], &k8s["pod"]["uid"], &k8s["node"]["uid"]] {
        let uid = uuid::Uuid::parse_str(uid.as_str().unwrap()).unwrap();
        assert_eq!(uid.get_version_num(), 8);
    }
    assert!(k8s.get("warnafter").is_none() && k8s.get("secret").is_none());
    assert_eq!(
        (minted.issued_at, minted.expires_at, minted.kid.as_str()),
        (NOW, NOW + 3600, OPENSSL_KID)
    );

    // Stable uids, fresh jti; generated pod names.
    let again = issuer
        .mint(&TokenRequest::new("team-a", "app", ["openshift"]), NOW + 5)
        .unwrap()
        .claims;
    assert_eq!(
        again["kubernetes.io"]["serviceaccount"]["uid"],
        k8s["serviceaccount"]["uid"]
    );
    assert_ne!(again["jti"], claims["jti"]);
    assert!(again["kubernetes.io"].get("node").is_none());
    let pod = again["kubernetes.io"]["pod"]["name"].as_str().unwrap();
    assert!(pod.starts_with("app-") && pod.len() == 9, "{pod}");
    assert!(pod[4..].bytes().all(|b| GENERATE_NAME_ALPHABET.contains(&b)));
    let other_ns = issuer
        .mint(&TokenRequest::new("team-b", "app", ["openshift"]), NOW)
        .unwrap()
        .claims;
    assert_ne!(
        other_ns["kubernetes.io"]["serviceaccount"]["uid"],
        k8s["serviceaccount"]["uid"]
    );
    let long = format!("{}.{}", "a".repeat(40), "b".repeat(30));
    let long_pod = issuer
        .mint(&TokenRequest::new("ns", long.as_str(), ["x"]), NOW)
        .unwrap()
        .claims;
    assert_eq!(long_pod["kubernetes.io"]["pod"]["name"].as_str().unwrap().len(), 58 + 6);

    let verified = verify(&issuer, &minted.token, NOW).unwrap();
    assert_eq!(verified.subject, "system:serviceaccount:team-a:app");
}

#[test]
fn audience_defaults_to_the_issuer() {
    let issuer = fixed_issuer();
    let minted = issuer
        .mint(&TokenRequest::new("ns", "sa", Vec::<String>::new()), NOW)
        .unwrap();
    assert_eq!(minted.claims["aud"], json!([URL]));
    // ... which an IAM provider with ccoctl's client IDs does not accept.
    assert_eq!(
        verify(&issuer, &minted.token, NOW).unwrap_err().message(),
        "Incorrect token audience"
    );
    let two = issuer
        .mint(&TokenRequest::new("ns", "sa", ["openshift", "sts.amazonaws.com"]), NOW)
        .unwrap();
    assert_eq!(two.claims["aud"], json!(["openshift", "sts.amazonaws.com"]));
}

#[test]
fn expiration_bounds() {
    let issuer = fixed_issuer();
    let mint = |seconds: Option<i64>| {
        let mut request = TokenRequest::new("ns", "sa", ["openshift"]);
        request.expiration_seconds = seconds;
        issuer.mint(&request, NOW)
    };
    assert_eq!(mint(None).unwrap().expires_at, NOW + 3600);
    assert_eq!(mint(Some(600)).unwrap().expires_at, NOW + 600);
    assert_eq!(mint(Some(1 << 32)).unwrap().expires_at, NOW + (1 << 32));
    assert_eq!(
        mint(Some(599)).unwrap_err().to_string(),
        "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"
    );
    assert_eq!(
        mint(Some((1 << 32) + 1)).unwrap_err().to_string(),
        "spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds"
    );
    assert!(matches!(mint(Some(-1)), Err(IssuerError::InvalidRequest(_))));
    assert!(matches!(mint(Some(i64::MAX)), Err(IssuerError::InvalidRequest(_))));
    let mut request = TokenRequest::new("ns", "sa", ["openshift"]);
    request.expiration_seconds = Some(600);
    assert!(matches!(
        issuer.mint(&request, i64::MAX - 10),
        Err(IssuerError::InvalidRequest(_))
    ));
}

#[test]
fn name_validation_uses_kubernetes_wording() {
    let issuer = fixed_issuer();
    let err = |ns: &str, sa: &str| {
        issuer
            .mint(&TokenRequest::new(ns, sa, ["x"]), NOW)
            .unwrap_err()
            .to_string()
    };
    assert!(
        err("Team_A", "app").starts_with("metadata.namespace: Invalid value: \"Team_A\": a lowercase RFC 1123 label")
    );
    assert!(err("a.b", "app").contains("RFC 1123 label"));
    assert!(err("ns", "App").starts_with("metadata.name: Invalid value: \"App\": a lowercase RFC 1123 subdomain"));
    assert_eq!(err("", "app"), "metadata.namespace: Required value");
    assert!(issuer.mint(&TokenRequest::new("ns", "my.sa", ["x"]), NOW).is_ok());
    let mut request = TokenRequest::new("ns", "sa", ["x"]);
    request.pod = Some("Bad_Pod".into());
    assert!(
        issuer
            .mint(&request, NOW)
            .unwrap_err()
            .to_string()
            .starts_with("spec.boundObjectRef.name: Invalid value")
    );
    request.pod = None;
    request.node = Some("-node".into());
    assert!(
        issuer
            .mint(&request, NOW)
            .unwrap_err()
            .to_string()
            .starts_with("spec.nodeName: Invalid value")
    );
}

#[test]
fn discovery_is_ccoctls_document() {
    let issuer = fixed_issuer();
    // ccoctl's discoveryDocumentTemplate, verbatim (tabs on the first two members).
    let expected = concat!(
        "{\n",
        "\t\"issuer\": \"https://oidc.rolechain.local/my-cluster\",\n",
        "\t\"jwks_uri\": \"https://oidc.rolechain.local/my-cluster/keys.json\",\n",
        "    \"response_types_supported\": [\n",
        "        \"id_token\"\n",
        "    ],\n",
        "    \"subject_types_supported\": [\n",
        "        \"public\"\n",
        "    ],\n",
        "    \"id_token_signing_alg_values_supported\": [\n",
        "        \"RS256\"\n",
        "    ],\n",
        "    \"claims_supported\": [\n",
        "        \"aud\",\n",
        "        \"exp\",\n",
        "        \"sub\",\n",
        "        \"iat\",\n",
        "        \"iss\",\n",
        "        \"sub\"\n",
        "    ]\n",
        "}"
    );
    assert_eq!(issuer.discovery_json_pretty(), expected);
    let parsed: Value = serde_json::from_str(expected).unwrap();
    assert_eq!(parsed, issuer.discovery());
    assert_eq!(
        issuer.discovery()["claims_supported"],
        json!(["aud", "exp", "sub", "iat", "iss", "sub"])
    );
}

#[test]
fn jwks_is_go_jose_shaped() {
    let issuer = fixed_issuer();
    let n = URL_SAFE_NO_PAD.encode(hex::decode(MODULUS_HEX.trim()).unwrap());
    let expected = format!(
        "{{\n    \"keys\": [\n        {{\n            \"use\": \"sig\",\n            \"kty\": \"RSA\",\n            \
         \"kid\": \"{OPENSSL_KID}\",\n            \"alg\": \"RS256\",\n            \"n\": \"{n}\",\n            \
         \"e\": \"AQAB\"\n        }}\n    ]\n}}"
    );
    assert_eq!(issuer.jwks_json_pretty(), expected);
    let parsed: Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(parsed, issuer.jwks());
    assert_eq!(webidentity::Jwks::from_json(expected.as_bytes()).unwrap().len(), 1);
}

#[test]
fn documents_by_path() {
    let issuer = fixed_issuer();
    assert_eq!(issuer.url_path(), "/my-cluster");
    assert_eq!(
        issuer.document_for_path("/my-cluster/.well-known/openid-configuration"),
        Some(issuer.discovery_json_pretty())
    );
    assert_eq!(
        issuer.document_for_path("/my-cluster/keys.json"),
        Some(issuer.jwks_json_pretty())
    );
    assert_eq!(issuer.document_for_path("/.well-known/openid-configuration"), None);
    assert_eq!(issuer.document_for_path("/my-cluster"), None);
    let root = Issuer::from_private_key_pem("https://127.0.0.1:8443", PKCS8).unwrap();
    assert_eq!(root.url_path(), "");
    assert!(root.document_for_path("/keys.json").is_some());
}

#[test]
fn rotation_keeps_old_tokens_valid_until_retired() {
    let mut issuer = fixed_issuer();
    let request = TokenRequest::new("ns", "sa", ["openshift"]);
    let old = issuer.mint(&request, NOW).unwrap();
    let new_kid = issuer.rotate().unwrap();
    assert_ne!(new_kid, OPENSSL_KID);
    assert_eq!(issuer.active_kid(), new_kid);
    assert_eq!(issuer.kids(), vec![new_kid.clone(), OPENSSL_KID.to_string()]);
    assert_eq!(issuer.jwks()["keys"].as_array().unwrap().len(), 2);
    let new = issuer.mint(&request, NOW).unwrap();
    assert_eq!(new.kid, new_kid);
    assert!(verify(&issuer, &old.token, NOW).is_ok());
    assert!(verify(&issuer, &new.token, NOW).is_ok());

    assert_eq!(issuer.retire(&new_kid), Err(IssuerError::ActiveKey(new_kid.clone())));
    assert_eq!(issuer.retire("nope"), Err(IssuerError::UnknownKey("nope".into())));
    issuer.retire(OPENSSL_KID).unwrap();
    assert_eq!(issuer.kids(), vec![new_kid]);
    let err = verify(&issuer, &old.token, NOW).unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey { .. }), "{err:?}");
    assert_eq!(err.code(), "InvalidIdentityToken");
    assert!(verify(&issuer, &new.token, NOW).is_ok());
    assert_eq!(
        issuer.retire(OPENSSL_KID),
        Err(IssuerError::UnknownKey(OPENSSL_KID.into()))
    );
}

#[test]
fn expiry_follows_the_clock() {
    let issuer = fixed_issuer();
    let minted = issuer.mint(&TokenRequest::new("ns", "sa", ["openshift"]), NOW).unwrap();
    assert!(verify(&issuer, &minted.token, NOW + 3599).is_ok());
    let err = verify(&issuer, &minted.token, NOW + 3600).unwrap_err();
    assert_eq!(err.code(), "ExpiredTokenException");
}

#[test]
fn token_request_deserializes_camel_case() {
    let request: TokenRequest = serde_json::from_value(json!({
        "namespace": "ns", "serviceAccount": "sa", "audiences": ["openshift"], "expirationSeconds": 900
    }))
    .unwrap();
    assert_eq!(request.expiration_seconds, Some(900));
    assert_eq!(request.pod, None);
}

/// `cargo test -p rolechain --lib -- --ignored measure_key_generation --nocapture`: the spread of
/// RSA-2048 generation (prime search makes single runs vary a lot).
#[test]
#[ignore = "measurement, not a check"]
fn measure_key_generation() {
    let mut times: Vec<_> = (0..20)
        .map(|_| {
            let start = Instant::now();
            Issuer::generate(URL).unwrap();
            start.elapsed()
        })
        .collect();
    times.sort();
    eprintln!(
        "RSA-2048 x20: min {:?}, median {:?}, p90 {:?}, max {:?}",
        times[0], times[10], times[18], times[19]
    );
}
