//! A built-in OIDC issuer: what a Kubernetes API server (the signer of projected service-account
//! tokens) and `ccoctl aws create-identity-provider` (the publisher of discovery + JWKS) do
//! together, offline.
//!
//! - Tokens are shaped as kube-apiserver writes them (spec irsa-openshift-facts §3): header with
//!   only `alg` and `kid`, claims `aud` (always an array), `exp`, `iat`, `iss`, `jti`,
//!   `kubernetes.io`, `nbf`, `sub`, in that (Go `encoding/json` map, alphabetical) order.
//! - Discovery and JWKS are byte-for-byte what ccoctl uploads (§2.3): see
//!   [`Issuer::discovery_json_pretty`] and [`Issuer::jwks_json_pretty`].
//! - Key rotation follows the Kubernetes/OpenShift procedure: a new key signs, the old one stays
//!   published (so tokens already handed out keep verifying) until it is retired.
//!
//! Time is always a parameter (`now`, epoch seconds): the emulator's virtual clock decides it.
//!
//! Decisions where Kubernetes leaves room:
//! - Keys are RSA-2048 (ccoctl generates 4096; 2048 is generated several times faster and is
//!   what kube-apiserver accepts as a minimum). A 4096-bit key loads via
//!   [`Issuer::from_private_key_pem`].
//! - A request without audiences gets the issuer URL, which is kube-apiserver's default
//!   `--api-audiences`. Such a token is *not* accepted by an IAM provider whose client IDs are
//!   `openshift`/`sts.amazonaws.com`, exactly as on a real cluster.
//! - All projected tokens are pod-bound; without a pod name one is made up as `<sa>-<5 chars>`
//!   (the apiserver's `generateName` alphabet and 58-character base cut), so the claim shape is
//!   always the one a pod sees.
//! - UIDs are not random: they are UUID-shaped (version 8) digests of issuer URL, kind,
//!   namespace and name, so the same service account always carries the same uid and tests can
//!   predict it.

mod keys;
mod names;
pub mod tls;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::webidentity::Jwks;
use keys::{PublicRsaKey, RsaSigningKey};

/// `expirationSeconds` when the request gives none (the TokenRequest API default: one hour).
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 3600;
/// Kubernetes' `MinTokenAgeSec`: a token must live at least ten minutes.
pub const MIN_EXPIRATION_SECONDS: i64 = 600;
/// Kubernetes' `MaxTokenAgeSec`: 2^32 seconds.
pub const MAX_EXPIRATION_SECONDS: i64 = 1 << 32;

/// Path of the discovery document below the issuer URL.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Path of the JWKS below the issuer URL (ccoctl's `keys.json`).
pub const JWKS_PATH: &str = "/keys.json";

/// The apiserver's `generateName` alphabet (k8s.io/apimachinery `util/rand`): no vowels, no
/// look-alike digits, so generated names never spell words.
const GENERATE_NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// `generateName` keeps at most 58 characters of the base so that base + 5 fits a 63-character label.
const GENERATE_NAME_MAX_BASE: usize = 58;

/// Why the issuer refused something. Token-request errors carry Kubernetes' own wording.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssuerError {
    /// The issuer URL is not an https URL without trailing slash, query or fragment.
    InvalidUrl(String),
    /// A key could not be generated, read or used.
    Key(String),
    /// The TokenRequest is invalid; the text is the apiserver's field error, e.g.
    /// `spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes`.
    InvalidRequest(String),
    /// `retire` was given a kid this issuer does not publish.
    UnknownKey(String),
    /// `retire` was given the active kid: it must be rotated out first.
    ActiveKey(String),
    /// TLS material could not be generated or loaded.
    Tls(String),
}

