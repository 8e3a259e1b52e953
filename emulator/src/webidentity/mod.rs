//! Verifying a web-identity token the way STS `AssumeRoleWithWebIdentity` does, in three steps
//! the caller strings together:
//!
//! 1. [`inspect`] parses without trusting anything (a compact JWS, nothing else). STS then looks
//!    up the IAM OIDC provider for [`UnverifiedToken::issuer`] (the exact `iss` string; a
//!    mismatch, trailing slash included, is [`TokenError::no_provider`]).
//! 2. [`verify_signature`] checks the signature against the provider's [`Jwks`] (built-in
//!    issuer: [`crate::issuer::Issuer::verification_keys`]; anything else: [`external`]).
//! 3. [`check_claims`] checks time and claims against `now` and the provider's client IDs.
//!
//! # Error wording
//! Codes are STS's: `InvalidIdentityToken`, `ExpiredTokenException`, `IDPCommunicationError`,
//! all HTTP 400. Messages are AWS's observed texts (spec aws-semantics §1.4) where one is known:
//! no provider, `Incorrect token audience`, `Missing a required claim: aud`, the
//! verification-key and thumbprint messages, and the expiry message. Where AWS's text is
//! unknown (bad signature, malformed JWT, `alg: none`, unsupported algorithm, a `nbf`/`iat` in
//! the future) the message is the STS model's generic `InvalidIdentityToken` text; the precise
//! reason is kept in [`TokenError::detail`] for logs and audit events, never on the wire.
//!
//! Decisions where AWS is silent:
//! - `Missing a required claim: <name>` is used for `exp`, `sub` and `iss` too: AWS's text for
//!   `aud` is evidently a template.
//! - A `kid` that the key set does not contain gets the "Couldn't retrieve verification key"
//!   message: from STS's side, it could not get *the* key for the token.
//! - No leeway on `exp` (the token is expired once `now >= exp`, matching AWS's "must be before");
//!   [`NOT_BEFORE_LEEWAY_SECONDS`] (5 minutes, the SigV4 skew AWS allows elsewhere) on `nbf` and
//!   `iat`, so an external cluster whose clock is a little ahead of the virtual clock still works.
//! - Claims are checked in the order `exp`, `nbf`, `iat`, `aud`, `sub`, `iss`.
//! - The token must be exactly the compact JWS: surrounding whitespace (a trailing newline from a
//!   token file) is refused, not trimmed.
//! - ES512 is accepted by STS but not by the crypto library used here; such tokens are refused.

mod jwks;

pub mod external;
#[cfg(test)]
pub(crate) mod forge;
mod http;
#[cfg(test)]
mod tests;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

pub use jwks::Jwks;
use jwks::KeyKind;

/// STS model limit on `WebIdentityToken` (`clientTokenType`: 4 to 20000 characters).
pub const MAX_TOKEN_CHARS: usize = 20_000;
/// STS model minimum on `WebIdentityToken`.
pub const MIN_TOKEN_CHARS: usize = 4;
/// How far `nbf` and `iat` may be ahead of `now` (seconds).
pub const NOT_BEFORE_LEEWAY_SECONDS: i64 = 300;

/// Claim carrying session tags (`principal_tags`, `transitive_tag_keys`).
pub const SESSION_TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// Claim carrying the source identity.
pub const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

const GENERIC_MESSAGE: &str = "The web identity token that was passed could not be validated by Amazon Web Services. \
Get a new identity token from the identity provider and then retry the request.";
// The double space is AWS's.
const KEY_RETRIEVAL_MESSAGE: &str = "Couldn't retrieve verification key from your identity provider,  please reference \
AssumeRoleWithWebIdentity documentation for requirements";
const THUMBPRINT_MESSAGE: &str = "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint";
const IDP_UNREACHABLE_MESSAGE: &str = "The request could not be fulfilled because the identity provider (IDP) that \
was asked to verify the incoming identity token could not be reached.";

