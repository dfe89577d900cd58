//! Request extractors that fail with the API's envelope and name the field at fault.
//!
//! Bodies and query strings are decoded through `serde_path_to_error`, so a wrong type,
//! an unknown field or a value out of range deep inside a batch comes back as
//! `details.field = "observations[3].signal_strength"`, not as a line and column.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{header, request::Parts};
use serde::de::DeserializeOwned;

use crate::ids::InstanceId;

use super::error::ApiError;

/// A JSON body of type `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::unsupported_media_type());
        }
        let rules = req
            .extensions()
            .get::<BodyRules>()
            .copied()
            .unwrap_or(BodyRules::NONE);
        // A body declared too large is refused before a byte of it is read.
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > rules.max_bytes as u64) {
            return Err(ApiError::payload_too_large(rules.max_bytes));
        }
        let read = tokio::time::timeout(rules.timeout, Bytes::from_request(req, state));
        let bytes = match read.await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => return Err(ApiError::payload_too_large(rules.max_bytes)),
            Err(_) => {
                let ms = u64::try_from(rules.timeout.as_millis()).unwrap_or(u64::MAX);
                return Err(ApiError::body_timeout(ms));
            }
        };
        decode_json(&bytes).map(ApiJson)
    }
}

/// How a body may come: its largest size (`server.max_body_bytes`, 413) and how long it
/// may take to arrive (`server.body_timeout_ms`, 408).
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl BodyRules {
    const NONE: BodyRules = BodyRules {
        max_bytes: usize::MAX,
        timeout: Duration::MAX,
    };
}

/// Decodes `bytes` as a `T`, naming the field at fault on failure.
///
/// Decoding is deterministic, so a body is first decoded plainly, and only a failed one
/// again with its path tracked: tracking copies every key it passes into a `String`,
/// which well-formed bodies (the hot path) need not pay for.
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde fills a struct from an array by position too; every body here is an object.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(ApiError::invalid(
            "body",
            "invalid_type",
            "the body must be a JSON object",
        ));
    }
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = message_of(&inner);
        match inner.classify() {
            serde_json::error::Category::Data => field_error(&path, &message),
            // A syntax error inside a field's value (`NaN`, `Infinity`, a number too
            // large for a double, a stray character) is a bad value of that field.
            // (`?` is a key not yet read: the object itself is malformed.)
            serde_json::error::Category::Syntax if path != "." && !path.contains('?') => {
                ApiError::invalid(path.clone(), "invalid_value", format!("{path}: {message}"))
            }
            _ => malformed(&message),
        }
    })?;
    de.end().map_err(|e| malformed(&message_of(&e)))?;
    Ok(value)
}

/// A body that is not JSON at all: the body as a whole is at fault.
fn malformed(message: &str) -> ApiError {
    ApiError::invalid(
        "body",
        "malformed_json",
        format!("malformed JSON: {message}"),
    )
}

/// A query string of type `T` (absent = empty).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        utf8_query(query)?;
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                field_error(&path, &e.into_inner().to_string())
            })
    }
}

