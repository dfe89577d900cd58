//! Identifiers: a prefix plus 16 lowercase hex digits of randomness (API.md §1).
//!
//! Ids are random rather than sequential so that they are globally unique without
//! coordination (several nodes will share one database) and reveal nothing about volume.
//! They are kept inline (22 bytes, no heap allocation): every resident instance holds
//! its id in the registry and its actor, and the memory per resident instance is the
//! scarce resource at a million of them.

use std::fmt;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed id {0:?}: expected {1} followed by 16 lowercase hex digits")]
pub struct MalformedId(pub String, pub &'static str);

/// 16 lowercase hex digits from the OS's random source.
fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    // The OS random source failing is not recoverable; a zeroed id would collide.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("OS random source failed: {e}"));
    crate::hex::encode(&bytes)
}

/// The longest prefix (`snap_`, `inst_`, `acct_`) plus 16 hex digits.
const MAX_LEN: usize = 21;

/// An id's text, inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Inline {
    bytes: [u8; MAX_LEN],
    len: u8,
}

impl Inline {
    /// `text` must be at most [`MAX_LEN`] bytes; the callers' formats guarantee it.
    fn new(text: &str) -> Inline {
        let mut bytes = [0u8; MAX_LEN];
        let len = text.len().min(MAX_LEN);
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        Inline {
            bytes,
            len: len as u8,
        }
    }

    fn as_str(&self) -> &str {
        // ASCII by construction (a prefix and hex digits).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

fn is_prefixed_hex(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 16
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Inline);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new random id.
            pub fn generate() -> Self {
                $name(Inline::new(&format!("{}{}", $prefix, random_hex())))
            }

            /// Accepts exactly `prefix` + 16 lowercase hex digits.
            pub fn parse(s: &str) -> Result<Self, MalformedId> {
                if is_prefixed_hex(s, $prefix) {
                    Ok($name(Inline::new(s)))
                } else {
                    Err(MalformedId(s.to_owned(), $prefix))
                }
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }
    };
}

prefixed_id!(
    /// An instance: `inst_9f190826e20c49ea`.
    InstanceId,
    "inst_"
);
prefixed_id!(
    /// An account: `acct_…`.
    AccountId,
    "acct_"
);
prefixed_id!(
    /// An API key's public id (lists, revocation), never its secret: `key_…`.
    KeyId,
    "key_"
);
prefixed_id!(
    /// A stored snapshot: `snap_…`.
    SnapshotId,
    "snap_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = InstanceId::generate();
        let b = InstanceId::generate();
        assert_ne!(a, b);
        assert_eq!(InstanceId::parse(a.as_str()), Ok(a.clone()));
        assert_eq!(a.as_str().len(), 21);
        assert_eq!(std::mem::size_of::<InstanceId>(), 22);
        let key = KeyId::generate();
        assert_eq!(KeyId::parse(key.as_str()), Ok(key.clone()));
        assert_eq!(key.as_str().len(), 20);
        assert!(SnapshotId::generate().as_str().starts_with("snap_"));
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "inst_9F190826E20C49EA",
            "inst_9f190826e20c49e",
            "inst_9f190826e20c49eaa",
            "snap_9f190826e20c49ea",
            "inst_9f190826e20c49eg",
            "",
        ] {
            assert!(InstanceId::parse(bad).is_err(), "{bad}");
        }
    }
}