impl fmt::Display for IssuerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssuerError::InvalidUrl(m) => write!(f, "invalid issuer URL: {m}"),
            IssuerError::Key(m) => write!(f, "issuer key: {m}"),
            IssuerError::InvalidRequest(m) => f.write_str(m),
            IssuerError::UnknownKey(kid) => write!(f, "no published key with kid {kid:?}"),
            IssuerError::ActiveKey(kid) => {
                write!(f, "key {kid:?} is the active signing key; rotate before retiring it")
            }
            IssuerError::Tls(m) => write!(f, "TLS: {m}"),
        }
    }
}

impl std::error::Error for IssuerError {}

/// What a kubelet asks the API server for when it projects a token into a pod
/// (`TokenRequest` for `serviceaccounts/<sa>/token`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// Namespace of the service account (a DNS-1123 label).
    pub namespace: String,
    /// Service account name (a DNS-1123 subdomain).
    pub service_account: String,
    /// Requested audiences; empty means the issuer URL (the apiserver's default API audience).
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Token lifetime; `None` means one hour. Must be within [600, 2^32].
    #[serde(default)]
    pub expiration_seconds: Option<i64>,
    /// The pod the token is bound to; `None` makes up `<sa>-<5 chars>`.
    #[serde(default)]
    pub pod: Option<String>,
    /// The node the pod runs on; adds `kubernetes.io.node` when given.
    #[serde(default)]
    pub node: Option<String>,
}

impl TokenRequest {
    /// A request for `namespace/service_account` with the given audiences and defaults otherwise.
    pub fn new(
        namespace: impl Into<String>,
        service_account: impl Into<String>,
        audiences: impl IntoIterator<Item = impl Into<String>>,
    ) -> TokenRequest {
        TokenRequest {
            namespace: namespace.into(),
            service_account: service_account.into(),
            audiences: audiences.into_iter().map(Into::into).collect(),
            ..TokenRequest::default()
        }
    }
}

/// A signed projected service-account token and what went into it.
#[derive(Debug, Clone, PartialEq)]
pub struct MintedToken {
    /// The compact JWS, what the kubelet writes to the projected `token` file.
    pub token: String,
    /// The payload as signed.
    pub claims: Value,
    /// `iat` (= `nbf`).
    pub issued_at: i64,
    /// `exp`.
    pub expires_at: i64,
    /// The `kid` of the key that signed it.
    pub kid: String,
}

/// An OIDC issuer with its signing keys: the active one and older ones still published.
#[derive(Debug)]
pub struct Issuer {
    url: String,
    active: RsaSigningKey,
    /// Rotated-out keys still in the JWKS, newest first.
    previous: Vec<PublicRsaKey>,
}

impl Issuer {
    /// A new issuer for `url` (the `iss` value, e.g. `https://oidc.rolechain.local/my-cluster`)
    /// with one fresh RSA-2048 key.
    pub fn generate(url: &str) -> Result<Issuer, IssuerError> {
        validate_url(url)?;
        Ok(Issuer {
            url: url.to_string(),
            active: RsaSigningKey::generate()?,
            previous: Vec::new(),
        })
    }

    /// An issuer signing with an existing RSA key (PKCS#1 `RSA PRIVATE KEY` as ccoctl writes it,
    /// or PKCS#8 `PRIVATE KEY`), so a cluster's real `serviceaccount-signer.private` can be used.
    pub fn from_private_key_pem(url: &str, pem: &str) -> Result<Issuer, IssuerError> {
        validate_url(url)?;
        Ok(Issuer {
            url: url.to_string(),
            active: RsaSigningKey::from_pem(pem)?,
            previous: Vec::new(),
        })
    }

    /// The issuer URL, exactly as it appears in `iss`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `<url>/keys.json`, as ccoctl publishes it.
    pub fn jwks_uri(&self) -> String {
        format!("{}{JWKS_PATH}", self.url)
    }

    /// The kid that signs new tokens.
    pub fn active_kid(&self) -> &str {
        &self.active.public.kid
    }

    /// Every published kid: the active one first, then rotated-out ones, newest first.
    pub fn kids(&self) -> Vec<String> {
        self.published().map(|k| k.kid.clone()).collect()
    }

