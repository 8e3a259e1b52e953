//! Server-side AWS Signature Version 4 verification, pure: no I/O, no clock
//! (the caller passes `now`), no randomness.
//!
//! Canonicalisation follows `/work/shared/spec/aws-semantics.md` §7.1 and is
//! checked against AWS's published signing test suite (`tests/vectors.rs`).
//! Error codes and messages follow §5.6 (DynamoDB), §7.2 and §7.3 (STS).
//!
//! Flow: [`parse_auth`] the request (header or presigned query form), then
//! [`verify`] it with the secret of the access key it names (looking the key
//! up, and session tokens, are the caller's business). [`check_scope`]
//! checks the region and service of the credential scope when the caller
//! knows which it serves.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

/// The only algorithm SigV4 defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The only credential-scope terminator.
pub const TERMINATOR: &str = "aws4_request";
/// Allowed clock skew between the request time and the server's, both ways.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;
/// Longest validity of a presigned request (7 days).
pub const MAX_EXPIRES_SECONDS: i64 = 7 * 24 * 3600;

/// A request as received, before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The request path, raw (as on the request line, without the query).
    pub path: &'a str,
    /// The raw query string, without the leading `?` (empty if none).
    pub query: &'a str,
    /// Headers as received: any case, repeats allowed, in order.
    pub headers: &'a [(String, String)],
    /// The body (hashed unless `X-Amz-Content-SHA256` is present).
    pub body: &'a [u8],
    /// Normalise the path (remove `.`/`..` segments and empty segments) and
    /// percent-encode its raw bytes, as every service but S3 does (`true` for
    /// STS and DynamoDB). With `false` (S3 style) the path is percent-decoded
    /// and re-encoded once, without normalisation.
    pub normalize_path: bool,
}

impl<'a> SignedRequest<'a> {
    /// A request with `normalize_path = true` (STS, DynamoDB, …).
    pub fn new(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a [(String, String)],
        body: &'a [u8],
    ) -> Self {
        SignedRequest {
            method,
            path,
            query,
            headers,
            body,
            normalize_path: true,
        }
    }

    /// Values of the headers named `name` (case-insensitive), in order.
    fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> Option<&'a str> {
        self.header_values(name).next()
    }
}

/// Where the signature was carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthLocation {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// Presigned: `X-Amz-Algorithm`, `X-Amz-Credential`, … query parameters.
    Query {
        /// `X-Amz-Expires`, seconds.
        expires_seconds: i64,
    },
}

/// The authentication elements of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    pub location: AuthLocation,
    pub access_key_id: String,
    /// `YYYYMMDD` from the credential scope.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    /// The fifth scope element (must be `aws4_request`; checked by [`verify`]).
    pub terminator: String,
    /// Lowercase header names, in the order of `SignedHeaders`.
    pub signed_headers: Vec<String>,
    /// Hex signature as sent.
    pub signature: String,
    /// `X-Amz-Security-Token` (header, or query parameter when presigned).
    pub session_token: Option<String>,
    /// The request time in `YYYYMMDDTHHMMSSZ` (from `X-Amz-Date`, else `Date`).
    pub amz_date: String,
    /// The request time, seconds since the Unix epoch.
    pub request_time: i64,
}

impl ParsedAuth {
    /// `YYYYMMDD/region/service/terminator`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.scope_date, self.region, self.service, self.terminator
        )
    }
}

/// Why a request failed authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor presigned query parameters.
    MissingAuthentication,
    /// Authentication present but incomplete or malformed; the text says what.
    IncompleteSignature(String),
    /// The credential scope's terminator is not `aws4_request`.
    BadTerminator,
    /// The credential scope's date differs from the request date.
    ScopeDateMismatch,
    /// The credential scope names another region (from [`check_scope`]).
    BadRegion { region: String },
    /// The credential scope names another service; `expected` is the right one.
    BadService { expected: String },
    /// Request time more than 15 minutes before `now`.
    SignatureExpired { request_time: i64, now: i64 },
    /// Request time more than 15 minutes after `now`.
    SignatureNotYetCurrent { request_time: i64, now: i64 },
    /// A presigned request used after `X-Amz-Date + X-Amz-Expires`.
    PresignedExpired {
        request_time: i64,
        expires_seconds: i64,
        now: i64,
    },
    /// The signature does not match.
    SignatureMismatch,
}

const MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl SigV4Error {
    /// The message AWS puts in the error (shared by STS and DynamoDB except
    /// for [`SigV4Error::IncompleteSignature`] on DynamoDB).
    pub fn message(&self) -> String {
        match self {
            SigV4Error::MissingAuthentication => "Request is missing Authentication Token".to_owned(),
            SigV4Error::IncompleteSignature(detail) => detail.clone(),
            SigV4Error::BadTerminator => {
                "Credential should be scoped with a valid terminator: 'aws4_request'".to_owned()
            }
            SigV4Error::ScopeDateMismatch => {
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP".to_owned()
            }
            SigV4Error::BadRegion { region } => {
                format!("Credential should be scoped to a valid Region, not {region}")
            }
            SigV4Error::BadService { expected } => {
                format!("Credential should be scoped to correct service: '{expected}'")
            }
            SigV4Error::SignatureExpired { request_time, now } => format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                format_amz_date(*request_time),
                format_amz_date(now - MAX_SKEW_SECONDS),
                format_amz_date(*now)
            ),
            SigV4Error::SignatureNotYetCurrent { request_time, now } => format!(
                "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                format_amz_date(*request_time),
                format_amz_date(now + MAX_SKEW_SECONDS),
                format_amz_date(*now)
            ),
            // Unverified against live STS/DynamoDB (S3's text); see report.
            SigV4Error::PresignedExpired { .. } => "Request has expired".to_owned(),
            SigV4Error::SignatureMismatch => MISMATCH_MESSAGE.to_owned(),
        }
    }

    /// STS (awsQuery) error: `(Code, HTTP status, Message)`.
    pub fn sts(&self) -> (&'static str, u16, String) {
        let code = match self {
            SigV4Error::MissingAuthentication => "MissingAuthenticationToken",
            SigV4Error::IncompleteSignature(_) => "IncompleteSignature",
            _ => "SignatureDoesNotMatch",
        };
        let status = match self {
            SigV4Error::IncompleteSignature(_) => 400,
            _ => 403,
        };
        (code, status, self.message())
    }

    /// DynamoDB (JSON 1.0) error: `(__type suffix, HTTP status, message)`; all 400.
    pub fn dynamodb(&self) -> (&'static str, u16, String) {
        match self {
            SigV4Error::MissingAuthentication => ("MissingAuthenticationTokenException", 400, self.message()),
            SigV4Error::IncompleteSignature(_) => (
                "IncompleteSignatureException",
                400,
                "The request signature does not conform to AWS standards.".to_owned(),
            ),
            _ => ("InvalidSignatureException", 400, self.message()),
        }
    }
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SigV4Error {}

fn incomplete(text: &str) -> SigV4Error {
    SigV4Error::IncompleteSignature(text.to_owned())
}