/// Why a web-identity token was refused. [`TokenError::code`] and [`TokenError::message`] are
/// what goes on the wire; [`TokenError::detail`] is the precise reason, for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a well-formed compact JWS with JSON header and claims (includes JWE, oversize, bad
    /// base64, non-integer timestamps).
    Malformed { reason: String },
    /// `alg` is `none`, symmetric, or otherwise not one STS accepts.
    UnsupportedAlgorithm { alg: String },
    /// Keys with the token's `kid` exist, but none of a type/alg that matches the token's `alg`.
    KeyAlgorithmMismatch { alg: String, kid: Option<String> },
    /// No key in the key set for the token's `kid` (or no key at all).
    UnknownKey { kid: Option<String> },
    /// The signature does not verify.
    InvalidSignature,
    /// No IAM OIDC provider registered for the token's `iss`.
    NoProvider { issuer: String },
    /// A required claim is absent (or empty).
    MissingClaim { claim: &'static str },
    /// A claim has the wrong type or an impossible value.
    InvalidClaim { claim: &'static str, reason: String },
    /// None of the token's audiences is a client ID of the provider.
    IncorrectAudience { audiences: Vec<String> },
    /// `now >= exp`.
    Expired { now: i64, expires_at: i64 },
    /// `nbf` or `iat` is beyond `now` + leeway.
    NotYetValid { claim: &'static str, value: i64, now: i64 },
    /// Discovery or JWKS could not be fetched or read although the issuer answered.
    KeyRetrieval { reason: String },
    /// The provider's HTTPS certificate chain does not end in a configured thumbprint.
    ThumbprintMismatch { observed: String },
    /// The issuer could not be reached (connection refused, DNS, TLS failure, timeout).
    IdpUnreachable { reason: String },
}

impl TokenError {
    /// The error STS returns when no IAM OIDC provider matches the token's `iss`.
    pub fn no_provider(issuer: &str) -> TokenError {
        TokenError::NoProvider {
            issuer: issuer.to_string(),
        }
    }

    /// STS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired { .. } => "ExpiredTokenException",
            TokenError::IdpUnreachable { .. } => "IDPCommunicationError",
            _ => "InvalidIdentityToken",
        }
    }

    /// The message AWS puts in the error response.
    pub fn message(&self) -> String {
        match self {
            TokenError::NoProvider { issuer } => {
                format!("No OpenIDConnect provider found in your account for {issuer}")
            }
            TokenError::MissingClaim { claim } => format!("Missing a required claim: {claim}"),
            TokenError::IncorrectAudience { .. } => "Incorrect token audience".to_string(),
            TokenError::Expired { now, expires_at } => {
                format!("Token expired: current date/time {now} must be before the expiration date/time {expires_at}")
            }
            TokenError::UnknownKey { .. } | TokenError::KeyRetrieval { .. } => KEY_RETRIEVAL_MESSAGE.to_string(),
            TokenError::ThumbprintMismatch { .. } => THUMBPRINT_MESSAGE.to_string(),
            TokenError::IdpUnreachable { .. } => IDP_UNREACHABLE_MESSAGE.to_string(),
            TokenError::Malformed { .. }
            | TokenError::UnsupportedAlgorithm { .. }
            | TokenError::KeyAlgorithmMismatch { .. }
            | TokenError::InvalidSignature
            | TokenError::InvalidClaim { .. }
            | TokenError::NotYetValid { .. } => GENERIC_MESSAGE.to_string(),
        }
    }

    /// HTTP status: all three codes are 400 in STS.
    pub fn http_status(&self) -> u16 {
        400
    }

    /// Whether a client should retry (only `IDPCommunicationError` is retryable).
    pub fn is_retryable(&self) -> bool {
        matches!(self, TokenError::IdpUnreachable { .. })
    }

    /// The precise reason, for logs and audit events (never sent to the caller).
    pub fn detail(&self) -> String {
        match self {
            TokenError::Malformed { reason } => format!("malformed token: {reason}"),
            TokenError::UnsupportedAlgorithm { alg } => format!("unsupported signing algorithm {alg:?}"),
            TokenError::KeyAlgorithmMismatch { alg, kid } => {
                format!("no key for kid {kid:?} can verify alg {alg:?}")
            }
            TokenError::UnknownKey { kid } => format!("no verification key for kid {kid:?}"),
            TokenError::InvalidSignature => "signature does not verify".to_string(),
            TokenError::InvalidClaim { claim, reason } => format!("claim {claim}: {reason}"),
            TokenError::IncorrectAudience { audiences } => format!("token audiences {audiences:?} match no client ID"),
            TokenError::NotYetValid { claim, value, now } => {
                format!("{claim} {value} is in the future (now {now}, leeway {NOT_BEFORE_LEEWAY_SECONDS}s)")
            }
            TokenError::KeyRetrieval { reason } => format!("key retrieval: {reason}"),
            TokenError::ThumbprintMismatch { observed } => format!("certificate thumbprint {observed} not configured"),
            TokenError::IdpUnreachable { reason } => format!("identity provider unreachable: {reason}"),
            other => other.message(),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for TokenError {}

fn malformed(reason: impl Into<String>) -> TokenError {
    TokenError::Malformed { reason: reason.into() }
}

/// A parsed, not yet trusted token.
#[derive(Debug, Clone, PartialEq)]
pub struct UnverifiedToken {
    raw: String,
    /// Byte offset of the second `.`: `raw[..signed_len]` is the JWS signing input.
    signed_len: usize,
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

/// Parses `token` as a compact JWS without trusting it. Refuses: empty, shorter than 4 or longer
/// than 20000 characters, characters outside base64url and `.`, JWE (5 parts), anything but 3
/// parts, `alg: none` (also with an empty signature or a trailing dot), an empty signature,
/// non-canonical base64url, header or claims that are not JSON objects, a `crit` header, and
/// claims of the wrong type (`exp`/`nbf`/`iat` not integers, `iss`/`sub` not strings, `aud` not
/// a string or array of strings).
pub fn inspect(token: &str) -> Result<UnverifiedToken, TokenError> {
    if token.is_empty() {
        return Err(malformed("empty token"));
    }
    if token.len() > MAX_TOKEN_CHARS {
        return Err(malformed(format!("longer than {MAX_TOKEN_CHARS} characters")));
    }
    if token.len() < MIN_TOKEN_CHARS {
        return Err(malformed(format!("shorter than {MIN_TOKEN_CHARS} characters")));
    }
    if let Some(c) = token
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(malformed(format!("character {c:?} is not base64url")));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() == 5 {
        return Err(malformed("JWE (encrypted token) is not accepted"));
    }
    if parts.len() != 3 {
        return Err(malformed(format!("{} parts, a JWS has 3", parts.len())));
    }
    let header = decode_object(parts[0], "header")?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        Some(_) => return Err(malformed("header alg is not a string")),
        None => return Err(malformed("header has no alg")),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(TokenError::UnsupportedAlgorithm { alg });
    }
    if header.contains_key("crit") {
        return Err(malformed("header crit extensions are not supported"));
    }
    let kid = optional_string(&header, "kid").map_err(|_| malformed("header kid is not a string"))?;
    let typ = optional_string(&header, "typ").map_err(|_| malformed("header typ is not a string"))?;
    let claims = decode_object(parts[1], "claims")?;
    if parts[2].is_empty() {
        return Err(malformed("empty signature"));
    }
    URL_SAFE_NO_PAD
        .decode(parts[2])
        .map_err(|e| malformed(format!("signature is not base64url: {e}")))?;
    for claim in ["exp", "nbf", "iat"] {
        if let Some(v) = claims.get(claim)
            && v.as_i64().is_none()
        {
            return Err(TokenError::InvalidClaim {
                claim: static_name(claim),
                reason: "not an integer".to_string(),
            });
        }
    }
    for claim in ["iss", "sub"] {
        if let Some(v) = claims.get(claim)
            && !v.is_string()
        {
            return Err(TokenError::InvalidClaim {
                claim: static_name(claim),
                reason: "not a string".to_string(),
            });
        }
    }
    match claims.get("aud") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => {
            return Err(TokenError::InvalidClaim {
                claim: "aud",
                reason: "not a string or array of strings".to_string(),
            });
        }
    }
    let signed_len = parts[0].len() + 1 + parts[1].len();
    Ok(UnverifiedToken {
        raw: token.to_string(),
        signed_len,
        alg,
        kid,
        typ,
        header,
        claims,
    })
}

fn static_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "iat" => "iat",
        "iss" => "iss",
        "sub" => "sub",
        _ => "claim",
    }
}

