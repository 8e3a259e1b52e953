use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::forge::{self, NOW};
use super::*;
use crate::issuer::{Issuer, TokenRequest};

/// One issuer for the read-only tests: RSA generation is the slow part.
fn issuer() -> &'static Issuer {
    static ISSUER: OnceLock<Issuer> = OnceLock::new();
    ISSUER.get_or_init(|| Issuer::generate(forge::ISSUER_URL).expect("issuer"))
}

fn other_issuer() -> &'static Issuer {
    static ISSUER: OnceLock<Issuer> = OnceLock::new();
    ISSUER.get_or_init(|| Issuer::generate(forge::ISSUER_URL).expect("issuer"))
}

fn ec_signer() -> &'static forge::EcSigner {
    static EC: OnceLock<forge::EcSigner> = OnceLock::new();
    EC.get_or_init(forge::EcSigner::generate)
}

const EC_KID: &str = "ec-key-1";

fn jwks() -> Jwks {
    forge::jwks_with(issuer(), &[ec_signer().jwk(EC_KID)])
}

fn minted(now: i64) -> String {
    issuer()
        .mint(&TokenRequest::new("team-a", "app", ["openshift"]), now)
        .expect("mint")
        .token
}

fn run(token: &str) -> Result<VerifiedClaims, TokenError> {
    forge::pipeline(token, &jwks(), forge::ISSUER_URL, NOW, &forge::client_ids())
}

const INVALID: &str = "InvalidIdentityToken";
const EXPIRED: &str = "ExpiredTokenException";

#[test]
fn valid_tokens_pass() {
    let claims = run(&minted(NOW)).expect("minted token verifies");
    assert_eq!(claims.subject, "system:serviceaccount:team-a:app");
    assert_eq!(claims.audience, "openshift");
    assert_eq!(claims.issuer, forge::ISSUER_URL);
    assert_eq!(claims.expires_at, NOW + 3600);
    assert_eq!(claims.issued_at, Some(NOW));

    // aud as a plain string, two audiences where the second matches.
    let token = forge::with_claims(issuer(), NOW, |c| {
        c.insert("aud".into(), json!("sts.amazonaws.com"));
    });
    assert_eq!(run(&token).unwrap().audience, "sts.amazonaws.com");
    let token = forge::with_claims(issuer(), NOW, |c| {
        c.insert("aud".into(), json!(["other", "sts.amazonaws.com"]));
    });
    let claims = run(&token).unwrap();
    assert_eq!(
        (claims.audience.as_str(), claims.all_audiences.len()),
        ("sts.amazonaws.com", 2)
    );

    // ES256 with an EC key, and a token without kid (every key of the right type is tried).
    let claims = Value::Object(forge::valid_claims(forge::ISSUER_URL, NOW));
    assert!(run(&ec_signer().sign(&json!({"alg": "ES256", "kid": EC_KID}), &claims)).is_ok());
    assert!(run(&forge::signed(issuer(), &json!({"alg": "RS256"}), &claims)).is_ok());

    // Within the nbf/iat leeway; one second before expiry.
    let token = forge::with_claims(issuer(), NOW, |c| {
        c.insert("nbf".into(), json!(NOW + NOT_BEFORE_LEEWAY_SECONDS));
        c.insert("iat".into(), json!(NOW + NOT_BEFORE_LEEWAY_SECONDS));
    });
    assert!(run(&token).is_ok());
    assert!(
        forge::pipeline(
            &minted(NOW),
            &jwks(),
            forge::ISSUER_URL,
            NOW + 3599,
            &forge::client_ids()
        )
        .is_ok()
    );

    // Session tags and source identity come through.
    let token = forge::with_claims(issuer(), NOW, |c| {
        c.insert(SESSION_TAGS_CLAIM.into(), json!({"principal_tags": {"team": ["a"]}}));
        c.insert(SOURCE_IDENTITY_CLAIM.into(), json!("alice"));
        c.insert("amr".into(), json!(["pwd"]));
        c.insert("azp".into(), json!("client"));
    });
    let claims = run(&token).unwrap();
    assert_eq!(claims.source_identity(), Some("alice"));
    assert!(claims.session_tags().is_some());
    assert_eq!(
        (claims.amr(), claims.authorized_party()),
        (vec!["pwd".to_string()], Some("client"))
    );
}