/// Reads the authentication elements from the `Authorization` header or the
/// presigned query parameters.
pub fn parse_auth(req: &SignedRequest<'_>) -> Result<ParsedAuth, SigV4Error> {
    let query = parse_query(req.query);
    let q = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let header = req.header("authorization");
    let algorithm = q("X-Amz-Algorithm");

    let (location, credential, signed_headers, signature, date, token) = match (header, algorithm) {
        (None, None) => return Err(SigV4Error::MissingAuthentication),
        (Some(_), Some(_)) => {
            return Err(incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
            ));
        }
        (Some(h), None) => {
            let h = h.trim();
            let rest = match h.split_once(char::is_whitespace) {
                Some((alg, rest)) if alg == ALGORITHM => rest,
                _ => {
                    return Err(SigV4Error::IncompleteSignature(format!(
                        "Unsupported AWS 'algorithm': '{}'",
                        h.split_whitespace().next().unwrap_or("")
                    )));
                }
            };
            let (mut credential, mut signed, mut signature) = (None, None, None);
            for part in rest.split(',') {
                let part = part.trim();
                if let Some((k, v)) = part.split_once('=') {
                    match k.trim() {
                        "Credential" => credential = Some(v.trim().to_owned()),
                        "SignedHeaders" => signed = Some(v.trim().to_owned()),
                        "Signature" => signature = Some(v.trim().to_owned()),
                        _ => {}
                    }
                }
            }
            let mut missing = String::new();
            for (name, v) in [
                ("Credential", &credential),
                ("Signature", &signature),
                ("SignedHeaders", &signed),
            ] {
                if v.is_none() {
                    missing.push_str(&format!("Authorization header requires '{name}' parameter. "));
                }
            }
            if !missing.is_empty() {
                return Err(SigV4Error::IncompleteSignature(format!("{missing}Authorization={h}")));
            }
            let date = req.header("x-amz-date").map(|d| d.trim().to_owned());
            let token = req.header("x-amz-security-token").map(|t| t.trim().to_owned());
            (
                AuthLocation::Header,
                credential.unwrap_or_default(),
                signed.unwrap_or_default(),
                signature.unwrap_or_default(),
                date,
                token,
            )
        }
        (None, Some(alg)) => {
            if alg != ALGORITHM {
                return Err(SigV4Error::IncompleteSignature(format!(
                    "X-Amz-Algorithm only supports \"{ALGORITHM}\""
                )));
            }
            let mut missing = Vec::new();
            for name in [
                "X-Amz-Credential",
                "X-Amz-Signature",
                "X-Amz-SignedHeaders",
                "X-Amz-Date",
                "X-Amz-Expires",
            ] {
                if q(name).is_none() {
                    missing.push(name);
                }
            }
            if !missing.is_empty() {
                return Err(SigV4Error::IncompleteSignature(format!(
                    "AWS query-string parameters must include {}.",
                    missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ")
                )));
            }
            let expires = q("X-Amz-Expires").unwrap_or_default();
            let expires_seconds: i64 = match expires.parse() {
                Ok(e) if (0..=MAX_EXPIRES_SECONDS).contains(&e) && expires.bytes().all(|b| b.is_ascii_digit()) => e,
                _ => {
                    return Err(SigV4Error::IncompleteSignature(format!(
                        "X-Amz-Expires must be a number of seconds between 0 and {MAX_EXPIRES_SECONDS}, not '{expires}'"
                    )));
                }
            };
            (
                AuthLocation::Query { expires_seconds },
                q("X-Amz-Credential").unwrap_or_default().to_owned(),
                q("X-Amz-SignedHeaders").unwrap_or_default().to_owned(),
                q("X-Amz-Signature").unwrap_or_default().to_owned(),
                q("X-Amz-Date").map(str::to_owned),
                q("X-Amz-Security-Token").map(str::to_owned),
            )
        }
    };

    // AKID/YYYYMMDD/region/service/aws4_request; the key id is everything before.
    let mut parts = credential.rsplitn(5, '/');
    let (terminator, service, region, scope_date, access_key_id) = match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some(t), Some(s), Some(r), Some(d), Some(a)) if !a.is_empty() => (t, s, r, d, a),
        _ => {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Credential should have exactly 5 slash-separated parts: AKID/YYYYMMDD/region/service/aws4_request, not '{credential}'"
            )));
        }
    };

    let (amz_date, request_time) = match date {
        Some(d) => {
            let t = parse_amz_date(&d).ok_or_else(|| {
                SigV4Error::IncompleteSignature(format!(
                    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", not '{d}'"
                ))
            })?;
            (d, t)
        }
        None => {
            let d = req.header("date").map(str::trim).ok_or_else(|| {
                incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
            })?;
            let t = parse_amz_date(d)
                .or_else(|| parse_http_date(d))
                .ok_or_else(|| SigV4Error::IncompleteSignature(format!("Date header could not be parsed: '{d}'")))?;
            (format_amz_date(t), t)
        }
    };

    if signed_headers.is_empty() || signature.is_empty() {
        return Err(incomplete("SignedHeaders and Signature must not be empty."));
    }

    Ok(ParsedAuth {
        location,
        access_key_id: access_key_id.to_owned(),
        scope_date: scope_date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: terminator.to_owned(),
        signed_headers: signed_headers
            .split(';')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect(),
        signature,
        session_token: token,
        amz_date,
        request_time,
    })
}

