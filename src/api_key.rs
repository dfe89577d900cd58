//! API keys: `idos_sk_` + 32 random letters and digits, stored only as a SHA-256 hash.
//!
//! A plain (fast) hash is right here, unlike for passwords: a key carries about 190 bits
//! of randomness, so there is nothing to brute-force, and every request hashes one.

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "idos_sk_";
const SECRET_LEN: usize = 32;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Keys given by operators (bootstrap) may be shorter than generated ones, not weaker
/// than this.
const MIN_SECRET_LEN: usize = 24;

/// A new random key.
pub fn generate() -> String {
    let mut bytes = [0u8; SECRET_LEN];
    // Without the OS random source no key can be safe: stopping is the only answer.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("OS random source failed: {e}"));
    // 62 does not divide 256: drop the few biased bytes by rejection.
    let mut secret = String::with_capacity(PREFIX.len() + SECRET_LEN);
    secret.push_str(PREFIX);
    let mut pool = bytes.to_vec();
    while secret.len() < PREFIX.len() + SECRET_LEN {
        if pool.is_empty() {
            let mut more = [0u8; SECRET_LEN];
            getrandom::fill(&mut more).unwrap_or_else(|e| panic!("OS random source failed: {e}"));
            pool.extend_from_slice(&more);
        }
        let b = pool.pop().unwrap_or(0);
        if usize::from(b) < 248 {
            secret.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
        }
    }
    secret
}

/// `idos_sk_` followed by at least 24 ASCII letters or digits.
pub fn is_well_formed(key: &str) -> bool {
    key.strip_prefix(PREFIX).is_some_and(|s| {
        s.len() >= MIN_SECRET_LEN && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Lowercase hex SHA-256 of the whole key: what the database stores and looks up.
pub fn hash(key: &str) -> String {
    crate::hex::encode(&Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert!(is_well_formed(&a), "{a}");
        assert_eq!(a.len(), PREFIX.len() + SECRET_LEN);
        assert_ne!(a, b);
        assert_ne!(hash(&a), hash(&b));
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "idos_sk_",
            "idos_sk_short",
            "sk_abcdefghijklmnopqrstuvwxyz",
            "idos_sk_abcdefghijklmnopqrstuvwx-z",
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
        assert!(is_well_formed("idos_sk_abcdefghijklmnopqrstuvwx"));
    }
}
