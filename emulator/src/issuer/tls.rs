//! TLS for the issuer's HTTPS endpoint: a local CA and a leaf certificate, and the thumbprint an
//! IAM OIDC provider records for it.
//!
//! The thumbprint is SHA-1 over the DER of the **last** certificate of the chain the server
//! presents, as 40 uppercase hex digits. That is what ccoctl's `getTLSFingerprint` computes and
//! what IAM's documentation asks for (the top certificate of the served chain). The server
//! presents `[leaf, CA]`, so the thumbprint is the CA's: it survives re-issuing the leaf.
//!
//! The certificates' ECDSA keys are made and used with ring, whose randomness comes straight
//! from the OS: aws-lc's generator seeds itself from CPU jitter on first use, about 25 ms that
//! would otherwise sit on the emulator's start-up path (measured; `BENCHMARKS.md`).
//!
//! Certificates keep rcgen's default validity (1975 to 4096): the emulator's clock is virtual
//! and can be moved freely, and a real-time bound would only make a jumped clock fail TLS.

use std::fmt;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, SignatureAlgorithm, SigningKey,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha1::{Digest, Sha1};

use super::IssuerError;

/// A CA, a leaf certificate for the issuer's hosts, and the leaf's key, all PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsMaterial {
    /// The CA certificate ("rolechain local CA"); give it to clients as a trust root.
    pub ca_cert_pem: String,
    /// The leaf certificate, valid for every host passed to [`TlsMaterial::generate`].
    pub cert_pem: String,
    /// The leaf's private key (PKCS#8 PEM).
    pub key_pem: String,
    /// SHA-1 of the CA certificate (the last one served), 40 uppercase hex digits: the value for
    /// the IAM OIDC provider's `ThumbprintList`.
    pub thumbprint: String,
    /// The hosts (DNS names and IP addresses) in the leaf's subjectAltName.
    pub hosts: Vec<String>,
}

impl fmt::Debug for TlsMaterial {
    // The key stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("hosts", &self.hosts)
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// A fresh ECDSA P-256 CA and a leaf for `hosts`; entries that parse as IP addresses become
    /// IP subjectAltNames, the others DNS names (e.g. `localhost`, `127.0.0.1`,
    /// `oidc.rolechain.local`).
    pub fn generate(hosts: &[String]) -> Result<TlsMaterial, IssuerError> {
        if hosts.is_empty() {
            return Err(IssuerError::Tls(
                "at least one host name or address is needed".to_string(),
            ));
        }
        let tls = |e: rcgen::Error| IssuerError::Tls(e.to_string());

        let ca_key = RingEcdsa::generate()?;
        let mut ca_params = CertificateParams::default();
        let mut ca_name = DistinguishedName::new();
        ca_name.push(DnType::CommonName, "rolechain local CA");
        ca_name.push(DnType::OrganizationName, "rolechain");
        ca_params.distinguished_name = ca_name;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(tls)?;

        let leaf_key = RingEcdsa::generate()?;
        let mut leaf_params = CertificateParams::new(hosts.to_vec()).map_err(tls)?;
        let mut leaf_name = DistinguishedName::new();
        leaf_name.push(DnType::CommonName, hosts[0].as_str());
        leaf_params.distinguished_name = leaf_name;
        leaf_params.is_ca = IsCa::ExplicitNoCa;
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf = leaf_params.signed_by(&leaf_key, &ca).map_err(tls)?;

        Ok(TlsMaterial {
            ca_cert_pem: ca.pem(),
            cert_pem: leaf.pem(),
            key_pem: leaf_key.pkcs8_pem(),
            thumbprint: thumbprint_of_der(ca.der()),
            hosts: hosts.to_vec(),
        })
    }

    /// The chain the server presents, leaf first: `[leaf, CA]`.
    pub fn chain_der(&self) -> Result<Vec<CertificateDer<'static>>, IssuerError> {
        let mut chain = Vec::with_capacity(2);
        for pem in [&self.cert_pem, &self.ca_cert_pem] {
            chain.push(
                CertificateDer::from_pem_slice(pem.as_bytes())
                    .map_err(|e| IssuerError::Tls(format!("bad certificate PEM: {e}")))?,
            );
        }
        Ok(chain)
    }

    /// A rustls server configuration (aws-lc-rs provider, TLS 1.2 and 1.3) serving `[leaf, CA]`.
    /// No ALPN protocols are set, so clients speak HTTP/1.1; set `alpn_protocols` on a clone to
    /// offer HTTP/2.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, IssuerError> {
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| IssuerError::Tls(format!("bad private key PEM: {e}")))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| IssuerError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain_der()?, key)
            .map_err(|e| IssuerError::Tls(e.to_string()))?;
        Ok(Arc::new(config))
    }
}

/// An ECDSA P-256 key held by ring, as rcgen's signer.
struct RingEcdsa {
    pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    rng: SystemRandom,
}

impl RingEcdsa {
    fn generate() -> Result<RingEcdsa, IssuerError> {
        let rng = SystemRandom::new();
        let failed = |what: &str| IssuerError::Tls(format!("cannot {what} an ECDSA P-256 key"));
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).map_err(|_| failed("make"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| failed("read"))?;
        Ok(RingEcdsa {
            pair,
            pkcs8: pkcs8.as_ref().to_vec(),
            rng,
        })
    }

    /// The private key as PKCS#8 PEM (64 base64 characters a line, as RFC 7468 asks).
    fn pkcs8_pem(&self) -> String {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(&self.pkcs8);
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        pem
    }
}

impl PublicKeyData for RingEcdsa {
    fn der_bytes(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for RingEcdsa {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.pair
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| rcgen::Error::RingUnspecified)
    }
}

/// SHA-1 of a certificate's DER as 40 uppercase hex digits, no separators: the IAM thumbprint form.
pub fn thumbprint_of_der(der: &[u8]) -> String {
    hex::encode_upper(Sha1::digest(der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_chain_and_thumbprint_of_the_ca() {
        let hosts = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "oidc.rolechain.local".to_string(),
        ];
        let tls = TlsMaterial::generate(&hosts).unwrap();
        let chain = tls.chain_der().unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(tls.thumbprint, thumbprint_of_der(&chain[1]));
        assert_eq!(tls.thumbprint.len(), 40);
        assert!(
            tls.thumbprint
                .chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
        );
        assert!(tls.server_config().is_ok());
        assert!(!format!("{tls:?}").contains("PRIVATE"));
    }

    #[test]
    fn thumbprint_known_value() {
        // SHA-1("abc"), a FIPS 180 test vector.
        assert_eq!(thumbprint_of_der(b"abc"), "A9993E364706816ABA3E25717850C26C9CD0D89D");
    }

    #[test]
    fn refuses_no_hosts() {
        assert!(matches!(TlsMaterial::generate(&[]), Err(IssuerError::Tls(_))));
    }
}
