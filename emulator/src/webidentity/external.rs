//! Keys of an issuer that is not built in (e.g. a real local Kubernetes cluster), fetched over
//! HTTPS the way STS does: `<issuer>/.well-known/openid-configuration`, then its `jwks_uri`.
//!
//! # Trust
//! The IAM OIDC provider's thumbprints pin the **last** certificate of the chain the JWKS host
//! presents (SHA-1, compared case-insensitively; IAM's documentation pins the `jwks_uri` host,
//! which for ccoctl and Kubernetes is the issuer host). The chain itself must verify, with the
//! host name:
//! - with `extra_roots_pem` (the cluster's CA, or our own [`crate::issuer::tls::TlsMaterial`]
//!   CA), against those roots;
//! - without, against the chain's own last certificate as the trust anchor. That is what pinning
//!   means here: the leaf must be issued by the pinned certificate (a one-certificate chain is
//!   its own pin; the TLS handshake proves the server holds its key). Appending a copy of the
//!   pinned CA to some other chain does not pass.
//!
//! The discovery request is made with the same verification but is not itself pinned: a forged
//! discovery document could only point at a `jwks_uri` whose chain must match the pin.
//!
//! # Errors (decided; AWS does not document the split)
//! - Connection refused, DNS failure, TLS failure other than the certificate, timeout
//!   ([`DEFAULT_TIMEOUT`] for the whole fetch) → `IDPCommunicationError`: the STS model's "could
//!   not be reached" case, retryable.
//! - Certificate not trusted or thumbprint not configured → `InvalidIdentityToken` with AWS's
//!   thumbprint message.
//! - The issuer answered but not with usable documents (HTTP status other than 200, not JSON,
//!   discovery `issuer` different from the URL, no `jwks_uri`) → `InvalidIdentityToken`,
//!   "Couldn't retrieve verification key ..." (what AWS answers e.g. for a private S3 bucket).
//!
//! # Cache
//! Per issuer URL for [`DEFAULT_TTL_SECONDS`] of the *virtual* clock (`now`), so a test that
//! jumps the clock sees a refetch. A token whose `kid` is not in the cached set triggers one
//! refetch (key rotation), at most once per [`DEFAULT_KID_REFETCH_INTERVAL_SECONDS`]. Failures are
//! not cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde_json::Value;

use super::http::{self, FetchError, HttpsUrl};
use super::{Jwks, TokenError};
use crate::issuer::tls::thumbprint_of_der;

/// How long fetched keys are used before they are fetched again (virtual seconds).
pub const DEFAULT_TTL_SECONDS: i64 = 300;
/// Minimum virtual time between two refetches caused by an unknown `kid`.
pub const DEFAULT_KID_REFETCH_INTERVAL_SECONDS: i64 = 10;
/// Real-time limit for one fetch (discovery + JWKS).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
struct Entry {
    jwks: Arc<Jwks>,
    fetched_at: i64,
    /// Thumbprint of the JWKS host's last certificate when fetched.
    thumbprint: String,
    roots: Option<String>,
    last_kid_refetch: Option<i64>,
}

/// A cache of external issuers' keys.
#[derive(Debug)]
pub struct ExternalKeys {
    cache: Mutex<HashMap<String, Entry>>,
    ttl_seconds: i64,
    kid_refetch_interval: i64,
    timeout: Duration,
}

impl Default for ExternalKeys {
    fn default() -> Self {
        ExternalKeys::new()
    }
}