/// The attack table: every token is refused, with STS's code.
fn attack_table() -> Vec<(&'static str, String, &'static str)> {
    let iss = issuer();
    let kid = iss.active_kid().to_string();
    let valid = minted(NOW);
    let claims_map = forge::valid_claims(forge::ISSUER_URL, NOW);
    let claims = Value::Object(claims_map.clone());
    let header = forge::rs256_header(&kid);
    let public_pem = iss.public_key_pem();
    let public_der = {
        let body: String = public_pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("PEM body")
    };
    let hs = |alg: &str| json!({ "alg": alg, "kid": kid });
    let (valid_header, valid_payload, valid_sig) = {
        let p: Vec<&str> = valid.split('.').collect();
        (p[0].to_string(), p[1].to_string(), p[2].to_string())
    };
    let edit = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| forge::with_claims(iss, NOW, f);

    let mut oversize_claims = claims_map.clone();
    oversize_claims.insert("padding".into(), json!("x".repeat(MAX_TOKEN_CHARS)));

    let mut retired = Issuer::generate(forge::ISSUER_URL).expect("issuer");
    let retired_kid = retired.active_kid().to_string();
    let retired_token = forge::signed(&retired, &forge::rs256_header(&retired_kid), &claims);
    retired.rotate().expect("rotate");
    retired.retire(&retired_kid).expect("retire");

    vec![
        (
            "alg none with trailing dot",
            forge::alg_none("none", &claims_map, true),
            INVALID,
        ),
        (
            "alg none without trailing dot",
            forge::alg_none("none", &claims_map, false),
            INVALID,
        ),
        (
            "alg None, capitalised",
            forge::alg_none("None", &claims_map, true),
            INVALID,
        ),
        (
            "alg none with the valid signature kept",
            format!(
                "{}.{valid_payload}.{valid_sig}",
                forge::b64_json(&json!({"alg": "none", "kid": kid}))
            ),
            INVALID,
        ),
        (
            "HS256 keyed with the RSA public key PEM",
            forge::hmac_token(Algorithm::HS256, public_pem.as_bytes(), &hs("HS256"), &claims),
            INVALID,
        ),
        (
            "HS256 keyed with the RSA public key DER",
            forge::hmac_token(Algorithm::HS256, &public_der, &hs("HS256"), &claims),
            INVALID,
        ),
        (
            "HS512 keyed with the RSA public key PEM",
            forge::hmac_token(Algorithm::HS512, public_pem.as_bytes(), &hs("HS512"), &claims),
            INVALID,
        ),
        (
            "unknown kid",
            forge::signed(iss, &forge::rs256_header("no-such-kid"), &claims),
            INVALID,
        ),
        (
            "tampered payload (sub)",
            forge::tamper_payload(&valid, |c| {
                c.insert("sub".into(), json!("system:serviceaccount:kube-system:admin"));
            }),
            INVALID,
        ),
        (
            "tampered payload (exp extended)",
            forge::tamper_payload(&valid, |c| {
                c.insert("exp".into(), json!(NOW + 999_999));
            }),
            INVALID,
        ),
        ("tampered signature bit", forge::flip_signature_bit(&valid), INVALID),
        ("truncated signature", valid[..valid.len() - 4].to_string(), INVALID),
        (
            "signature from another key with the same kid",
            forge::signed(other_issuer(), &header, &claims),
            INVALID,
        ),
        (
            "another key, no kid",
            forge::signed(other_issuer(), &json!({"alg": "RS256"}), &claims),
            INVALID,
        ),
        (
            "header swapped to RS384",
            format!(
                "{}.{valid_payload}.{valid_sig}",
                forge::b64_json(&json!({"alg": "RS384", "kid": kid}))
            ),
            INVALID,
        ),
        (
            "PS256",
            forge::signed(iss, &json!({"alg": "PS256", "kid": kid}), &claims),
            INVALID,
        ),
        (
            "expired",
            edit(&|c| {
                c.insert("exp".into(), json!(NOW - 1));
            }),
            EXPIRED,
        ),
        (
            "expires exactly now",
            edit(&|c| {
                c.insert("exp".into(), json!(NOW));
            }),
            EXPIRED,
        ),
        (
            "future nbf",
            edit(&|c| {
                c.insert("nbf".into(), json!(NOW + 3600));
            }),
            INVALID,
        ),
        (
            "future iat",
            edit(&|c| {
                c.insert("iat".into(), json!(NOW + NOT_BEFORE_LEEWAY_SECONDS + 1));
            }),
            INVALID,
        ),
        (
            "wrong iss",
            edit(&|c| {
                c.insert("iss".into(), json!("https://evil.example.com"));
            }),
            INVALID,
        ),
        (
            "iss with trailing slash",
            edit(&|c| {
                c.insert("iss".into(), json!(format!("{}/", forge::ISSUER_URL)));
            }),
            INVALID,
        ),
        (
            "iss with upper-case host",
            edit(&|c| {
                c.insert("iss".into(), json!(forge::ISSUER_URL.replace("oidc", "OIDC")));
            }),
            INVALID,
        ),
        (
            "missing iss",
            edit(&|c| {
                c.remove("iss");
            }),
            INVALID,
        ),
        (
            "wrong aud",
            edit(&|c| {
                c.insert("aud".into(), json!(["kubernetes"]));
            }),
            INVALID,
        ),
        (
            "empty aud array",
            edit(&|c| {
                c.insert("aud".into(), json!([]));
            }),
            INVALID,
        ),
        (
            "aud a number",
            edit(&|c| {
                c.insert("aud".into(), json!(42));
            }),
            INVALID,
        ),
        (
            "missing sub",
            edit(&|c| {
                c.remove("sub");
            }),
            INVALID,
        ),
        (
            "empty sub",
            edit(&|c| {
                c.insert("sub".into(), json!(""));
            }),
            INVALID,
        ),
        (
            "missing exp",
            edit(&|c| {
                c.remove("exp");
            }),
            INVALID,
        ),
        (
            "missing aud",
            edit(&|c| {
                c.remove("aud");
            }),
            INVALID,
        ),
        (
            "string exp",
            edit(&|c| {
                c.insert("exp".into(), json!((NOW + 3600).to_string()));
            }),
            INVALID,
        ),
        (
            "float exp",
            edit(&|c| {
                c.insert("exp".into(), json!(1.7e9 + 3600.5));
            }),
            INVALID,
        ),
        (
            "exp beyond i64",
            edit(&|c| {
                c.insert("exp".into(), json!(u64::MAX));
            }),
            INVALID,
        ),
        (
            "oversize",
            forge::signed(iss, &header, &Value::Object(oversize_claims)),
            INVALID,
        ),
        ("not a JWT", "this is not a token".to_string(), INVALID),
        ("two parts", format!("{valid_header}.{valid_payload}"), INVALID),
        ("four parts", format!("{valid}.{valid_sig}"), INVALID),
        (
            "JWE (5 parts)",
            format!(
                "{}.a.b.c.d",
                forge::b64_json(&json!({"alg": "RSA-OAEP", "enc": "A256GCM"}))
            ),
            INVALID,
        ),
        ("garbage base64", "@@@@.####.$$$$".to_string(), INVALID),
        (
            "padded base64 header",
            format!("{valid_header}=.{valid_payload}.{valid_sig}"),
            INVALID,
        ),
        (
            "header not JSON",
            format!("{}.{valid_payload}.{valid_sig}", forge::b64(b"{alg:RS256")),
            INVALID,
        ),
        (
            "header a JSON array",
            format!("{}.{valid_payload}.{valid_sig}", forge::b64(b"[\"RS256\"]")),
            INVALID,
        ),
        (
            "payload not an object",
            forge::signed(iss, &header, &json!(["sub"])),
            INVALID,
        ),
        (
            "kid a number",
            forge::signed(iss, &json!({"alg": "RS256", "kid": 7}), &claims),
            INVALID,
        ),
        (
            "crit header",
            forge::signed(iss, &json!({"alg": "RS256", "kid": kid, "crit": ["exp"]}), &claims),
            INVALID,
        ),
        ("retired key", retired_token, INVALID),
        (
            "RS256 header but EC key",
            forge::signed(iss, &json!({"alg": "RS256", "kid": EC_KID}), &claims),
            INVALID,
        ),
        (
            "ES256 header but RSA key",
            ec_signer().sign(&json!({"alg": "ES256", "kid": kid}), &claims),
            INVALID,
        ),
        ("empty token", String::new(), INVALID),
        ("trailing newline", format!("{valid}\n"), INVALID),
        ("leading space", format!(" {valid}"), INVALID),
        ("non-ASCII", format!("{valid}é"), INVALID),
        ("empty signature", format!("{valid_header}.{valid_payload}."), INVALID),
    ]
}