/// Refuses a query whose names or values are not UTF-8 once percent-decoded (decoding
/// would silently put U+FFFD in their place), naming the parameter.
fn utf8_query(query: &str) -> Result<(), ApiError> {
    // The URI is ASCII: only escapes can make bytes that are not UTF-8.
    if !query.contains('%') {
        return Ok(());
    }
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if std::str::from_utf8(&percent_decoded(name)).is_err()
            || std::str::from_utf8(&percent_decoded(value)).is_err()
        {
            let field = String::from_utf8_lossy(&percent_decoded(name)).into_owned();
            return Err(ApiError::invalid(
                field.clone(),
                "invalid_utf8",
                format!("query parameter {field} is not UTF-8 once percent-decoded"),
            ));
        }
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` decoding of one name or value, as bytes.
fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    out
}

/// The `{id}` segment of a route, as text.
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    /// A segment that is not UTF-8 once percent-decoded names nothing that exists.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PathId(id)),
            Err(_) => Err(malformed_id("resource")),
        }
    }
}

/// The `{id}` of an instance route. A malformed id names no instance: 404.
pub fn instance_id(raw: &str) -> Result<InstanceId, ApiError> {
    InstanceId::parse(raw).map_err(|_| malformed_id("instance"))
}

fn malformed_id(what: &str) -> ApiError {
    ApiError::not_found(what).at("id", "malformed_id")
}

/// serde's message without serde_json's " at line L column C" suffix.
pub(crate) fn message_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Turns a serde data error at `path` into a 400 naming the field. serde reports a
/// missing or unknown field at its parent's path, so the name is taken from the message.
fn field_error(path: &str, message: &str) -> ApiError {
    let path = if path == "." { "" } else { path };
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|name| join(path, name))
    };
    if let Some(field) = named("missing field `") {
        return ApiError::invalid(field.clone(), "missing", format!("{field} is required"));
    }
    if let Some(field) = named("duplicate field `") {
        return ApiError::invalid(
            field.clone(),
            "duplicate_field",
            format!("{field} is given more than once"),
        );
    }
    if let Some(field) = named("unknown field `") {
        let field = if path.ends_with(field.rsplit('.').next().unwrap_or("")) && !path.is_empty() {
            path.to_owned()
        } else {
            field
        };
        return ApiError::invalid(
            field.clone(),
            "unknown_field",
            format!("{field} is not a field of this request"),
        );
    }
    let field = if path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let reason = if message.starts_with("invalid type") {
        "invalid_type"
    } else if message.contains("between 0.0 and 1.0") || message.contains("out of range") {
        "out_of_range"
    } else {
        "invalid_value"
    };
    ApiError::invalid(field.clone(), reason, format!("{field}: {message}"))
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::engine::Unit;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Batch {
        observations: Vec<Obs>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Obs {
        mode_target: String,
        signal_strength: Unit,
    }

    fn field_of(body: &str) -> (Option<String>, Option<String>) {
        match decode_json::<Batch>(body.as_bytes()) {
            Ok(b) => panic!("accepted {b:?}"),
            Err(e) => {
                let d = e.details.unwrap_or_default();
                (d.field, d.reason)
            }
        }
    }

    #[test]
    fn a_valid_body_decodes() {
        let body = r#"{"observations":[{"mode_target":"ORDER","signal_strength":0.25}]}"#;
        let batch: Batch = decode_json(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(batch.observations[0].mode_target, "ORDER");
        assert_eq!(batch.observations[0].signal_strength.get(), 0.25);
    }

    #[test]
    fn errors_name_the_field_deep_in_the_body() {
        let ok = r#"{"mode_target":"ORDER","signal_strength":0.5}"#;
        let body = format!(
            r#"{{"observations":[{ok},{ok},{ok},{{"mode_target":"ORDER","signal_strength":1.5}}]}}"#
        );
        assert_eq!(
            field_of(&body),
            (
                Some("observations[3].signal_strength".into()),
                Some("out_of_range".into())
            )
        );
        let body = format!(r#"{{"observations":[{ok},{{"signal_strength":0.5}}]}}"#);
        assert_eq!(
            field_of(&body),
            (
                Some("observations[1].mode_target".into()),
                Some("missing".into())
            )
        );
        let body = r#"{"observations":[{"mode_target":"ORDER","signal_strength":"high"}]}"#;
        assert_eq!(
            field_of(body),
            (
                Some("observations[0].signal_strength".into()),
                Some("invalid_type".into())
            )
        );
        let body = r#"{"observations":[],"extra":1}"#;
        assert_eq!(
            field_of(body),
            (Some("extra".into()), Some("unknown_field".into()))
        );
        assert_eq!(
            field_of("{}"),
            (Some("observations".into()), Some("missing".into()))
        );
    }

    #[test]
    fn a_query_must_be_utf8_once_decoded() {
        assert!(utf8_query("user=caf%C3%A9&limit=5&x").is_ok());
        assert!(utf8_query("user=a+b%20c%").is_ok());
        let e = utf8_query("limit=5&user=%FF").err().and_then(|e| e.details);
        assert_eq!(e.and_then(|d| d.field).as_deref(), Some("user"));
    }

    #[test]
    fn an_array_is_not_an_object() {
        let (field, reason) = field_of(r#"[[{"mode_target":"ORDER","signal_strength":0.5}]]"#);
        assert_eq!(
            (field.as_deref(), reason.as_deref()),
            (Some("body"), Some("invalid_type"))
        );
    }

    #[test]
    fn malformed_json_names_the_body() {
        for body in ["", "{", "nul", "{\"observations\":[],}"] {
            let e = decode_json::<Batch>(body.as_bytes()).map(|_| ()).err();
            let e = e.unwrap_or_else(|| panic!("{body:?} accepted"));
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{body:?}");
            let d = e.details.unwrap_or_default();
            assert_eq!(d.field.as_deref(), Some("body"), "{body:?}");
        }
    }

    #[test]
    fn a_bad_literal_or_a_repeated_key_names_its_field() {
        let obs = |v: &str| {
            format!(r#"{{"observations":[{{"mode_target":"ORDER","signal_strength":{v}}}]}}"#)
        };
        for literal in ["NaN", "Infinity", "-Infinity", "1e400"] {
            assert_eq!(
                field_of(&obs(literal)).0.as_deref(),
                Some("observations[0].signal_strength"),
                "{literal}"
            );
        }
        let twice = r#"{"observations":[{"mode_target":"ORDER","mode_target":"ORDER","signal_strength":0.5}]}"#;
        assert_eq!(
            field_of(twice),
            (
                Some("observations[0].mode_target".into()),
                Some("duplicate_field".into())
            )
        );
    }
}
