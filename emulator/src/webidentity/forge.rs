//! Token-crafting helpers for tests (this module and later STS-level tests in the crate): valid
//! tokens, well-signed tokens with bad claims, and the classic JWT attacks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256};
use serde_json::{Map, Value, json};

use super::{Jwks, TokenError, VerifiedClaims, check_claims, inspect, verify_signature};
use crate::issuer::Issuer;

/// A fixed "now" for tests: 2023-11-14T22:13:20Z.
pub(crate) const NOW: i64 = 1_700_000_000;
/// The issuer URL forged tokens use.
pub(crate) const ISSUER_URL: &str = "https://oidc.rolechain.local/forge";

/// ccoctl's client IDs.
pub(crate) fn client_ids() -> Vec<String> {
    vec!["openshift".to_string(), "sts.amazonaws.com".to_string()]
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn b64_json(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

/// The claims of a valid projected token from `issuer_url` at `now` for `aud: ["openshift"]`.
pub(crate) fn valid_claims(issuer_url: &str, now: i64) -> Map<String, Value> {
    let claims = json!({
        "aud": ["openshift"],
        "exp": now + 3600,
        "iat": now,
        "iss": issuer_url,
        "jti": "6b1d1c1e-0000-4000-8000-000000000000",
        "kubernetes.io": {
            "namespace": "team-a",
            "pod": {"name": "app-7c9f8", "uid": "00000000-0000-8000-8000-000000000001"},
            "serviceaccount": {"name": "app", "uid": "00000000-0000-8000-8000-000000000002"}
        },
        "nbf": now,
        "sub": "system:serviceaccount:team-a:app",
    });
    match claims {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"alg":"RS256","kid":kid}`.
pub(crate) fn rs256_header(kid: &str) -> Value {
    json!({ "alg": "RS256", "kid": kid })
}

/// Header and claims signed with the issuer's active key (RS256), whatever they say.
pub(crate) fn signed(issuer: &Issuer, header: &Value, claims: &Value) -> String {
    issuer.sign_jws(header, claims).unwrap_or_default()
}

/// A well-signed token from `issuer` with valid claims at `now`, edited by `edit`.
pub(crate) fn with_claims(issuer: &Issuer, now: i64, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut claims = valid_claims(issuer.url(), now);
    edit(&mut claims);
    signed(issuer, &rs256_header(issuer.active_kid()), &Value::Object(claims))
}

/// `alg: none`: `header.payload.` (with the trailing dot) or `header.payload` (without).
pub(crate) fn alg_none(alg: &str, claims: &Map<String, Value>, trailing_dot: bool) -> String {
    let token = format!(
        "{}.{}",
        b64_json(&json!({ "alg": alg })),
        b64_json(&Value::Object(claims.clone()))
    );
    if trailing_dot { format!("{token}.") } else { token }
}

/// A symmetric-algorithm token whose HMAC key is `secret` (e.g. the issuer's public key: the
/// algorithm-confusion attack).
pub(crate) fn hmac_token(alg: jsonwebtoken::Algorithm, secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64_json(header), b64_json(claims));
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, alg).unwrap_or_default();
    format!("{input}.{signature}")
}

/// Replaces the payload of `token` with an edited copy, keeping header and signature.
pub(crate) fn tamper_payload(token: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Map<String, Value> = URL_SAFE_NO_PAD
        .decode(parts.get(1).copied().unwrap_or_default())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    edit(&mut claims);
    format!(
        "{}.{}.{}",
        parts.first().copied().unwrap_or_default(),
        b64_json(&Value::Object(claims)),
        parts.get(2).copied().unwrap_or_default()
    )
}

/// Flips one bit in the middle of the signature (keeping canonical base64url).
pub(crate) fn flip_signature_bit(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap_or((token, ""));
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    let middle = bytes.len() / 2;
    if let Some(b) = bytes.get_mut(middle) {
        *b ^= 0x01;
    }
    format!("{input}.{}", b64(&bytes))
}

/// An EC P-256 key that signs ES256 tokens and publishes itself as a JWK.
pub(crate) struct EcSigner {
    pair: KeyPair,
}

impl std::fmt::Debug for EcSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EcSigner")
    }
}

impl EcSigner {
    pub(crate) fn generate() -> EcSigner {
        EcSigner {
            pair: KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key generation"),
        }
    }

    /// The public key as a JWK (`kty: EC`, `crv: P-256`) with `kid` and no `alg`.
    pub(crate) fn jwk(&self, kid: &str) -> Value {
        let raw = self.pair.public_key_raw();
        let (x, y) = raw.get(1..).unwrap_or_default().split_at(32);
        json!({ "kty": "EC", "crv": "P-256", "use": "sig", "kid": kid, "x": b64(x), "y": b64(y) })
    }

    /// `header.claims` signed ES256 (whatever `header.alg` says).
    pub(crate) fn sign(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64_json(header), b64_json(claims));
        let key = jsonwebtoken::EncodingKey::from_ec_der(self.pair.serialized_der());
        let signature =
            jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::ES256).unwrap_or_default();
        format!("{input}.{signature}")
    }
}

/// A key set with every key of `issuer` plus extra JWKs.
pub(crate) fn jwks_with(issuer: &Issuer, extra: &[Value]) -> Jwks {
    let mut doc = issuer.jwks();
    if let Some(keys) = doc.get_mut("keys").and_then(Value::as_array_mut) {
        keys.extend(extra.iter().cloned());
    }
    Jwks::from_json(doc.to_string().as_bytes()).unwrap_or_default()
}

/// What STS does with a token, in order: parse, find the provider by exact `iss`, verify the
/// signature, check the claims.
pub(crate) fn pipeline(
    token: &str,
    jwks: &Jwks,
    provider_url: &str,
    now: i64,
    client_ids: &[String],
) -> Result<VerifiedClaims, TokenError> {
    let parsed = inspect(token)?;
    let iss = parsed.issuer().unwrap_or_default();
    if iss != provider_url {
        return Err(TokenError::no_provider(iss));
    }
    verify_signature(&parsed, jwks)?;
    check_claims(&parsed, now, client_ids)
}
