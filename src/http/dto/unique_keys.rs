//! Objects whose keys must be unique: a JSON object that repeats a key means different
//! things to different parsers (the first, the last, an error), so it is refused.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// `deserialize_with` for a map that refuses a repeated key, naming it as a field
/// (`metadata.team`).
pub fn map<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    d.deserialize_map(UniqueMap(PhantomData))
}

struct UniqueMap<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueMap<V> {
    type Value = BTreeMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                // Worded as serde words a repeated struct field, so the edge names it.
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate field `{key}`"
                )));
            }
            let value = access.next_value()?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::extract::decode_json;

    #[derive(Debug, Deserialize)]
    struct Tagged {
        #[serde(default, deserialize_with = "map")]
        metadata: BTreeMap<String, String>,
    }

    #[test]
    fn a_repeated_key_is_refused_by_name() {
        let ok: Result<Tagged, _> = decode_json(br#"{"metadata":{"a":"1","b":"2"}}"#);
        assert_eq!(ok.map(|t| t.metadata.len()).ok(), Some(2));
        let twice = decode_json::<Tagged>(br#"{"metadata":{"a":"1","a":"2"}}"#);
        let field = twice.err().and_then(|e| e.details).and_then(|d| d.field);
        assert_eq!(field.as_deref(), Some("metadata.a"));
    }
}