/// The canonical request (spec §7.1).
pub fn canonical_request(req: &SignedRequest<'_>, auth: &ParsedAuth) -> String {
    let mut out = String::new();
    out.push_str(req.method);
    out.push('\n');
    out.push_str(&canonical_uri(req.path, req.normalize_path));
    out.push('\n');
    out.push_str(&canonical_query(
        req.query,
        matches!(auth.location, AuthLocation::Query { .. }),
    ));
    out.push('\n');
    for name in &auth.signed_headers {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = req.header_values(name).map(canonical_header_value).collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&auth.signed_headers.join(";"));
    out.push('\n');
    match req.header("x-amz-content-sha256") {
        Some(h) => out.push_str(h.trim()),
        None => out.push_str(&hex(&Sha256::digest(req.body))),
    }
    out
}

/// The string to sign for a canonical request (spec §7.1).
pub fn string_to_sign(auth: &ParsedAuth, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        auth.amz_date,
        auth.credential_scope(),
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning` for a secret and scope (spec §7.1).
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// The hex signature this crate computes for a request (what the client should have sent).
pub fn compute_signature(req: &SignedRequest<'_>, auth: &ParsedAuth, secret: &str) -> String {
    let key = signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
    signature_with_key(req, auth, &key)
}

fn signature_with_key(req: &SignedRequest<'_>, auth: &ParsedAuth, key: &[u8; 32]) -> String {
    let sts = string_to_sign(auth, &canonical_request(req, auth));
    hex(&hmac(key, sts.as_bytes()))
}

/// Signing keys already derived, by secret and credential scope, so that a
/// client signing many requests with one key on one day costs one HMAC per
/// request instead of five: the key of a scope changes only with the date.
///
/// Bounded: the entries are spread over [`SigningKeyCache::SHARDS`] shards,
/// each behind its own short-held lock (a lookup and a 32-byte copy) so that
/// concurrent requests seldom wait for one another; a shard that reaches its
/// share of the capacity is cleared and starts over (keys are cheap to derive
/// again, and the secrets of a busy emulator are few: one per long-term key or
/// session in use).
///
/// Only keys that verified a signature are kept ([`verify_cached`]), so
/// requests with wrong signatures or made-up scopes do not push good keys out.
/// `Debug` shows the number of entries, never a secret or a key.
pub struct SigningKeyCache {
    shards: [Mutex<HashMap<u64, CachedKey, BuildHasherDefault<PreHashed>>>; SigningKeyCache::SHARDS],
    per_shard: usize,
}

/// A derived key with the inputs it was derived from: a lookup compares them
/// all, so two scopes whose hashes collide only evict each other.
struct CachedKey {
    secret: Box<str>,
    date: Box<str>,
    region: Box<str>,
    service: Box<str>,
    key: [u8; 32],
}

impl CachedKey {
    fn is_for(&self, secret: &str, date: &str, region: &str, service: &str) -> bool {
        *self.secret == *secret && *self.date == *date && *self.region == *region && *self.service == *service
    }
}

/// The maps' keys are already hashes ([`SigningKeyCache::hash`]): used as they are.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else in anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl SigningKeyCache {
    /// Shards of the cache (a power of two).
    pub const SHARDS: usize = 8;

    /// A cache of at most `capacity` keys (at least one per shard).
    pub fn new(capacity: usize) -> SigningKeyCache {
        SigningKeyCache {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::default())),
            per_shard: capacity.div_ceil(Self::SHARDS).max(1),
        }
    }

    /// The most keys the cache holds.
    pub fn capacity(&self) -> usize {
        self.per_shard * Self::SHARDS
    }

    /// The keys held now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every key.
    pub fn clear(&self) {
        for shard in &self.shards {
            shard.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    /// Hashes the four inputs with a fixed-key SipHash: this crate stays free of
    /// randomness, and flooding is harmless because colliding entries replace
    /// each other instead of chaining.
    fn hash(secret: &str, date: &str, region: &str, service: &str) -> u64 {
        let mut h = DefaultHasher::new();
        (secret, date, region, service).hash(&mut h);
        h.finish()
    }

    fn shard(&self, hash: u64) -> std::sync::MutexGuard<'_, HashMap<u64, CachedKey, BuildHasherDefault<PreHashed>>> {
        // The map inside uses the low bits (bucket) and the top seven (tag):
        // bits from the middle pick the shard.
        let index = (hash >> 32) as usize % Self::SHARDS;
        // A panic while the lock was held cannot leave a half-written entry
        // (inserts and clears are whole), so a poisoned shard is still usable.
        self.shards[index].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, hash: u64, secret: &str, date: &str, region: &str, service: &str) -> Option<[u8; 32]> {
        self.shard(hash)
            .get(&hash)
            .filter(|c| c.is_for(secret, date, region, service))
            .map(|c| c.key)
    }

    fn insert(&self, hash: u64, secret: &str, date: &str, region: &str, service: &str, key: [u8; 32]) {
        let mut shard = self.shard(hash);
        if shard.len() >= self.per_shard && !shard.contains_key(&hash) {
            shard.clear();
        }
        shard.insert(
            hash,
            CachedKey {
                secret: secret.into(),
                date: date.into(),
                region: region.into(),
                service: service.into(),
                key,
            },
        );
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// Checks the credential scope's region and service against the ones the
/// caller serves.
pub fn check_scope(auth: &ParsedAuth, region: &str, service: &str) -> Result<(), SigV4Error> {
    if auth.region != region {
        return Err(SigV4Error::BadRegion {
            region: auth.region.clone(),
        });
    }
    if auth.service != service {
        return Err(SigV4Error::BadService {
            expected: service.to_owned(),
        });
    }
    Ok(())
}

/// Verifies a parsed request against `secret` at `now_epoch_seconds`: scope
/// terminator and date, clock skew (±15 min; presigned requests: not in the
/// future and not past `X-Amz-Expires`), then the signature in constant time.
pub fn verify(
    req: &SignedRequest<'_>,
    auth: &ParsedAuth,
    secret: &str,
    now_epoch_seconds: i64,
) -> Result<(), SigV4Error> {
    check_time(auth, now_epoch_seconds)?;
    let key = signing_key(secret, &auth.scope_date, &auth.region, &auth.service);
    check_signature(req, auth, &key)
}

/// [`verify`], with the signing key taken from `cache` (or derived, and kept
/// in it once a signature has matched). The same answer as [`verify`] for
/// every request.
pub fn verify_cached(
    req: &SignedRequest<'_>,
    auth: &ParsedAuth,
    secret: &str,
    now_epoch_seconds: i64,
    cache: &SigningKeyCache,
) -> Result<(), SigV4Error> {
    check_time(auth, now_epoch_seconds)?;
    let (date, region, service) = (&auth.scope_date, &auth.region, &auth.service);
    let hash = SigningKeyCache::hash(secret, date, region, service);
    if let Some(key) = cache.get(hash, secret, date, region, service) {
        return check_signature(req, auth, &key);
    }
    let key = signing_key(secret, date, region, service);
    check_signature(req, auth, &key)?;
    cache.insert(hash, secret, date, region, service, key);
    Ok(())
}

/// The checks of [`verify`] before the signature: scope and clock.
fn check_time(auth: &ParsedAuth, now_epoch_seconds: i64) -> Result<(), SigV4Error> {
    if auth.terminator != TERMINATOR {
        return Err(SigV4Error::BadTerminator);
    }
    if auth.amz_date.get(..8) != Some(auth.scope_date.as_str()) {
        return Err(SigV4Error::ScopeDateMismatch);
    }
    let (t, now) = (auth.request_time, now_epoch_seconds);
    if t > now + MAX_SKEW_SECONDS {
        return Err(SigV4Error::SignatureNotYetCurrent { request_time: t, now });
    }
    match auth.location {
        AuthLocation::Header => {
            if t < now - MAX_SKEW_SECONDS {
                return Err(SigV4Error::SignatureExpired { request_time: t, now });
            }
        }
        AuthLocation::Query { expires_seconds } => {
            if now > t + expires_seconds {
                return Err(SigV4Error::PresignedExpired {
                    request_time: t,
                    expires_seconds,
                    now,
                });
            }
        }
    }
    Ok(())
}

fn check_signature(req: &SignedRequest<'_>, auth: &ParsedAuth, key: &[u8; 32]) -> Result<(), SigV4Error> {
    let expected = signature_with_key(req, auth, key);
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureMismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------- encoding

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes every byte except the unreserved set (and `/` if `keep_slash`), uppercase hex.
fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            s.push(b as char);
        } else {
            s.push('%');
            s.push(DIGITS[usize::from(b >> 4)] as char);
            s.push(DIGITS[usize::from(b & 15)] as char);
        }
    }
    s
}

/// Decodes `%XX` sequences; anything else (including invalid `%`) is kept literally.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = (b[i + 1] as char).to_digit(16);
            let l = (b[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn canonical_uri(path: &str, normalize: bool) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    if !normalize {
        return uri_encode(&percent_decode(path), true);
    }
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = String::from("/");
    normalized.push_str(&segments.join("/"));
    // RFC 3986 §5.2.4 (as aws-sigv4 and aws-c-auth do): a final `.` or `..`
    // segment leaves a trailing slash ("/a/b/." is "/a/b/").
    let trailing = ["/", "/.", "/.."].iter().any(|end| path.ends_with(end));
    if trailing && normalized.len() > 1 {
        normalized.push('/');
    }
    uri_encode(normalized.as_bytes(), true)
}

/// Raw query → decoded (name, value) pairs; a pair without `=` has an empty value.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&percent_decode(n)).into_owned(),
                String::from_utf8_lossy(&percent_decode(v)).into_owned(),
            )
        })
        .collect()
}

fn canonical_query(query: &str, drop_signature: bool) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(n, v)| {
            (
                uri_encode(&percent_decode(n), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .filter(|(n, _)| !(drop_signature && n == "X-Amz-Signature"))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trims and collapses runs of whitespace (including folded lines) to one space,
/// as botocore does (`' '.join(value.split())`: tabs count as whitespace). The
/// Rust SDK's signer (aws-sigv4) collapses spaces only; the two differ only on
/// tabs inside a value (leading/trailing ones never survive HTTP parsing).
fn canonical_header_value(v: &str) -> String {
    v.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- time

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn epoch(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let valid = (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 61;
    valid.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYYMMDDTHHMMSSZ` → seconds since the epoch.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    epoch(
        digits(&s[0..4])?,
        digits(&s[4..6])?,
        digits(&s[6..8])?,
        digits(&s[9..11])?,
        digits(&s[11..13])?,
        digits(&s[13..15])?,
    )
}