    /// The active private key as PKCS#8 PEM (to persist the issuer across restarts).
    pub fn private_key_pem(&self) -> String {
        self.active.private_key_pem()
    }

    /// The active public key as SPKI PEM, like ccoctl's `serviceaccount-signer.public`.
    pub fn public_key_pem(&self) -> String {
        self.active.public_key_pem()
    }

    fn published(&self) -> impl Iterator<Item = &PublicRsaKey> {
        std::iter::once(&self.active.public).chain(self.previous.iter())
    }

    /// ccoctl's `openid-configuration` as a JSON value (see [`Issuer::discovery_json_pretty`] for
    /// the exact bytes). `claims_supported` lists `sub` twice, verbatim from ccoctl.
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.url,
            "jwks_uri": self.jwks_uri(),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["aud", "exp", "sub", "iat", "iss", "sub"],
        })
    }

    /// The discovery document byte-for-byte as ccoctl uploads it: its Go template, whose first
    /// two members are tab-indented and the rest indented with four spaces, no final newline.
    pub fn discovery_json_pretty(&self) -> String {
        // The URL was validated (no quotes, backslashes or control characters), so inserting it
        // without escaping yields the same bytes as ccoctl's fmt.Sprintf. One entry per line of
        // the Go template.
        let lines = [
            "{".to_string(),
            format!("\t\"issuer\": \"{}\",", self.url),
            format!("\t\"jwks_uri\": \"{}\",", self.jwks_uri()),
            "    \"response_types_supported\": [".to_string(),
            "        \"id_token\"".to_string(),
            "    ],".to_string(),
            "    \"subject_types_supported\": [".to_string(),
            "        \"public\"".to_string(),
            "    ],".to_string(),
            "    \"id_token_signing_alg_values_supported\": [".to_string(),
            "        \"RS256\"".to_string(),
            "    ],".to_string(),
            "    \"claims_supported\": [".to_string(),
            "        \"aud\",".to_string(),
            "        \"exp\",".to_string(),
            "        \"sub\",".to_string(),
            "        \"iat\",".to_string(),
            "        \"iss\",".to_string(),
            "        \"sub\"".to_string(),
            "    ]".to_string(),
            "}".to_string(),
        ];
        lines.join("\n")
    }

    /// `{"keys":[...]}` with every published key. As a `serde_json::Value` the member order is
    /// serde_json's (sorted); [`Issuer::jwks_json_pretty`] has go-jose's order
    /// `use, kty, kid, alg, n, e`.
    pub fn jwks(&self) -> Value {
        serde_json::to_value(self.jwks_out()).unwrap_or_else(|_| json!({ "keys": [] }))
    }

    /// The JWKS as ccoctl writes `keys.json`: Go's `json.MarshalIndent(.., "", "    ")` of go-jose
    /// keys, members in the order `use, kty, kid, alg, n, e`, no final newline.
    pub fn jwks_json_pretty(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        if self.jwks_out().serialize(&mut ser).is_err() {
            return "{\n    \"keys\": []\n}".to_string();
        }
        String::from_utf8(out).unwrap_or_default()
    }

    fn jwks_out(&self) -> JwksOut<'_> {
        JwksOut {
            keys: self
                .published()
                .map(|k| JwkOut {
                    use_: "sig",
                    kty: "RSA",
                    kid: &k.kid,
                    alg: "RS256",
                    n: URL_SAFE_NO_PAD.encode(&k.n),
                    e: URL_SAFE_NO_PAD.encode(&k.e),
                })
                .collect(),
        }
    }

    /// The body to serve for an HTTP `GET path` on the issuer's host, if it is one of the two
    /// documents: `<issuer path>/.well-known/openid-configuration` or `<issuer path>/keys.json`.
    /// Both are `application/json`.
    pub fn document_for_path(&self, path: &str) -> Option<String> {
        let base = self.url_path();
        let rest = path.strip_prefix(base)?;
        match rest {
            DISCOVERY_PATH => Some(self.discovery_json_pretty()),
            JWKS_PATH => Some(self.jwks_json_pretty()),
            _ => None,
        }
    }

    /// The path part of the issuer URL (`""` for `https://host`, `/my-cluster` for
    /// `https://host/my-cluster`).
    pub fn url_path(&self) -> &str {
        let after_scheme = &self.url["https://".len()..];
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    }

    /// The published keys as a verifier's key set, for STS to check tokens without HTTP.
    pub fn verification_keys(&self) -> Jwks {
        Jwks::from_rsa_keys(
            self.published()
                .map(|k| (k.kid.as_str(), k.n.as_slice(), k.e.as_slice())),
        )
    }

    /// Makes a new key the signing key. The old one stays published, so tokens it signed keep
    /// verifying until [`Issuer::retire`] removes it. Returns the new kid.
    pub fn rotate(&mut self) -> Result<String, IssuerError> {
        let next = RsaSigningKey::generate()?;
        let old = std::mem::replace(&mut self.active, next);
        self.previous.insert(0, old.public);
        Ok(self.active.public.kid.clone())
    }

    /// Stops publishing a rotated-out key; tokens it signed then fail verification.
    pub fn retire(&mut self, kid: &str) -> Result<(), IssuerError> {
        if kid == self.active.public.kid {
            return Err(IssuerError::ActiveKey(kid.to_string()));
        }
        let before = self.previous.len();
        self.previous.retain(|k| k.kid != kid);
        if self.previous.len() == before {
            return Err(IssuerError::UnknownKey(kid.to_string()));
        }
        Ok(())
    }

    /// Mints a projected service-account token at `now` (epoch seconds), validating the request
    /// as the API server does (names, `expirationSeconds` bounds).
    pub fn mint(&self, request: &TokenRequest, now: i64) -> Result<MintedToken, IssuerError> {
        names::validate_label("metadata.namespace", &request.namespace).map_err(IssuerError::InvalidRequest)?;
        names::validate_subdomain("metadata.name", &request.service_account).map_err(IssuerError::InvalidRequest)?;
        let ttl = request.expiration_seconds.unwrap_or(DEFAULT_EXPIRATION_SECONDS);
        if ttl < MIN_EXPIRATION_SECONDS {
            return Err(IssuerError::InvalidRequest(format!(
                "spec.expirationSeconds: Invalid value: {ttl}: may not specify a duration less than 10 minutes"
            )));
        }
        if ttl > MAX_EXPIRATION_SECONDS {
            return Err(IssuerError::InvalidRequest(format!(
                "spec.expirationSeconds: Invalid value: {ttl}: may not specify a duration larger than 2^32 seconds"
            )));
        }
        let pod = match &request.pod {
            Some(pod) => {
                names::validate_subdomain("spec.boundObjectRef.name", pod).map_err(IssuerError::InvalidRequest)?;
                pod.clone()
            }
            None => generate_name(&request.service_account),
        };
        if let Some(node) = &request.node {
            names::validate_subdomain("spec.nodeName", node).map_err(IssuerError::InvalidRequest)?;
        }
        let expires_at = now
            .checked_add(ttl)
            .ok_or_else(|| IssuerError::InvalidRequest(format!("current time {now} is out of range")))?;
        let audiences = if request.audiences.is_empty() {
            vec![self.url.clone()]
        } else {
            request.audiences.clone()
        };

        // Inserted alphabetically: Go's encoding/json sorts map keys, and go-jose merges the
        // public and private claims through a map, so that is the order on the wire.
        let mut k8s = Map::new();
        k8s.insert("namespace".into(), Value::String(request.namespace.clone()));
        if let Some(node) = &request.node {
            k8s.insert("node".into(), ref_claim(node, self.stable_uid("Node", "", node)));
        }
        let pod_uid = self.stable_uid("Pod", &request.namespace, &pod);
        k8s.insert("pod".into(), ref_claim(&pod, pod_uid));
        let sa_uid = self.stable_uid("ServiceAccount", &request.namespace, &request.service_account);
        k8s.insert("serviceaccount".into(), ref_claim(&request.service_account, sa_uid));

        let mut claims = Map::new();
        claims.insert("aud".into(), json!(audiences));
        claims.insert("exp".into(), json!(expires_at));
        claims.insert("iat".into(), json!(now));
        claims.insert("iss".into(), json!(self.url));
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
        claims.insert("kubernetes.io".into(), Value::Object(k8s));
        claims.insert("nbf".into(), json!(now));
        claims.insert(
            "sub".into(),
            json!(format!(
                "system:serviceaccount:{}:{}",
                request.namespace, request.service_account
            )),
        );
        let claims = Value::Object(claims);
        let header = json!({ "alg": "RS256", "kid": self.active.public.kid });
        let token = self.sign_jws(&header, &claims)?;
        Ok(MintedToken {
            token,
            claims,
            issued_at: now,
            expires_at,
            kid: self.active.public.kid.clone(),
        })
    }

    /// Signs any header and payload with the active key (RS256), whatever they say. `mint` uses
    /// it; tests use it to forge well-signed tokens with bad claims.
    pub(crate) fn sign_jws(&self, header: &Value, claims: &Value) -> Result<String, IssuerError> {
        let encode = |v: &Value| serde_json::to_vec(v).map(|b| URL_SAFE_NO_PAD.encode(b));
        let header = encode(header).map_err(|e| IssuerError::Key(e.to_string()))?;
        let payload = encode(claims).map_err(|e| IssuerError::Key(e.to_string()))?;
        let signing_input = format!("{header}.{payload}");
        let signature = self.active.sign(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// A UID that is the same every time for the same issuer, kind, namespace and name:
    /// SHA-256 of those, cut to 16 bytes and stamped as an RFC 9562 version-8 (custom) UUID.
    fn stable_uid(&self, kind: &str, namespace: &str, name: &str) -> String {
        let mut hasher = Sha256::new();
        for part in ["rolechain-uid", &self.url, kind, namespace, name] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        uuid::Uuid::from_bytes(bytes).to_string()
    }
}

#[derive(Serialize)]
struct JwksOut<'a> {
    keys: Vec<JwkOut<'a>>,
}

