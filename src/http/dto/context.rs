//! An observation's `context`: a JSON object every client can read back.
//!
//! It is stored as the text that came, so it must already be JSON that any parser takes:
//! an object, nested at most [`MAX_CONTEXT_DEPTH`] deep (Python's `json` gives up near
//! 1 000 and others lower), numbers that fit a double (`1e400` does not), and no key
//! repeated within an object (parsers disagree on which one wins).

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};

/// A context in the OpenAPI document: an object of any JSON values, so that generated
/// clients can send and read one (a bare `object` reads as an empty record to some).
/// The server never decodes into it: a context is kept as the JSON text that came.
pub struct Context;

impl utoipa::PartialSchema for Context {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .description(Some(format!(
                "A JSON object of the client's own: at most {MAX_CONTEXT_BYTES} bytes, nested at \
                 most {MAX_CONTEXT_DEPTH} levels deep, finite numbers, no key repeated within \
                 an object."
            )))
            .into()
    }
}

impl utoipa::ToSchema for Context {}

/// Largest `context`, as JSON text.
pub const MAX_CONTEXT_BYTES: usize = 8 * 1024;
/// Deepest nesting of arrays and objects in a `context`, the context object itself
/// counting as level 1.
pub const MAX_CONTEXT_DEPTH: usize = 32;

/// Why `text` is not a context every client can read back, as the error's reason and
/// message; `None` when it is one.
pub fn problem(text: &str) -> Option<(&'static str, String)> {
    if text.len() > MAX_CONTEXT_BYTES {
        return Some((
            "too_large",
            format!("is over {MAX_CONTEXT_BYTES} bytes of JSON"),
        ));
    }
    if !text.trim_start().starts_with('{') {
        return Some(("invalid_type", "must be a JSON object".to_owned()));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let checked = Portable { level: 1 }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    checked
        .err()
        .map(|e| ("invalid_value", crate::http::extract::message_of(&e)))
}

/// Checks a JSON value that, if it is an array or an object, sits at nesting `level`.
#[derive(Clone, Copy)]
struct Portable {
    level: usize,
}

impl Portable {
    /// The checker of what a container at this level holds.
    fn enter<E: Error>(self) -> Result<Portable, E> {
        if self.level > MAX_CONTEXT_DEPTH {
            return Err(E::custom(format_args!(
                "is nested deeper than {MAX_CONTEXT_DEPTH} levels"
            )));
        }
        Ok(Portable {
            level: self.level + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Portable {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Portable {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("holds a number that does not fit a double"))
        }
    }

    fn visit_str<E: Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.enter()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.enter()?;
        let mut keys = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key) {
                return Err(A::Error::custom("repeats a key within one object"));
            }
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        // An object holding arrays: `levels` levels in all.
        format!(
            "{{\"a\":{}{}}}",
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    }

    #[test]
    fn portable_contexts_pass() {
        for ok in [
            "{}",
            r#"{"task":"x","n":1,"f":-2.5e10,"b":true,"z":null,"l":[1,{"k":"v"}]}"#,
            r#"{"s":"nul \u0000 inside a string is JSON"}"#,
            &nested(MAX_CONTEXT_DEPTH),
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn what_some_client_cannot_read_is_refused() {
        for (bad, why) in [
            (nested(MAX_CONTEXT_DEPTH + 1), "nested deeper"),
            (nested(4000), "nested deeper"),
            (r#"{"x":1e400}"#.to_owned(), "out of range"),
            (r#"{"a":1,"a":2}"#.to_owned(), "repeats a key"),
            (r#"{"o":{"a":1,"a":2}}"#.to_owned(), "repeats a key"),
            (r#"{"s":"\ud800"}"#.to_owned(), "escape"),
            ("[1]".to_owned(), "JSON object"),
        ] {
            let found = problem(&bad)
                .map(|(_, message)| message)
                .unwrap_or_default();
            assert!(found.contains(why), "{bad}: {found}");
        }
    }
}
