//! What every `/v1` operation answers, beyond what its handler declares: each 4xx status
//! it can give (the envelope; a `4XX` range stays for generators that want one), and the
//! response headers of API.md §1: the request id and the account's rate limit on each
//! answer that passed authentication, and `Retry-After` where waiting helps (429, 503).

use serde_json::{Map, Value, json};

/// Documents the statuses and headers; `Err` names what the document lacks.
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
    for (path, item) in paths
        .iter_mut()
        .filter(|(path, _)| path.starts_with("/v1/"))
    {
        let of_an_instance = path.starts_with("/v1/instances/{");
        let operations = item
            .as_object_mut()
            .into_iter()
            .flat_map(|ops| ops.iter_mut());
        for (method, operation) in operations {
            list_refusals(method, operation, of_an_instance);
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

/// Adds each 4xx `operation` can answer, as its `4XX` range documents them.
fn list_refusals(method: &str, operation: &mut Value, of_an_instance: bool) {
    let has_body = operation.get("requestBody").is_some();
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let Some(range) = responses.get("4XX").cloned() else {
        return;
    };
    // Any request: malformed (400), no key (401), an unknown id or route (404), a URI or
    // head too large (414, 431), over the rate limit (429).
    let mut statuses = vec![
        (
            "400",
            "Invalid request: `details.field` names what is at fault",
        ),
        ("401", "No, an invalid or a revoked API key"),
        ("404", "Unknown id, another account's, or deleted"),
        ("414", "Request URI too long"),
        (
            "429",
            "Rate limit or monthly quota exceeded; `Retry-After` says when to retry",
        ),
        ("431", "Request headers too large"),
    ];
    if has_body {
        statuses.extend([
            ("408", "The body did not arrive in time"),
            ("413", "Body larger than the configured limit"),
            ("415", "Body not sent as `application/json`"),
        ]);
    }
    if method != "get" {
        statuses.push(("409", "State mismatch: `details.reason` says which"));
    }
    if of_an_instance {
        statuses.push((
            "421",
            "Cluster mode, between nodes: a request forwarded (`X-Identity-OS-Hop`) to a \
             node that does not serve the instance's shard",
        ));
    }
    for (status, description) in statuses {
        let mut response = range.clone();
        if let Some(r) = response.as_object_mut() {
            r.insert("description".into(), json!(description));
        }
        responses.insert(status.into(), response);
    }
}