#[test]
fn attack_table_is_refused_with_the_right_code() {
    let table = attack_table();
    assert!(table.len() >= 25);
    let mut failures = Vec::new();
    for (name, token, code) in &table {
        match run(token) {
            Ok(_) => failures.push(format!("{name}: ACCEPTED")),
            Err(e) if e.code() != *code => failures.push(format!("{name}: got {} ({})", e.code(), e.detail())),
            Err(e) => {
                assert_eq!(e.http_status(), 400);
                assert!(!e.message().is_empty());
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn messages_match_aws() {
    let msg = |token: &str| run(token).unwrap_err().message();
    let edit = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| forge::with_claims(issuer(), NOW, f);
    assert_eq!(
        msg(&edit(&|c| {
            c.remove("aud");
        })),
        "Missing a required claim: aud"
    );
    assert_eq!(
        msg(&edit(&|c| {
            c.insert("aud".into(), json!("x"));
        })),
        "Incorrect token audience"
    );
    assert_eq!(
        msg(&edit(&|c| {
            c.insert("iss".into(), json!("https://token.actions.githubusercontent.com"));
        })),
        "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"
    );
    assert_eq!(
        msg(&edit(&|c| {
            c.insert("iss".into(), json!(format!("{}/", forge::ISSUER_URL)));
        })),
        format!(
            "No OpenIDConnect provider found in your account for {}/",
            forge::ISSUER_URL
        )
    );
    let expired = run(&edit(&|c| {
        c.insert("exp".into(), json!(NOW - 3005));
    }))
    .unwrap_err();
    assert_eq!(expired.code(), "ExpiredTokenException");
    assert_eq!(
        expired.message(),
        format!(
            "Token expired: current date/time {NOW} must be before the expiration date/time {}",
            NOW - 3005
        )
    );
    let unknown = run(&forge::signed(
        issuer(),
        &forge::rs256_header("nope"),
        &json!(forge::valid_claims(forge::ISSUER_URL, NOW)),
    ))
    .unwrap_err();
    assert_eq!(
        unknown.message(),
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity \
         documentation for requirements"
    );
    let generic = "The web identity token that was passed could not be validated by Amazon Web Services. Get a new \
                   identity token from the identity provider and then retry the request.";
    assert_eq!(msg(&forge::flip_signature_bit(&minted(NOW))), generic);
    assert_eq!(msg("a.b"), generic);
    assert_eq!(
        TokenError::ThumbprintMismatch {
            observed: String::new()
        }
        .message(),
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
    );
    let unreachable = TokenError::IdpUnreachable { reason: "x".into() };
    assert_eq!(
        (unreachable.code(), unreachable.is_retryable()),
        ("IDPCommunicationError", true)
    );
    assert_eq!(TokenError::no_provider("https://a").code(), "InvalidIdentityToken");
}

#[test]
fn inspect_exposes_header_and_claims() {
    let token = inspect(&minted(NOW)).unwrap();
    assert_eq!(
        (token.alg(), token.kid(), token.typ()),
        ("RS256", Some(issuer().active_kid()), None)
    );
    assert_eq!(token.issuer(), Some(forge::ISSUER_URL));
    assert_eq!(token.subject(), Some("system:serviceaccount:team-a:app"));
    assert_eq!(token.audiences(), vec!["openshift".to_string()]);
    assert_eq!(
        (token.expires_at(), token.not_before(), token.issued_at()),
        (Some(NOW + 3600), Some(NOW), Some(NOW))
    );
    assert_eq!(token.header().len(), 2);
    assert!(token.claims().contains_key("kubernetes.io"));
}

#[test]
fn jwks_parsing_skips_unusable_keys() {
    let doc = json!({"keys": [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "RSA", "use": "enc", "kid": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "RSA", "kid": "bad-n", "n": "!!", "e": "AQAB"},
        {"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "kid": "short", "x": "AA", "y": "AA"},
        ec_signer().jwk("good-ec"),
    ]});
    let jwks = Jwks::from_json(doc.to_string().as_bytes()).unwrap();
    assert_eq!((jwks.len(), jwks.kids()), (1, vec!["good-ec"]));
    for bad in [&b"not json"[..], b"{}", b"{\"keys\": 1}", b"[]"] {
        assert_eq!(Jwks::from_json(bad).unwrap_err().code(), "InvalidIdentityToken");
    }
    assert!(Jwks::from_json(b"{\"keys\": []}").unwrap().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_or_verify(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(run(&text).is_err());
        // The same bytes as base64url parts of a JWS.
        let as_jws = format!("{}.{}.{}", forge::b64(&bytes), forge::b64(&bytes[bytes.len() / 2..]), forge::b64(&bytes));
        prop_assert!(run(&as_jws).is_err());
    }

    #[test]
    fn random_text_never_panics(text in "[A-Za-z0-9_.=-]{0,300}") {
        prop_assert!(run(&text).is_err());
    }

    #[test]
    fn mutations_of_a_valid_token_never_verify(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..4)
    ) {
        let original = valid_token();
        let mut bytes = original.as_bytes().to_vec();
        for (index, kind, value) in edits {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
            let c = alphabet[usize::from(value) % alphabet.len()];
            match kind {
                0 if !bytes.is_empty() => { let i = index.index(bytes.len()); bytes[i] = c; }
                1 => { let i = index.index(bytes.len() + 1); bytes.insert(i, c); }
                2 if !bytes.is_empty() => { let i = index.index(bytes.len()); bytes.remove(i); }
                _ => { let i = index.index(bytes.len() + 1); bytes.truncate(i); }
            }
        }
        let mutated = String::from_utf8_lossy(&bytes).into_owned();
        prop_assume!(mutated != original);
        prop_assert!(run(&mutated).is_err(), "mutated token verified: {mutated}");
    }
}

fn valid_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| minted(NOW))
}

#[test]
fn decodes_nothing_it_should_not() {
    // A canonical-base64 check: the last character of a 2-byte tail must carry no stray bits.
    let valid = minted(NOW);
    let (input, sig) = valid.rsplit_once('.').unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    assert_eq!(bytes.len(), 256);
    // 256 bytes → 342 chars with 4 stray bits in the last one; setting them must be refused.
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let pos = alphabet.find(last).unwrap();
    let stray = alphabet.chars().nth(pos | 1).unwrap();
    if stray != last {
        let token = format!("{input}.{}{stray}", &sig[..sig.len() - 1]);
        assert!(inspect(&token).is_err());
    }
}