fn decode_object(part: &str, what: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| malformed(format!("{what} is not base64url: {e}")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(format!("{what} is not a JSON object"))),
        Err(e) => Err(malformed(format!("{what} is not JSON: {e}"))),
    }
}

fn optional_string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, ()> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(()),
    }
}

impl UnverifiedToken {
    /// The token as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
    /// Header `alg`.
    pub fn alg(&self) -> &str {
        &self.alg
    }
    /// Header `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
    /// Header `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.typ.as_deref()
    }
    /// The whole header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }
    /// All claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
    /// `iss`, exactly as in the token (no normalisation: STS matches it byte for byte).
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }
    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.claims.get("sub").and_then(Value::as_str)
    }
    /// `aud` as a list, whether the token has a string or an array.
    pub fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    }
    /// `exp`.
    pub fn expires_at(&self) -> Option<i64> {
        self.claims.get("exp").and_then(Value::as_i64)
    }
    /// `nbf`.
    pub fn not_before(&self) -> Option<i64> {
        self.claims.get("nbf").and_then(Value::as_i64)
    }
    /// `iat`.
    pub fn issued_at(&self) -> Option<i64> {
        self.claims.get("iat").and_then(Value::as_i64)
    }
    fn signing_input(&self) -> &[u8] {
        self.raw.as_bytes().get(..self.signed_len).unwrap_or_default()
    }
    fn signature_b64(&self) -> &str {
        self.raw.get(self.signed_len + 1..).unwrap_or_default()
    }
}

