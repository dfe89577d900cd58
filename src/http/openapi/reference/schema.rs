//! JSON Schemas as a reader wants them: a type in words with links to the named schemas,
//! the bounds the server enforces, and each object as a table of its fields.

use std::fmt::Write;

use serde_json::{Map, Value};

use super::markdown::markdown;

/// A schema that says nothing of its type.
const ANY: &str = "any";

/// The type of `schema` in words: `string (date-time)`, `array of <Mode>`,
/// `<Context> | null`, every named schema a link to its section.
pub fn type_of(schema: &Value) -> String {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
        return schema_link(name.rsplit('/').next().unwrap_or(name));
    }
    for (key, joint) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " &amp; ")] {
        let Some(variants) = schema.get(key).and_then(Value::as_array) else {
            continue;
        };
        // Parts that only constrain (`if`/`then`) say nothing of the type.
        let typed: Vec<String> = variants.iter().map(type_of).filter(|t| t != ANY).collect();
        if !typed.is_empty() {
            return typed.join(joint);
        }
    }
    if let Some(c) = schema.get("const") {
        return format!("<code>{}</code>", escape(&c.to_string()));
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return ANY.to_owned();
    }
    let format = schema
        .get("format")
        .and_then(Value::as_str)
        .map(|f| format!(" <span class=\"muted\">({})</span>", escape(f)))
        .unwrap_or_default();
    types
        .iter()
        .map(|t| match *t {
            "array" => format!(
                "array of {}",
                schema.get("items").map_or(ANY.to_owned(), type_of)
            ),
            "object" => match schema.get("additionalProperties") {
                Some(inner @ Value::Object(_)) if schema.get("properties").is_none() => {
                    format!("map of string → {}", type_of(inner))
                }
                _ => "object".to_owned(),
            },
            "null" => "null".to_owned(),
            other => format!("{}{format}", escape(other)),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The bounds of `schema` (values, lengths, counts, pattern, default), one per line; for
/// a reference to a named scalar (`Unit`), the bounds of that schema.
pub fn constraints(schema: &Value, named: &Map<String, Value>) -> String {
    let target = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| named.get(r.rsplit('/').next().unwrap_or(r)));
    let schema = match target {
        Some(t) if t.get("properties").is_none() => t,
        _ => schema,
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(json_code).collect();
        out.push(format!("one of {}", values.join(", ")));
    }
    let bounds = [
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
        ("minProperties", "fields ≥"),
        ("maxProperties", "fields ≤"),
    ];
    for (key, words) in bounds {
        if let Some(v) = schema.get(key) {
            out.push(format!("{words} {}", escape(&v.to_string())));
        }
    }
    if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
        out.push("unique items".to_owned());
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        out.push(format!("pattern <code>{}</code>", escape(p)));
    }
    if let Some(d) = schema.get("default") {
        out.push(format!("default {}", json_code(d)));
    }
    out.join("<br>")
}

/// The section of the named schema `name`: its description, its fields (or variants, or
/// type and bounds), and its example.
pub fn schema_section(html: &mut String, name: &str, schema: &Value, named: &Map<String, Value>) {
    let _ = write!(
        html,
        "<section class=\"schema\" id=\"schema-{0}\"><h3>{0}</h3>{1}",
        escape(name),
        markdown(
            schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )
    );
    let mut described = false;
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        described |= composed_part(html, part, named);
    }
    if let Some(variants) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        variant_list(html, variants);
        described = true;
    }
    if schema.get("properties").is_some() {
        field_table(html, schema, named);
        described = true;
    }
    if !described {
        let bounds = constraints(schema, named);
        let _ = write!(html, "<p>Type: {}</p>", type_of(schema));
        if !bounds.is_empty() {
            let _ = write!(html, "<p>{bounds}</p>");
        }
    }
    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
        html.push_str("<p class=\"muted\">No other field is accepted.</p>");
    }
    if let Some(example) = schema.get("example") {
        let json = serde_json::to_string_pretty(example).unwrap_or_default();
        let _ = write!(
            html,
            "<h4>Example</h4><pre><code>{}</code></pre>",
            escape(&json)
        );
    }
    html.push_str("</section>");
}

