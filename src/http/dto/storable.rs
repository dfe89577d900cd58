//! What the store keeps exactly as given, so that both backends answer alike.
//!
//! PostgreSQL refuses a NUL character in text (SQLite stores it) and both keep integers
//! as signed 64-bit: text with a NUL and integers above `i64::MAX` are refused at the
//! edge with 400 naming the field, never stored differently per backend or clamped.

use std::fmt;

use serde::de::{Error, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

use crate::http::error::ApiError;

/// The largest integer a stored count, cap or offset can take (`BIGINT`).
pub const MAX_STORED_INT: u64 = i64::MAX as u64;

/// `text` as a stored or compared string of `field`: no NUL character.
pub fn text(field: &str, text: &str) -> Result<(), ApiError> {
    if text.contains('\0') {
        return Err(ApiError::invalid(
            field,
            "invalid_character",
            format!("{field} must not contain a NUL character (U+0000)"),
        ));
    }
    Ok(())
}

/// `deserialize_with` for a JSON integer the store keeps: 0 to [`MAX_STORED_INT`],
/// written as an integer or as a whole number (`6056.0` is an integer to JSON Schema, so
/// to every client generated from our OpenAPI document).
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(StoredInt)
}

/// [`int`] for an optional field (`null` = absent).
pub fn optional_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Stored(#[serde(deserialize_with = "int")] u64);
    Ok(Option::<Stored>::deserialize(d)?.map(|Stored(n)| n))
}

/// `deserialize_with` for an integer of a query string: 0 to [`MAX_STORED_INT`].
pub fn query_int<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    within(u64::deserialize(d)?)
}

/// [`query_int`] for a parameter that may be absent (and whose absence is not 0).
pub fn optional_query_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<u64>::deserialize(d)?.map(within).transpose()
}

fn within<E: Error>(n: u64) -> Result<u64, E> {
    if n > MAX_STORED_INT {
        return Err(E::custom(format_args!(
            "out of range: at most {MAX_STORED_INT}"
        )));
    }
    Ok(n)
}

struct StoredInt;

impl Visitor<'_> for StoredInt {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer from 0 to {MAX_STORED_INT}")
    }

    fn visit_u64<E: Error>(self, n: u64) -> Result<u64, E> {
        within(n)
    }

    fn visit_i64<E: Error>(self, n: i64) -> Result<u64, E> {
        u64::try_from(n).map_err(|_| E::custom("out of range: at least 0"))
    }

    fn visit_f64<E: Error>(self, x: f64) -> Result<u64, E> {
        if x.fract() != 0.0 || !x.is_finite() {
            return Err(E::invalid_type(Unexpected::Float(x), &self));
        }
        // `MAX_STORED_INT as f64` rounds up to 2^63, the first double past it.
        if !(0.0..MAX_STORED_INT as f64).contains(&x) {
            return Err(E::custom(format_args!(
                "out of range: 0 to {MAX_STORED_INT}"
            )));
        }
        Ok(x as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Cap {
        #[serde(default, deserialize_with = "optional_int")]
        cap: Option<u64>,
    }

    #[test]
    fn integers_above_bigint_are_refused_not_clamped() {
        let cap = |body: &str| serde_json::from_str::<Cap>(body).map(|c| c.cap);
        assert_eq!(
            cap(r#"{"cap":9223372036854775807}"#).ok(),
            Some(Some(i64::MAX as u64))
        );
        assert!(cap(r#"{"cap":9223372036854775808}"#).is_err());
        assert_eq!(cap(r#"{"cap":null}"#).ok(), Some(None));
        assert_eq!(cap(r#"{"cap":6056.0}"#).ok(), Some(Some(6056)));
        assert_eq!(cap(r#"{"cap":1e3}"#).ok(), Some(Some(1000)));
        for bad in ["6056.5", "-1", "\"5\"", "9.3e18", "true"] {
            assert!(cap(&format!(r#"{{"cap":{bad}}}"#)).is_err(), "{bad}");
        }
        assert_eq!(cap("{}").ok(), Some(None));
    }

    #[test]
    fn a_nul_character_is_refused_with_its_field() {
        assert!(text("name", "Aria").is_ok());
        let e = text("metadata.k", "a\0b").err().and_then(|e| e.details);
        assert_eq!(e.and_then(|d| d.field).as_deref(), Some("metadata.k"));
    }
}
