//! A JSON Web Key Set reduced to what verification needs: public keys by `kid`, with their type
//! and optional `alg`.
//!
//! Keys that cannot serve for signature verification are skipped rather than failing the whole
//! set, as OIDC clients do: `use` other than `sig`, `kty` other than `RSA`/`EC`, curves other
//! than P-256/P-384, or unreadable parameters. A set with no usable key is still a set; tokens
//! then fail with an unknown key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::Value;

use super::TokenError;

/// Kind of public key, which decides the `alg` values it can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa,
    EcP256,
    EcP384,
}

#[derive(Debug, Clone)]
pub(crate) struct VerificationKey {
    pub(crate) kid: Option<String>,
    pub(crate) alg: Option<String>,
    pub(crate) kind: KeyKind,
    pub(crate) key: DecodingKey,
}

/// Public keys for verifying web-identity tokens.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    keys: Vec<VerificationKey>,
}

impl Jwks {
    /// Reads a JWKS document (`{"keys":[...]}`). Errors only when the document itself is not
    /// one: STS reports that as "Couldn't retrieve verification key".
    pub fn from_json(bytes: &[u8]) -> Result<Jwks, TokenError> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| TokenError::KeyRetrieval {
            reason: format!("JWKS is not JSON: {e}"),
        })?;
        let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
            return Err(TokenError::KeyRetrieval {
                reason: "JWKS has no \"keys\" array".to_string(),
            });
        };
        Ok(Jwks {
            keys: keys.iter().filter_map(parse_jwk).collect(),
        })
    }

    /// RSA keys from `(kid, n, e)` big-endian components (the built-in issuer's published keys).
    pub(crate) fn from_rsa_keys<'a>(keys: impl IntoIterator<Item = (&'a str, &'a [u8], &'a [u8])>) -> Jwks {
        Jwks {
            keys: keys
                .into_iter()
                .map(|(kid, n, e)| VerificationKey {
                    kid: Some(kid.to_string()),
                    alg: Some("RS256".to_string()),
                    kind: KeyKind::Rsa,
                    key: DecodingKey::from_rsa_raw_components(n, e),
                })
                .collect(),
        }
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The kids of the usable keys (keys without one are left out).
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().filter_map(|k| k.kid.as_deref()).collect()
    }

    /// Whether a token with this `kid` has candidate keys here (`None`: any key at all).
    pub fn has_key_for(&self, kid: Option<&str>) -> bool {
        self.keys_for(kid).next().is_some()
    }

    /// Keys a token with `kid` may be checked against: those with that kid, or all when the
    /// token has none.
    pub(crate) fn keys_for<'a>(&'a self, kid: Option<&'a str>) -> impl Iterator<Item = &'a VerificationKey> + 'a {
        self.keys
            .iter()
            .filter(move |k| kid.is_none() || k.kid.as_deref() == kid)
    }
}

fn parse_jwk(jwk: &Value) -> Option<VerificationKey> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if let Some(usage) = jwk.get("use")
        && usage.as_str() != Some("sig")
    {
        return None;
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    let alg = match jwk.get("alg") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    let decode = |name: &str| {
        field(name)
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .filter(|v| !v.is_empty())
    };
    match field("kty")? {
        "RSA" => {
            let (n, e) = (decode("n")?, decode("e")?);
            Some(VerificationKey {
                kid,
                alg,
                kind: KeyKind::Rsa,
                key: DecodingKey::from_rsa_raw_components(&n, &e),
            })
        }
        "EC" => {
            let (kind, size) = match field("crv")? {
                "P-256" => (KeyKind::EcP256, 32),
                "P-384" => (KeyKind::EcP384, 48),
                _ => return None,
            };
            let (x, y) = (decode("x")?, decode("y")?);
            if x.len() != size || y.len() != size {
                return None;
            }
            let key = DecodingKey::from_ec_components(field("x")?, field("y")?).ok()?;
            Some(VerificationKey { kid, alg, kind, key })
        }
        _ => None,
    }
}