/// One part of an `allOf`: a named schema whose fields are included, an object whose
/// fields are listed, or a choice of variants. Whether it said anything.
fn composed_part(html: &mut String, part: &Value, named: &Map<String, Value>) -> bool {
    if part.get("$ref").is_some() {
        let _ = write!(html, "<p>Every field of {}, and:</p>", type_of(part));
        true
    } else if part.get("properties").is_some() {
        field_table(html, part, named);
        true
    } else if let Some(variants) = part
        .get("oneOf")
        .or_else(|| part.get("anyOf"))
        .and_then(Value::as_array)
    {
        variant_list(html, variants);
        true
    } else {
        false
    }
}

fn variant_list(html: &mut String, variants: &[Value]) {
    html.push_str("<p>Exactly one of:</p><ul>");
    for v in variants {
        let fields = v.get("properties").and_then(Value::as_object);
        let summary = match fields {
            Some(fields) => fields
                .iter()
                .map(|(name, s)| format!("<code>{}</code>: {}", escape(name), type_of(s)))
                .collect::<Vec<_>>()
                .join(", "),
            None => type_of(v),
        };
        let _ = write!(html, "<li>{summary}</li>");
    }
    html.push_str("</ul>");
}

fn field_table(html: &mut String, schema: &Value, named: &Map<String, Value>) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    html.push_str(
        "<table class=\"fields\"><thead><tr><th>Field</th><th>Type</th><th>Constraints</th>\
         <th>Description</th></tr></thead><tbody>",
    );
    let fields = schema.get("properties").and_then(Value::as_object);
    for (name, field) in fields.into_iter().flatten() {
        let _ = write!(
            html,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            if required.contains(&name.as_str()) {
                " <span class=\"req\">required</span>"
            } else {
                ""
            },
            type_of(field),
            constraints(field, named),
            markdown(
                field
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            )
        );
    }
    html.push_str("</tbody></table>");
}

fn schema_link(name: &str) -> String {
    format!("<a href=\"#schema-{0}\"><code>{0}</code></a>", escape(name))
}

fn json_code(v: &Value) -> String {
    format!("<code>{}</code>", escape(&v.to_string()))
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn types_name_their_schemas_as_links_and_their_formats() {
        let nullable =
            json!({"oneOf": [{"$ref": "#/components/schemas/Context"}, {"type": "null"}]});
        assert_eq!(
            type_of(&nullable),
            "<a href=\"#schema-Context\"><code>Context</code></a> | null"
        );
        let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/Mode"}});
        assert_eq!(
            type_of(&list),
            "array of <a href=\"#schema-Mode\"><code>Mode</code></a>"
        );
        let rule = json!({"if": {"not": {"contains": {"const": 1}}}, "then": false});
        let checked = json!({"allOf": [rule], "type": "array", "items": {"$ref": "#/x/Answer"}});
        assert_eq!(
            type_of(&checked),
            "array of <a href=\"#schema-Answer\"><code>Answer</code></a>"
        );
        let time = json!({"type": ["string", "null"], "format": "date-time"});
        assert_eq!(
            type_of(&time),
            "string <span class=\"muted\">(date-time)</span> | null"
        );
    }

    #[test]
    fn bounds_are_listed_in_words() {
        let s = json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20});
        assert_eq!(
            constraints(&s, &Map::new()),
            "≥ 1<br>≤ 100<br>default <code>20</code>"
        );
        let named = Map::from_iter([("Unit".to_owned(), json!({"minimum": 0, "maximum": 1}))]);
        let unit = json!({"$ref": "#/components/schemas/Unit"});
        assert_eq!(constraints(&unit, &named), "≥ 0<br>≤ 1");
    }
}