/// Checks the signature against `jwks`. The token's `kid` selects the keys (a token without
/// `kid` tries every key); `alg` must be RS256/RS384/RS512 for RSA keys or ES256/ES384 for
/// P-256/P-384 keys, and equal the key's own `alg` when the JWK has one. Symmetric algorithms
/// are refused outright, so an HMAC keyed with the public key can never pass.
pub fn verify_signature(token: &UnverifiedToken, jwks: &Jwks) -> Result<(), TokenError> {
    let alg = match token.alg.as_str() {
        "RS256" => jsonwebtoken::Algorithm::RS256,
        "RS384" => jsonwebtoken::Algorithm::RS384,
        "RS512" => jsonwebtoken::Algorithm::RS512,
        "ES256" => jsonwebtoken::Algorithm::ES256,
        "ES384" => jsonwebtoken::Algorithm::ES384,
        other => return Err(TokenError::UnsupportedAlgorithm { alg: other.to_string() }),
    };
    let candidates: Vec<_> = jwks.keys_for(token.kid()).collect();
    if candidates.is_empty() {
        return Err(TokenError::UnknownKey { kid: token.kid.clone() });
    }
    let compatible: Vec<_> = candidates
        .into_iter()
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == token.alg))
        .filter(|k| match k.kind {
            KeyKind::Rsa => token.alg.starts_with("RS"),
            KeyKind::EcP256 => token.alg == "ES256",
            KeyKind::EcP384 => token.alg == "ES384",
        })
        .collect();
    if compatible.is_empty() {
        return Err(TokenError::KeyAlgorithmMismatch {
            alg: token.alg.clone(),
            kid: token.kid.clone(),
        });
    }
    let message = token.signing_input();
    let signature = token.signature_b64();
    let verified = compatible
        .iter()
        .any(|k| jsonwebtoken::crypto::verify(signature, message, &k.key, alg).unwrap_or(false));
    if verified {
        Ok(())
    } else {
        Err(TokenError::InvalidSignature)
    }
}

