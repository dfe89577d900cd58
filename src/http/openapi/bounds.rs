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
use crate::http::cursor::MAX_CURSOR_LEN;
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
        (
            format!("{s}/BatchIn/properties/observations"),
            json!({"minItems": 1, "maxItems": config.engine.batch_max}),
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
    ];
    for (pointer, bounds) in merges {
        merge(doc, &pointer, bounds)?;
    }
    merge(doc, &format!("{s}/SubmitTest"), submission_rules())?;
    named_types(doc)?;
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
                    Some("cursor") => json!({"maxLength": MAX_CURSOR_LEN}),
                    Some("version") => {
                        *parameter
                            .pointer_mut("/schema")
                            .ok_or("a parameter without schema")? = reference("TestVersion");
                        continue;
                    }
                    Some("type") => json!({"enum": drift_levels()}),
                    _ => continue,
                };
                merge(parameter, "/schema", bounds)?;
            }
        }
    }
    Ok(())
}

/// What a submission must hold beyond its fields' types: every question answered once,
/// and one of three targets: none, an instance to apply the result to, or a new instance
/// with its name.
fn submission_rules() -> Value {
    // Every question answered once, in any order: 28 items, and for each question an
    // item that answers it, said as "if none answers it, nothing is valid": client
    // generators leave `if` alone and type `responses` as a plain array of answers
    // (a bare `contains` they read as the item type, a tuple as a fixed order).
    let answered: Vec<Value> = (1..=questions())
        .map(|id| {
            let answers =
                json!({"properties": {"question_id": {"const": id}}, "required": ["question_id"]});
            json!({"if": {"not": {"contains": answers}}, "then": false})
        })
        .collect();
    let absent = json!({"type": "null"});
    json!({
        "properties": {"responses": {
            "minItems": questions(), "maxItems": questions(), "allOf": answered,
            "description": "Every question of the version answered exactly once, in any order.",
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

/// Types that appear in several places as components of their own, so that generated
/// clients have one type each (`OptionId` for the option a question offers and the one a
/// response selects, …), and `Mode` as requests spell it.
fn named_types(doc: &mut Value) -> Result<(), String> {
    let string_enum = |description: &str, values: Vec<Value>| json!({"type": "string", "enum": values, "description": description});
    let persona_ids = personas::all().iter().map(|p| json!(p.id)).collect();
    let upper_modes = Mode::ALL.iter().map(|m| json!(m.upper_name())).collect();
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or("no components")?;
    schemas.insert(
        "Mode".into(),
        string_enum(
            "A mode as requests spell it (API.md §3); `ModeName`, lowercase, is accepted too",
            upper_modes,
        ),
    );
    schemas.insert(
        "OptionId".into(),
        string_enum(
            "An option of a question",
            OPTION_IDS.map(Value::from).to_vec(),
        ),
    );
    schemas.insert(
        "PersonaId".into(),
        string_enum("One of the twelve personas", persona_ids),
    );
    schemas.insert(
        "TestVersion".into(),
        string_enum(
            "A questionnaire version",
            versions().into_iter().map(Value::from).collect(),
        ),
    );
    let s = "/components/schemas";
    let or_null = |name: &str| json!({"oneOf": [reference(name), {"type": "null"}]});
    for (pointer, schema) in [
        (
            format!("{s}/ObservationIn/properties/mode_target"),
            json!({"anyOf": [reference("Mode"), reference("ModeName")]}),
        ),
        (
            format!("{s}/HistoryEntryBody/properties/mode_target"),
            reference("Mode"),
        ),
        (
            format!("{s}/QuestionOption/properties/id"),
            reference("OptionId"),
        ),
        (
            format!("{s}/ResponseIn/properties/selected_option_id"),
            reference("OptionId"),
        ),
        (
            format!("{s}/CreateInstance/properties/persona"),
            or_null("PersonaId"),
        ),
        (
            format!("{s}/SubmitTest/properties/version"),
            or_null("TestVersion"),
        ),
    ] {
        *doc.pointer_mut(&pointer)
            .ok_or_else(|| format!("the document has no {pointer}"))? = schema;
    }
    Ok(())
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
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

fn versions() -> Vec<&'static str> {
    TestVersion::ALL.iter().map(|v| v.name()).collect()
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
