//! Every bound the server enforces, stated in the document from the same constants.
//!
//! utoipa's attributes take only literals, so the bounds are written onto the generated
//! document here instead, as JSON: a constant changed in code changes the document,
//! and a schema or parameter that moved makes `apply` fail (a unit test runs it).

use serde_json::{Value, json};

use crate::config::Config;
use crate::engine::personas;
use crate::engine::questionnaire::{OPTION_IDS, TestVersion};
use crate::engine::{DriftLevel, Mode};
use crate::http::dto::audit::MAX_HISTORY_LIMIT;
use crate::http::dto::instance::{
    MAX_DESCRIPTION_CHARS, MAX_LIST_LIMIT, MAX_METADATA_KEY_CHARS, MAX_METADATA_KEYS,
    MAX_METADATA_VALUE_CHARS, MAX_NAME_CHARS, MAX_USER_CHARS,
};
use crate::http::dto::storable::MAX_STORED_INT;
use crate::http::sdk::state::drift_level_name;

/// The characters Rust's `str::trim` removes (Unicode `White_Space`), as a regex class
/// body that ECMA-262 and Python read alike (`\s` differs between them).
const WHITESPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Text without a NUL character (PostgreSQL cannot store one).
const NO_NUL: &str = r"^[^\u0000]*$";

/// Writes the bounds onto `doc`; `Err` names what the document no longer has.
pub fn apply(doc: &mut Value, config: &Config) -> Result<(), String> {
    let name = name_pattern();
    let text = |max: usize| json!({"maxLength": max, "pattern": NO_NUL});
    let stored_int = json!({"minimum": 0, "maximum": MAX_STORED_INT});
    let metadata = json!({
        "maxProperties": MAX_METADATA_KEYS,
        "propertyNames": {"minLength": 1, "maxLength": MAX_METADATA_KEY_CHARS, "pattern": NO_NUL},
        "additionalProperties": {"type": "string", "maxLength": MAX_METADATA_VALUE_CHARS, "pattern": NO_NUL},
    });
    let persona_ids: Vec<Value> = personas::all()
        .iter()
        .map(|p| json!(p.id))
        .chain([Value::Null])
        .collect();
    let s = "/components/schemas";
    let merges: Vec<(String, Value)> = vec![
        (
            format!("{s}/CreateInstance/properties/name"),
            json!({"pattern": name, "description": NAME_RULE}),
        ),
        (
            format!("{s}/CreateInstance/properties/description"),
            text(MAX_DESCRIPTION_CHARS),
        ),
        (
            format!("{s}/CreateInstance/properties/user"),
            text(MAX_USER_CHARS),
        ),
        (
            format!("{s}/CreateInstance/properties/metadata"),
            metadata.clone(),
        ),
        (
            format!("{s}/CreateInstance/properties/cycle_cap"),
            stored_int.clone(),
        ),
        (
            format!("{s}/CreateInstance/properties/persona"),
            json!({"enum": persona_ids}),
        ),
        (
            format!("{s}/PatchInstance/properties/name"),
            json!({"type": "string", "pattern": name, "description": NAME_RULE}),
        ),
        (
            format!("{s}/PatchInstance/properties/description"),
            merged(json!({"type": "string"}), text(MAX_DESCRIPTION_CHARS)),
        ),
        (
            format!("{s}/PatchInstance/properties/user"),
            text(MAX_USER_CHARS),
        ),
        (
            format!("{s}/PatchInstance/properties/metadata"),
            merged(json!({"type": "object"}), metadata),
        ),
        (
            format!("{s}/PatchInstance/properties/cycle_cap"),
            stored_int,
        ),
        (
            format!("{s}/InitialConfig/properties/mode_strengths"),
            json!({"propertyNames": {"enum": lower_modes()}}),
        ),
        (format!("{s}/Mode"), json!({"enum": all_mode_spellings()})),
        (
            format!("{s}/BatchIn/properties/observations"),
            json!({"minItems": 1, "maxItems": config.engine.batch_max}),
        ),
        (
            format!("{s}/SubmitTest/properties/version"),
            json!({"enum": versions_or_null()}),
        ),
        (
            format!("{s}/SubmitTest/properties/instance_id"),
            json!({"pattern": "^inst_[0-9a-f]{16}$"}),
        ),
        (
            format!("{s}/SubmitTest/properties/instance_name"),
            json!({"pattern": name}),
        ),
        (
            format!("{s}/ResponseIn/properties/question_id"),
            json!({"minimum": 1, "maximum": questions()}),
        ),
        (
            format!("{s}/ResponseIn/properties/selected_option_id"),
            json!({"enum": OPTION_IDS}),
        ),
    ];
    for (pointer, bounds) in merges {
        merge(doc, &pointer, bounds)?;
    }
    merge(doc, &format!("{s}/SubmitTest"), submission_rules())?;
    // The option ids a question offers are the ones a response may select.
    merge(
        doc,
        &format!("{s}/QuestionOption/properties/id"),
        json!({"enum": OPTION_IDS}),
    )?;
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or("no paths")?;
    for (path, item) in paths.iter_mut() {
        let page_max = if path.ends_with("/instances") {
            MAX_LIST_LIMIT
        } else {
            MAX_HISTORY_LIMIT
        };
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let parameters = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                let bounds = match parameter.get("name").and_then(Value::as_str) {
                    Some("limit") => json!({"minimum": 1, "maximum": page_max}),
                    Some("offset") => json!({"minimum": 0, "maximum": MAX_STORED_INT}),
                    Some("user") => text(MAX_USER_CHARS),
                    Some("version") => json!({"enum": versions()}),
                    Some("type") => json!({"enum": drift_levels()}),
                    _ => continue,
                };
                merge(parameter, "/schema", bounds)?;
            }
        }
    }
    Ok(())
}

