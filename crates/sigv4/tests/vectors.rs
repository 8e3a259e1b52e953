//! AWS's published SigV4 test suite (aws-c-auth `tests/aws-signing-test-suite/v4`),
//! read from `../../../shared/testdata/sigv4-test-suite` when present.

mod common;

use common::RawRequest;
use rolechain_sigv4::{
    AuthLocation, SigningKeyCache, canonical_request, compute_signature, parse_amz_date, parse_auth, string_to_sign,
    verify, verify_cached,
};
use std::path::{Path, PathBuf};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigv4-test-suite")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// Checks one variant (`header` or `query`) of one case; returns failures.
fn check_variant(dir: &Path, variant: &str, ctx: &serde_json::Value) -> Vec<String> {
    let case = dir.file_name().unwrap().to_string_lossy().into_owned();
    let mut failures = Vec::new();
    let secret = ctx["credentials"]["secret_access_key"].as_str().unwrap();
    let normalize = ctx["normalize"].as_bool().unwrap_or(true);
    let timestamp = ctx["timestamp"].as_str().unwrap();
    let now = parse_amz_date(&timestamp.replace(['-', ':'], "")).expect("context timestamp");

    let raw = RawRequest::parse(&read(dir, &format!("{variant}-signed-request.txt")));
    let req = raw.signed(normalize);
    let auth = match parse_auth(&req) {
        Ok(a) => a,
        Err(e) => return vec![format!("{case}/{variant}: parse_auth: {e:?}")],
    };
    match (&auth.location, variant) {
        (AuthLocation::Header, "header") => {}
        (AuthLocation::Query { expires_seconds }, "query") => {
            if Some(*expires_seconds) != ctx["expiration_in_seconds"].as_i64() {
                failures.push(format!("{case}/{variant}: expires {expires_seconds}"));
            }
        }
        (l, _) => failures.push(format!("{case}/{variant}: location {l:?}")),
    }
    if auth.access_key_id != ctx["credentials"]["access_key_id"].as_str().unwrap()
        || auth.region != ctx["region"].as_str().unwrap()
        || auth.service != ctx["service"].as_str().unwrap()
    {
        failures.push(format!("{case}/{variant}: credential {auth:?}"));
    }
    if auth.session_token.as_deref() != ctx["credentials"]["token"].as_str() {
        failures.push(format!("{case}/{variant}: session token {:?}", auth.session_token));
    }

    let creq = canonical_request(&req, &auth);
    let want_creq = read(dir, &format!("{variant}-canonical-request.txt"));
    if creq != want_creq {
        failures.push(format!(
            "{case}/{variant}: canonical request\n--- got\n{creq}\n--- want\n{want_creq}"
        ));
    }
    let sts = string_to_sign(&auth, &creq);
    let want_sts = read(dir, &format!("{variant}-string-to-sign.txt"));
    if sts != want_sts {
        failures.push(format!(
            "{case}/{variant}: string to sign\n--- got\n{sts}\n--- want\n{want_sts}"
        ));
    }
    let want_sig = read(dir, &format!("{variant}-signature.txt")).trim().to_owned();
    let sig = compute_signature(&req, &auth, secret);
    if sig != want_sig || auth.signature != want_sig {
        failures.push(format!(
            "{case}/{variant}: signature {sig} / sent {} / want {want_sig}",
            auth.signature
        ));
    }
    if let Err(e) = verify(&req, &auth, secret, now) {
        failures.push(format!("{case}/{variant}: verify: {e:?}"));
    }
    // And a wrong secret must fail.
    if verify(&req, &auth, "not-the-secret", now).is_ok() {
        failures.push(format!("{case}/{variant}: verified with a wrong secret"));
    }
    // The cached path answers the same: on a miss, then on a hit.
    let cache = SigningKeyCache::new(4);
    for attempt in ["miss", "hit"] {
        if let Err(e) = verify_cached(&req, &auth, secret, now, &cache) {
            failures.push(format!("{case}/{variant}: verify_cached ({attempt}): {e:?}"));
        }
        if verify_cached(&req, &auth, "not-the-secret", now, &cache).is_ok() {
            failures.push(format!("{case}/{variant}: verified with a wrong secret ({attempt})"));
        }
    }
    if cache.len() != 1 {
        failures.push(format!("{case}/{variant}: {} keys cached, not 1", cache.len()));
    }
    failures
}

#[test]
fn published_vectors() {
    let root = suite_dir();
    if !root.is_dir() {
        println!(
            "SKIPPED: SigV4 test vectors not found at {} (the published-vector test did not run)",
            root.display()
        );
        return;
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("context.json").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 30,
        "expected the full suite, found {} cases",
        cases.len()
    );

    let (mut checked, mut unnormalized, mut sign_body) = (0, 0, 0);
    let mut failures = Vec::new();
    for dir in &cases {
        let ctx: serde_json::Value = serde_json::from_str(&read(dir, "context.json")).unwrap();
        if ctx["normalize"] == false {
            unnormalized += 1;
        }
        if ctx["sign_body"] == true {
            sign_body += 1;
        }
        for variant in ["header", "query"] {
            if dir.join(format!("{variant}-signed-request.txt")).is_file() {
                failures.extend(check_variant(dir, variant, &ctx));
                checked += 1;
            }
        }
    }
    println!(
        "SigV4 vectors: {} cases, {checked} signed variants checked ({unnormalized} with normalize=false, {sign_body} with sign_body)",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert_eq!(checked, cases.len() * 2, "every case has a header and a query variant");
}