/// The claims of a token that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub` (STS's `SubjectFromWebIdentityToken`).
    pub subject: String,
    /// The client ID that matched: the first of the token's audiences that is a client ID.
    pub audience: String,
    /// Every `aud` value of the token.
    pub all_audiences: Vec<String>,
    /// `exp`.
    pub expires_at: i64,
    /// `iat`, if present.
    pub issued_at: Option<i64>,
    /// All claims (`amr`, `azp`, session tags, source identity, `kubernetes.io`, ...).
    pub claims: Map<String, Value>,
}

impl VerifiedClaims {
    /// The session-tags claim (`https://aws.amazon.com/tags`), if any.
    pub fn session_tags(&self) -> Option<&Value> {
        self.claims.get(SESSION_TAGS_CLAIM)
    }
    /// The source-identity claim (`https://aws.amazon.com/source_identity`), if a string.
    pub fn source_identity(&self) -> Option<&str> {
        self.claims.get(SOURCE_IDENTITY_CLAIM).and_then(Value::as_str)
    }
    /// `azp`, if a string.
    pub fn authorized_party(&self) -> Option<&str> {
        self.claims.get("azp").and_then(Value::as_str)
    }
    /// `amr` as a list (string or array of strings).
    pub fn amr(&self) -> Vec<String> {
        match self.claims.get("amr") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    }
}

/// Time and claim checks at `now` (epoch seconds) against the provider's `client_ids`: `exp`
/// required and `> now`; `nbf` and `iat` not beyond `now` + [`NOT_BEFORE_LEEWAY_SECONDS`]; `aud`
/// required and intersecting `client_ids`; `sub` and `iss` required. Call it after
/// [`verify_signature`]: it trusts the claims.
pub fn check_claims(token: &UnverifiedToken, now: i64, client_ids: &[String]) -> Result<VerifiedClaims, TokenError> {
    let expires_at = token.expires_at().ok_or(TokenError::MissingClaim { claim: "exp" })?;
    if now >= expires_at {
        return Err(TokenError::Expired { now, expires_at });
    }
    let horizon = now.saturating_add(NOT_BEFORE_LEEWAY_SECONDS);
    for (claim, value) in [("nbf", token.not_before()), ("iat", token.issued_at())] {
        if let Some(value) = value
            && value > horizon
        {
            return Err(TokenError::NotYetValid { claim, value, now });
        }
    }
    let all_audiences = token.audiences();
    if all_audiences.is_empty() {
        return Err(TokenError::MissingClaim { claim: "aud" });
    }
    let audience = all_audiences
        .iter()
        .find(|a| client_ids.iter().any(|c| c == *a))
        .cloned()
        .ok_or_else(|| TokenError::IncorrectAudience {
            audiences: all_audiences.clone(),
        })?;
    let subject = token
        .subject()
        .filter(|s| !s.is_empty())
        .ok_or(TokenError::MissingClaim { claim: "sub" })?;
    let issuer = token
        .issuer()
        .filter(|s| !s.is_empty())
        .ok_or(TokenError::MissingClaim { claim: "iss" })?;
    Ok(VerifiedClaims {
        issuer: issuer.to_string(),
        subject: subject.to_string(),
        audience,
        all_audiences,
        expires_at,
        issued_at: token.issued_at(),
        claims: token.claims.clone(),
    })
}
