//! The response headers of `/v1` (API.md §1), documented on every response: the request
//! id and the account's rate limit on each answer that passed authentication, and
//! `Retry-After` where waiting helps (429, 503).

use serde_json::{Map, Value, json};

/// Documents the headers; `Err` names what the document lacks.
pub fn document(doc: &mut Value) -> Result<(), String> {
    let string = json!({"type": "string"});
    let count = json!({"type": "integer", "minimum": 0});
    let headers = [
        (
            "X-Request-Id",
            "The client's own `X-Request-Id`, else one made for the request",
            &string,
        ),
        (
            "X-RateLimit-Limit",
            "Requests per minute the account's plan allows",
            &count,
        ),
        (
            "X-RateLimit-Remaining",
            "Requests left in the current minute",
            &count,
        ),
        (
            "Retry-After",
            "Seconds to wait before trying again (429, 503)",
            &count,
        ),
    ];
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or("no paths")?;
    for (_, item) in paths
        .iter_mut()
        .filter(|(path, _)| path.starts_with("/v1/"))
    {
        let operations = item.as_object_mut().into_iter().flat_map(Map::values_mut);
        for operation in operations {
            let responses = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut);
            for (status, response) in responses.into_iter().flatten() {
                // Every answer that passed authentication carries the first three; a
                // refusal may come before it (401) or below routing (414, 431).
                let answered = status.starts_with('2');
                let mut documented = Map::new();
                for (name, description, schema) in &headers {
                    if *name == "Retry-After" && answered {
                        continue;
                    }
                    let header =
                        json!({"description": description, "required": answered, "schema": schema});
                    documented.insert((*name).to_owned(), header);
                }
                if let Some(response) = response.as_object_mut() {
                    response.insert("headers".into(), Value::Object(documented));
                }
            }
        }
    }
    Ok(())
}
