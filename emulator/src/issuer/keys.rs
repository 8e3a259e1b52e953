//! RSA signing keys of the issuer and the one derivation that ties them to tokens: the `kid`.
//!
//! Keys are held by rcgen's `KeyPair` (aws-lc-rs underneath), which generates RSA-2048 keys, reads
//! PKCS#1 (`RSA PRIVATE KEY`) and PKCS#8 (`PRIVATE KEY`) PEM, signs RS256 (PKCS#1 v1.5 + SHA-256)
//! and gives the SubjectPublicKeyInfo DER the `kid` is computed over. The public modulus and
//! exponent for the JWKS come from the PKCS#1 `RSAPublicKey` DER with a small DER reader below, so
//! no further ASN.1 dependency is needed.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{KeyPair, PKCS_RSA_SHA256, PublicKeyData, SigningKey};
use sha2::{Digest, Sha256};

use super::IssuerError;

/// The public half of a signing key, as it is published in the JWKS.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PublicRsaKey {
    /// base64url-no-pad(SHA-256(DER SubjectPublicKeyInfo)), as kube-apiserver and ccoctl derive it.
    pub(crate) kid: String,
    /// Big-endian modulus without leading zero bytes.
    pub(crate) n: Vec<u8>,
    /// Big-endian public exponent without leading zero bytes.
    pub(crate) e: Vec<u8>,
    /// DER SubjectPublicKeyInfo (what `openssl pkey -pubout -outform DER` prints).
    pub(crate) spki_der: Vec<u8>,
}

impl fmt::Debug for PublicRsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicRsaKey")
            .field("kid", &self.kid)
            .field("bits", &(self.n.len() * 8))
            .finish()
    }
}

/// An RSA private key the issuer signs with, with its public half precomputed.
pub(crate) struct RsaSigningKey {
    pair: KeyPair,
    pub(crate) public: PublicRsaKey,
}

impl fmt::Debug for RsaSigningKey {
    // Never print private material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaSigningKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl RsaSigningKey {
    /// A fresh RSA-2048 key. ccoctl makes 4096-bit keys; 2048 is what Kubernetes accepts as a
    /// minimum and is several times faster to generate, which matters for tests that build many
    /// issuers. A 4096-bit key can still be loaded with [`RsaSigningKey::from_pem`].
    pub(crate) fn generate() -> Result<RsaSigningKey, IssuerError> {
        let pair = KeyPair::generate_for(&PKCS_RSA_SHA256)
            .map_err(|e| IssuerError::Key(format!("RSA key generation failed: {e}")))?;
        RsaSigningKey::from_pair(pair)
    }

    /// Reads an RSA private key from PEM: PKCS#1 (`RSA PRIVATE KEY`, what ccoctl writes) or
    /// PKCS#8 (`PRIVATE KEY`). EC and other keys are refused: ccoctl's JWKS accepts only RSA.
    pub(crate) fn from_pem(pem: &str) -> Result<RsaSigningKey, IssuerError> {
        let pair = KeyPair::from_pem(pem).map_err(|e| IssuerError::Key(format!("cannot read the private key: {e}")))?;
        if pair.algorithm() != &PKCS_RSA_SHA256 {
            return Err(IssuerError::Key("the private key is not an RSA key".to_string()));
        }
        RsaSigningKey::from_pair(pair)
    }

    fn from_pair(pair: KeyPair) -> Result<RsaSigningKey, IssuerError> {
        let (n, e) = rsa_public_components(pair.der_bytes())
            .ok_or_else(|| IssuerError::Key("cannot read the RSA public key".to_string()))?;
        let spki_der = pair.subject_public_key_info();
        let kid = kid_for_spki(&spki_der);
        Ok(RsaSigningKey {
            pair,
            public: PublicRsaKey { kid, n, e, spki_der },
        })
    }

    /// RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, IssuerError> {
        self.pair
            .sign(message)
            .map_err(|e| IssuerError::Key(format!("signing failed: {e}")))
    }

    /// The private key as PKCS#8 PEM, so a world file can keep the issuer across restarts.
    pub(crate) fn private_key_pem(&self) -> String {
        self.pair.serialize_pem()
    }

    /// The public key as SPKI PEM (`PUBLIC KEY`), what ccoctl writes to `serviceaccount-signer.public`.
    pub(crate) fn public_key_pem(&self) -> String {
        self.pair.public_key_pem()
    }
}

/// `kid` = base64url-no-pad(SHA-256(DER SubjectPublicKeyInfo)): kube-apiserver's `keyIDFromPublicKey`
/// (pkg/serviceaccount/jwt.go), copied by ccoctl, so the token header and keys.json agree.
pub(crate) fn kid_for_spki(spki_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(spki_der))
}

/// `(n, e)` from a DER PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
/// Leading zero bytes (the DER sign byte) are dropped, as JWK `n`/`e` require.
pub(crate) fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (tag, body, rest) = der_element(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (tag_n, n, rest) = der_element(body)?;
    let (tag_e, e, rest) = der_element(rest)?;
    if tag_n != 0x02 || tag_e != 0x02 || !rest.is_empty() {
        return None;
    }
    let strip = |v: &[u8]| -> Vec<u8> {
        let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
        v[first..].to_vec()
    };
    let (n, e) = (strip(n), strip(e));
    if n.is_empty() || e.is_empty() {
        return None;
    }
    Some((n, e))
}

/// One DER TLV: `(tag, contents, rest)`. Only the definite-length forms DER allows.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, mut input) = input.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || input.len() < count {
            return None;
        }
        let mut len = 0usize;
        for &b in &input[..count] {
            len = (len << 8) | usize::from(b);
        }
        input = &input[count..];
        len
    };
    if input.len() < len {
        return None;
    }
    Some((tag, &input[..len], &input[len..]))
}
