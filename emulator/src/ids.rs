//! Identifiers shaped as AWS shapes them (spec §1.9): `AROA…` role ids,
//! `AIDA…` user ids, `ANPA…` policy ids, `AKIA…`/`ASIA…` access keys, and
//! secrets and session tokens of AWS's lengths.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Characters of AWS unique ids and access key ids.
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A unique id: `prefix` and 17 characters, 21 in all (`AROA` + 17), random.
pub fn unique_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..17)
        .map(|_| ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// A unique id derived from `seed`: the same world gives the same ids, so
/// test expectations and audit logs are reproducible.
pub fn stable_id(prefix: &str, seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| ID_ALPHABET[(*b as usize) % ID_ALPHABET.len()] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// A temporary access key id: `ASIA` and 16 characters.
pub fn session_access_key_id() -> String {
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| ID_ALPHABET[rng.random_range(0..ID_ALPHABET.len())] as char)
        .collect();
    format!("ASIA{tail}")
}

/// A secret access key: 40 characters of base64's alphabet, as AWS's are.
pub fn secret_access_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A session token: opaque, long (real ones run to several hundred
/// characters), base64 — clients only carry it back.
pub fn session_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 240];
    rand::rng().fill(&mut bytes[..]);
    format!(
        "IQoJb3JpZ2luX2Vj{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A request id in the form AWS uses (a UUID).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_aws() {
        let role = unique_id("AROA");
        assert_eq!(role.len(), 21);
        assert!(role.starts_with("AROA"));
        let key = session_access_key_id();
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("ASIA") && key.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(secret_access_key().len(), 40);
        assert!(session_token().len() > 300);
        assert_eq!(stable_id("AROA", "x"), stable_id("AROA", "x"));
        assert_ne!(stable_id("AROA", "x"), stable_id("AROA", "y"));
    }
}
