//! The envelopes' generic instances (`Data_InstanceBody`, `Listed_InstanceBody`,
//! `SdkPage_ObservationRecord`, …) refer to the named schema they wrap.
//!
//! utoipa writes a copy of the wrapped schema into each instance of a generic, so a
//! client generator makes an unrelated type of each copy: three classes for the one
//! instance object. Here each copy becomes a `$ref` to the component of that name.

use serde_json::{Value, json};

/// Where each generic wrapper holds what it wraps.
const WRAPPERS: [(&str, &str); 3] = [
    ("Data_", "/properties/data"),
    ("Listed_", "/properties/data/items"),
    ("SdkPage_", "/properties/items/items"),
];

/// Replaces every wrapped copy with a reference; `Err` names a wrapper whose shape or
/// wrapped component is not where it should be.
pub fn refer(doc: &mut Value) -> Result<(), String> {
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("no components")?;
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in &names {
        for (prefix, place) in WRAPPERS {
            let Some(wrapped) = name.strip_prefix(prefix) else {
                continue;
            };
            if !schemas.contains_key(wrapped) {
                return Err(format!("{name} wraps {wrapped}, which is no component"));
            }
            let copy = schemas
                .get_mut(name)
                .and_then(|s| s.pointer_mut(place))
                .ok_or_else(|| format!("{name} has no {place}"))?;
            *copy = json!({"$ref": format!("#/components/schemas/{wrapped}")});
        }
    }
    Ok(())
}