/// What a submission must hold beyond its fields' types: every question answered once
/// (in order here: a schema cannot say "each once in any order", and in order is one of
/// the accepted forms), and one of three targets: none, an instance to apply the result
/// to, or a new instance with its name.
fn submission_rules() -> Value {
    let answers: Vec<Value> = (1..=questions())
        .map(|id| {
            json!({"allOf": [
                {"$ref": "#/components/schemas/ResponseIn"},
                {"properties": {"question_id": {"const": id}}},
            ]})
        })
        .collect();
    let absent = json!({"type": "null"});
    json!({
        "properties": {"responses": {
            "prefixItems": answers, "items": false,
            "minItems": questions(), "maxItems": questions(),
        }},
        // In `allOf`, beside the fields: generators then read the fields and the choice
        // together (an `anyOf` beside `properties` reads as a union with them).
        "allOf": [{"oneOf": [
            {"properties": {"instance_id": absent, "create_instance": {"const": false}, "instance_name": absent}},
            {"required": ["instance_id"], "properties": {"instance_id": {"type": "string"},
                "create_instance": {"const": false}, "instance_name": absent}},
            {"required": ["create_instance", "instance_name"], "properties": {
                "create_instance": {"const": true}, "instance_name": {"type": "string"}, "instance_id": absent}},
        ]}],
    })
}

const NAME_RULE: &str = "1 to 100 characters after surrounding whitespace is trimmed; no NUL";

/// A name: after trimming, 1 to `MAX_NAME_CHARS` characters, none of them NUL.
fn name_pattern() -> String {
    let w = WHITESPACE;
    let inner = MAX_NAME_CHARS - 2;
    format!(r"^[{w}]*[^{w}\u0000](?:[^\u0000]{{0,{inner}}}[^{w}\u0000])?[{w}]*$")
}

fn lower_modes() -> Vec<&'static str> {
    Mode::ALL.iter().map(|m| m.lower_name()).collect()
}

fn all_mode_spellings() -> Vec<&'static str> {
    let upper = Mode::ALL.iter().map(|m| m.upper_name());
    upper.chain(lower_modes()).collect()
}

fn versions() -> Vec<&'static str> {
    TestVersion::ALL.iter().map(|v| v.name()).collect()
}

fn versions_or_null() -> Vec<Value> {
    versions()
        .into_iter()
        .map(Value::from)
        .chain([Value::Null])
        .collect()
}

fn questions() -> usize {
    TestVersion::V1.questions().len()
}

/// The SDK's drift filter: each level by its short and its long name.
fn drift_levels() -> Vec<&'static str> {
    DriftLevel::ALL
        .iter()
        .flat_map(|l| [l.as_str(), drift_level_name(*l)])
        .collect()
}

fn merged(mut base: Value, more: Value) -> Value {
    if let (Some(b), Value::Object(m)) = (base.as_object_mut(), more) {
        b.extend(m);
    }
    base
}

/// Writes `bounds` onto the object at `pointer`, object into object.
fn merge(doc: &mut Value, pointer: &str, bounds: Value) -> Result<(), String> {
    let target = doc
        .pointer_mut(pointer)
        .filter(|t| t.is_object())
        .ok_or_else(|| format!("the document has no {pointer}"))?;
    deep_merge(target, bounds);
    Ok(())
}

fn deep_merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        into.insert(key, value);
                    }
                }
            }
        }
        (into, from) => *into = from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bound_finds_its_place() {
        let config = crate::config::Config::load(&crate::config::Sources::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut doc = crate::http::document(&config);
        // Applying twice changes nothing more, and applying finds every place.
        let once = doc.clone();
        assert_eq!(apply(&mut doc, &config), Ok(()));
        assert_eq!(doc, once);
        let name = &doc["components"]["schemas"]["CreateInstance"]["properties"]["name"];
        assert_eq!(name["pattern"], name_pattern());
    }

    #[test]
    fn the_name_pattern_is_the_servers_rule() {
        let pattern = regex::Regex::new(&name_pattern()).unwrap_or_else(|e| panic!("{e}"));
        let server = |name: &str| crate::http::dto::instance::instance_name(name, "name").is_ok();
        let long = "x".repeat(MAX_NAME_CHARS);
        let padded = format!("\u{3000} {long}\t\u{85}");
        for name in [
            "a",
            " Aria ",
            "a b",
            "\u{200b}",
            "\u{feff}x",
            &long,
            &padded,
            "",
            "   ",
            "\u{85}",
            "\u{1c}",
            "a\u{0}b",
            &format!("{long}x"),
            "\u{2003}é\u{2003}",
        ] {
            assert_eq!(pattern.is_match(name), server(name), "{name:?}");
        }
    }
}