impl ExternalKeys {
    /// An empty cache with the default TTL, refetch interval and timeout.
    pub fn new() -> ExternalKeys {
        ExternalKeys {
            cache: Mutex::new(HashMap::new()),
            ttl_seconds: DEFAULT_TTL_SECONDS,
            kid_refetch_interval: DEFAULT_KID_REFETCH_INTERVAL_SECONDS,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same with another real-time limit per fetch.
    pub fn with_timeout(mut self, timeout: Duration) -> ExternalKeys {
        self.timeout = timeout;
        self
    }

    /// Keys of `issuer_url`, from the cache or fetched. See [`ExternalKeys::fetch_for_kid`] to
    /// also refetch when a token's `kid` is not (yet) published.
    pub async fn fetch(
        &self,
        issuer_url: &str,
        thumbprints: &[String],
        extra_roots_pem: Option<&str>,
        now: i64,
    ) -> Result<Arc<Jwks>, TokenError> {
        self.fetch_inner(issuer_url, thumbprints, extra_roots_pem, None, now)
            .await
    }

    /// Like [`ExternalKeys::fetch`], but if the cached set has no key for `kid`, fetches again
    /// (once per refetch interval) in case the issuer rotated its key.
    pub async fn fetch_for_kid(
        &self,
        issuer_url: &str,
        thumbprints: &[String],
        extra_roots_pem: Option<&str>,
        kid: Option<&str>,
        now: i64,
    ) -> Result<Arc<Jwks>, TokenError> {
        self.fetch_inner(issuer_url, thumbprints, extra_roots_pem, Some(kid), now)
            .await
    }

    /// Forgets the cached keys of `issuer_url` (e.g. when its IAM provider is deleted).
    pub fn invalidate(&self, issuer_url: &str) {
        self.lock().remove(issuer_url);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn fetch_inner(
        &self,
        issuer_url: &str,
        thumbprints: &[String],
        extra_roots_pem: Option<&str>,
        kid: Option<Option<&str>>,
        now: i64,
    ) -> Result<Arc<Jwks>, TokenError> {
        let cached = self.lock().get(issuer_url).cloned();
        let mut kid_refetch = false;
        if let Some(entry) = cached
            && entry.roots.as_deref() == extra_roots_pem
            && (entry.fetched_at..entry.fetched_at.saturating_add(self.ttl_seconds)).contains(&now)
        {
            // Keys fetched under a thumbprint that is no longer configured are not trusted.
            if !thumbprint_configured(&entry.thumbprint, thumbprints) {
                return Err(TokenError::ThumbprintMismatch {
                    observed: entry.thumbprint,
                });
            }
            match kid {
                Some(kid) if !entry.jwks.has_key_for(kid) => {
                    let recent = entry
                        .last_kid_refetch
                        .is_some_and(|t| (t..t.saturating_add(self.kid_refetch_interval)).contains(&now));
                    if recent {
                        return Ok(entry.jwks);
                    }
                    kid_refetch = true;
                }
                _ => return Ok(entry.jwks),
            }
        }
        if kid_refetch && let Some(entry) = self.lock().get_mut(issuer_url) {
            // Rate-limit even if the refetch below fails.
            entry.last_kid_refetch = Some(now);
        }
        let fetched =
            tokio::time::timeout(self.timeout, fetch_uncached(issuer_url, thumbprints, extra_roots_pem)).await;
        let (jwks, thumbprint) = match fetched {
            Ok(result) => result?,
            Err(_) => {
                return Err(TokenError::IdpUnreachable {
                    reason: format!("no answer from {issuer_url} within {:?}", self.timeout),
                });
            }
        };
        let jwks = Arc::new(jwks);
        self.lock().insert(
            issuer_url.to_string(),
            Entry {
                jwks: Arc::clone(&jwks),
                fetched_at: now,
                thumbprint,
                roots: extra_roots_pem.map(str::to_string),
                last_kid_refetch: kid_refetch.then_some(now),
            },
        );
        Ok(jwks)
    }
}

fn thumbprint_configured(observed: &str, thumbprints: &[String]) -> bool {
    thumbprints.iter().any(|t| t.trim().eq_ignore_ascii_case(observed))
}

/// Discovery, then JWKS; returns the keys and the JWKS host's thumbprint.
async fn fetch_uncached(
    issuer_url: &str,
    thumbprints: &[String],
    extra_roots_pem: Option<&str>,
) -> Result<(Jwks, String), TokenError> {
    let retrieval = |reason: String| TokenError::KeyRetrieval { reason };
    let config = client_config(extra_roots_pem)?;
    let base = issuer_url.strip_suffix('/').unwrap_or(issuer_url);
    let discovery_url =
        http::parse_https_url(&format!("{base}{}", crate::issuer::DISCOVERY_PATH)).map_err(retrieval)?;
    let discovery = get(&discovery_url, Arc::clone(&config)).await?;
    if discovery.status != 200 {
        return Err(retrieval(format!("discovery document: HTTP {}", discovery.status)));
    }
    let doc: Value = serde_json::from_slice(&discovery.body)
        .map_err(|e| retrieval(format!("discovery document is not JSON: {e}")))?;
    let advertised = doc.get("issuer").and_then(Value::as_str).unwrap_or_default();
    if advertised != issuer_url {
        return Err(retrieval(format!(
            "discovery issuer {advertised:?} is not {issuer_url:?}"
        )));
    }
    let jwks_uri = doc
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| retrieval("discovery document has no jwks_uri".to_string()))?;
    let jwks_url = http::parse_https_url(jwks_uri).map_err(retrieval)?;
    let response = get(&jwks_url, config).await?;
    let observed = response
        .peer_chain
        .last()
        .map(|c| thumbprint_of_der(c))
        .unwrap_or_default();
    if !thumbprint_configured(&observed, thumbprints) {
        return Err(TokenError::ThumbprintMismatch { observed });
    }
    if response.status != 200 {
        return Err(retrieval(format!("JWKS {jwks_uri}: HTTP {}", response.status)));
    }
    Ok((Jwks::from_json(&response.body)?, observed))
}

async fn get(url: &HttpsUrl, config: Arc<ClientConfig>) -> Result<http::Response, TokenError> {
    http::get(url, config).await.map_err(|e| match e {
        FetchError::Unreachable(reason) => TokenError::IdpUnreachable { reason },
        FetchError::Certificate(reason) => TokenError::ThumbprintMismatch { observed: reason },
        FetchError::Protocol(reason) => TokenError::KeyRetrieval { reason },
    })
}

fn client_config(extra_roots_pem: Option<&str>) -> Result<Arc<ClientConfig>, TokenError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match extra_roots_pem {
        Some(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| TokenError::KeyRetrieval {
                    reason: format!("bad root PEM: {e}"),
                })?;
                roots.add(cert).map_err(|e| TokenError::KeyRetrieval {
                    reason: format!("bad root certificate: {e}"),
                })?;
            }
            if roots.is_empty() {
                return Err(TokenError::KeyRetrieval {
                    reason: "no certificate in the root PEM".to_string(),
                });
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| TokenError::KeyRetrieval {
                    reason: format!("root certificates: {e}"),
                })?
        }
        None => Arc::new(AnchoredInLastCertificate {
            provider: Arc::clone(&provider),
        }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TokenError::KeyRetrieval { reason: e.to_string() })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Verifies the chain with its own last certificate as the trust anchor (see the module doc).
#[derive(Debug)]
struct AnchoredInLastCertificate {
    provider: Arc<CryptoProvider>,
}

impl AnchoredInLastCertificate {
    fn algorithms(&self) -> &WebPkiSupportedAlgorithms {
        &self.provider.signature_verification_algorithms
    }
}

impl ServerCertVerifier for AnchoredInLastCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some((anchor, between)) = intermediates.split_last() else {
            // A single self-signed certificate: the pin is the certificate itself.
            return Ok(ServerCertVerified::assertion());
        };
        let mut roots = RootCertStore::empty();
        roots.add(anchor.clone().into_owned())?;
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&self.provider))
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        verifier.verify_server_cert(end_entity, between, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, self.algorithms())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, self.algorithms())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms().supported_schemes()
    }
}

#[cfg(test)]
mod tests;