/// go-jose's `JSONWebKey` marshal order for an RSA key.
#[derive(Serialize)]
struct JwkOut<'a> {
    #[serde(rename = "use")]
    use_: &'static str,
    kty: &'static str,
    kid: &'a str,
    alg: &'static str,
    n: String,
    e: String,
}

fn ref_claim(name: &str, uid: String) -> Value {
    json!({ "name": name, "uid": uid })
}

/// `<base>-<5 random chars>` the way the apiserver expands `generateName`.
fn generate_name(base: &str) -> String {
    let base = &base[..base.len().min(GENERATE_NAME_MAX_BASE)];
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| char::from(GENERATE_NAME_ALPHABET[rng.random_range(0..GENERATE_NAME_ALPHABET.len())]))
        .collect();
    format!("{base}-{suffix}")
}

/// An issuer URL must be `https://host[:port][/path]`: no trailing slash (ccoctl never writes
/// one, and `iss` is compared byte for byte), no query, fragment, user info or whitespace.
fn validate_url(url: &str) -> Result<(), IssuerError> {
    let err = |why: &str| Err(IssuerError::InvalidUrl(format!("{url:?}: {why}")));
    let Some(rest) = url.strip_prefix("https://") else {
        return err("must start with https://");
    };
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '\\')
    {
        return err("must not contain whitespace, quotes, backslashes or control characters");
    }
    if url.contains('?') || url.contains('#') {
        return err("must not have a query or fragment");
    }
    if url.ends_with('/') {
        return err("must not end with a slash");
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return err("must have a host");
    }
    if host.contains('@') {
        return err("must not contain user information");
    }
    if rest.contains("//") {
        return err("must not contain empty path segments");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