/// RFC 1123 `Sun, 30 Aug 2015 12:36:00 GMT` → seconds since the epoch.
fn parse_http_date(s: &str) -> Option<i64> {
    let rest = s.split_once(',').map_or(s, |(_, r)| r).trim();
    let mut it = rest.split_ascii_whitespace();
    let d = digits(it.next()?)?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mon = it.next()?;
    let mo = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon))? as i64 + 1;
    let y = digits(it.next()?)?;
    let mut hms = it.next()?.split(':');
    let (h, mi, sec) = (digits(hms.next()?)?, digits(hms.next()?)?, digits(hms.next()?)?);
    if hms.next().is_some() || !matches!(it.next(), Some("GMT") | Some("UTC") | None) {
        return None;
    }
    epoch(y, mo, d, h, mi, sec)
}

/// Seconds since the epoch → `YYYYMMDDTHHMMSSZ`.
pub fn format_amz_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(t));
        assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(parse_amz_date("20150830T123600"), None);
    }

    /// A request signed for `region` with `secret`, and its parsed auth.
    fn signed(secret: &str, region: &str) -> (Vec<(String, String)>, ParsedAuth) {
        let credential = format!("AKIDEXAMPLE/20150830/{region}/service/aws4_request");
        let mut headers = vec![
            ("host".to_owned(), "example.amazonaws.com".to_owned()),
            ("x-amz-date".to_owned(), "20150830T123600Z".to_owned()),
            (
                "authorization".to_owned(),
                format!("{ALGORITHM} Credential={credential}, SignedHeaders=host;x-amz-date, Signature=00"),
            ),
        ];
        let req = SignedRequest::new("GET", "/", "", &headers, b"");
        let mut auth = parse_auth(&req).unwrap();
        auth.signature = compute_signature(&req, &auth, secret);
        headers[2].1 = format!(
            "{ALGORITHM} Credential={credential}, SignedHeaders=host;x-amz-date, Signature={}",
            auth.signature
        );
        (headers, auth)
    }

    #[test]
    fn the_signing_key_cache_hits_misses_and_stays_bounded() {
        const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let now = parse_amz_date("20150830T123600Z").unwrap();
        let cache = SigningKeyCache::new(16);
        assert_eq!(cache.capacity(), 16);
        let (headers, auth) = signed(SECRET, "us-east-1");
        let req = SignedRequest::new("GET", "/", "", &headers, b"");

        // A miss derives the key and keeps it once the signature matched.
        assert!(cache.is_empty());
        assert_eq!(verify_cached(&req, &auth, SECRET, now, &cache), Ok(()));
        assert_eq!(cache.len(), 1);
        let hash = SigningKeyCache::hash(SECRET, "20150830", "us-east-1", "service");
        let kept = cache.get(hash, SECRET, "20150830", "us-east-1", "service");
        assert_eq!(kept, Some(signing_key(SECRET, "20150830", "us-east-1", "service")));
        // Another secret with the same scope misses (even on a colliding hash).
        assert_eq!(cache.get(hash, "other", "20150830", "us-east-1", "service"), None);

        // A hit uses the kept key: replace it with a wrong one and the same
        // request no longer verifies; put the right one back and it does.
        cache.insert(hash, SECRET, "20150830", "us-east-1", "service", [0; 32]);
        assert_eq!(
            verify_cached(&req, &auth, SECRET, now, &cache),
            Err(SigV4Error::SignatureMismatch)
        );
        cache.insert(hash, SECRET, "20150830", "us-east-1", "service", kept.unwrap());
        assert_eq!(verify_cached(&req, &auth, SECRET, now, &cache), Ok(()));
        assert_eq!(cache.len(), 1);

        // Wrong secrets and failed checks answer as `verify` does and keep nothing.
        assert_eq!(
            verify_cached(&req, &auth, "wrong", now, &cache),
            Err(SigV4Error::SignatureMismatch)
        );
        assert_eq!(
            verify_cached(&req, &auth, SECRET, now + 3600, &cache),
            verify(&req, &auth, SECRET, now + 3600)
        );
        assert_eq!(cache.len(), 1);

        // Bounded: many scopes never hold more than the capacity, and every
        // request still verifies.
        for i in 0..200 {
            let region = format!("region-{i}");
            let (headers, auth) = signed(SECRET, &region);
            let req = SignedRequest::new("GET", "/", "", &headers, b"");
            assert_eq!(verify_cached(&req, &auth, SECRET, now, &cache), Ok(()));
            assert!(cache.len() <= cache.capacity(), "{} keys kept", cache.len());
        }
        assert!(!cache.is_empty());
        assert!(!format!("{cache:?}").contains(SECRET));
        cache.clear();
        assert!(cache.is_empty());

        // Neither secrets nor keys show in Debug.
        assert_eq!(format!("{cache:?}"), "SigningKeyCache { len: 0, capacity: 16 }");
    }

    #[test]
    fn encoding() {
        assert_eq!(canonical_uri("/a b/./../c//d/", true), "/c/d/");
        assert_eq!(canonical_uri("/a%20b", true), "/a%2520b");
        assert_eq!(canonical_uri("/a/b/.", true), "/a/b/");
        assert_eq!(canonical_uri("/a/b/..", true), "/a/");
        assert_eq!(canonical_uri("/..", true), "/");
        assert_eq!(canonical_uri("/a%20b", false), "/a%20b");
        assert_eq!(canonical_query("b=2&a=x y&a=1&c", false), "a=1&a=x%20y&b=2&c=");
        assert_eq!(percent_decode("%4"), b"%4");
        assert_eq!(percent_decode("%41%zz"), b"A%zz");
    }
}
