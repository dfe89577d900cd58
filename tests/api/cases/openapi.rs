//! `/openapi.json` lists exactly the routes the server serves; `/docs` and `/redoc`
//! work offline and only when enabled.

use hyper::{Method, StatusCode};
use serde_json::Value;

use crate::server::{Db, KEY, TestServer};

/// Every operation of API.md, as `METHOD path`.
const SPEC_ROUTES: &[&str] = &[
    "POST /v1/instances",
    "GET /v1/instances",
    "GET /v1/instances/{id}",
    "PATCH /v1/instances/{id}",
    "DELETE /v1/instances/{id}",
    "POST /v1/instances/{id}/restore",
    "POST /v1/instances/{id}/stop",
    "POST /v1/instances/{id}/start",
    "POST /v1/instances/{id}/restart",
    "POST /v1/instances/{id}/update",
    "POST /v1/instances/{id}/process",
    "POST /v1/instances/{id}/process/batch",
    "GET /v1/instances/{id}/snapshot",
    "GET /v1/instances/{id}/contract",
    "POST /v1/instances/{id}/reset",
    "GET /v1/instances/{id}/history",
    "GET /v1/instances/{id}/drift",
    "GET /v1/personas",
    "GET /v1/personas/{id}",
    "GET /v1/test/questions",
    "POST /v1/test/submit",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    // Cluster mode's operators' view (docs/cluster.md); 404 on a single node.
    "GET /cluster/status",
];

/// Every operation of the official Python SDK, in its dialect (docs/sdk-dialect.md).
const SDK_ROUTES: &[&str] = &[
    "POST /sdk/v1/instances",
    "GET /sdk/v1/instances",
    "GET /sdk/v1/instances/{id}",
    "PATCH /sdk/v1/instances/{id}",
    "DELETE /sdk/v1/instances/{id}",
    "POST /sdk/v1/instances/{id}/process",
    "POST /sdk/v1/instances/{id}/process/batch",
    "GET /sdk/v1/instances/{id}/snapshot",
    "GET /sdk/v1/instances/{id}/contract",
    "POST /sdk/v1/instances/{id}/reset",
    "GET /sdk/v1/instances/{id}/history",
    "GET /sdk/v1/instances/{id}/drift",
    "GET /sdk/v1/personas",
    "GET /sdk/v1/personas/{id}",
    "GET /sdk/v1/test/questions",
    "POST /sdk/v1/test/submit",
];

fn documented(doc: &Value) -> Vec<String> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            routes.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    routes.sort();
    routes
}

pub async fn the_openapi_document_lists_every_route(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let r = server.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let mut expected: Vec<String> = SPEC_ROUTES
        .iter()
        .chain(SDK_ROUTES)
        .map(|s| (*s).to_owned())
        .collect();
    expected.sort();
    assert_eq!(documented(&r.body), expected);
    let mut ids: Vec<&str> = r.body["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(_, item)| item.as_object().into_iter().flatten())
        .filter_map(|(_, op)| op["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids must be unique");
    // The bounds the server enforces are stated (from its constants; schemathesis,
    // run by .ci/run, checks them against the server's answers).
    let schemas = &r.body["components"]["schemas"];
    let create = &schemas["CreateInstance"]["properties"];
    assert_eq!(create["user"]["maxLength"], 200);
    assert_eq!(create["metadata"]["maxProperties"], 32);
    assert_eq!(create["cycle_cap"]["maximum"], i64::MAX);
    assert!(create["name"]["pattern"].is_string());
    assert_eq!(
        schemas["BatchIn"]["properties"]["observations"]["maxItems"],
        100
    );
    assert_eq!(
        schemas["SubmitTest"]["properties"]["responses"]["minItems"],
        28
    );
    let limit = |path: &str| {
        r.body["paths"][path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "limit")
            .map(|p| p["schema"]["maximum"].clone())
    };
    assert_eq!(limit("/v1/instances"), Some(100.into()));
    assert_eq!(limit("/v1/instances/{id}/history"), Some(1000.into()));
    // The headers API.md puts on every /v1 answer are documented (schemathesis checks
    // the answers have them).
    let created = &r.body["paths"]["/v1/instances"]["post"]["responses"]["201"]["headers"];
    for name in ["X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining"] {
        assert_eq!(created[name]["required"], true, "{name}");
    }
    let refused = &r.body["paths"]["/v1/instances"]["post"]["responses"]["4XX"]["headers"];
    assert!(refused["Retry-After"].is_object());
    // Each 4xx an operation can answer is listed for it.
    let create = &r.body["paths"]["/v1/instances"]["post"]["responses"];
    for status in [
        "400", "401", "404", "408", "409", "413", "414", "415", "429", "431",
    ] {
        assert!(create[status].is_object(), "POST /v1/instances {status}");
    }
    // `identity-os openapi` prints the same document, without a server.
    let (ok, printed, err) = server.command(&["openapi"]).await;
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(&printed).unwrap_or_default();
    assert_eq!(printed, r.body);
    // Every schema a path refers to is in the document.
    let text = r.body.to_string();
    for name in text.split("#/components/schemas/").skip(1) {
        let name = name.split('"').next().unwrap_or_default();
        assert!(
            r.body["components"]["schemas"].get(name).is_some(),
            "missing schema {name}"
        );
    }
    // And every documented operation is served (a made-up id gets the instance's or the
    // persona's 404, never "no route" or 405).
    for route in &expected {
        let (method, path) = route.split_once(' ').unwrap_or_default();
        let path = path.replace("{id}", "inst_00000000000000ff");
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let body = matches!(method, Method::POST | Method::PATCH).then_some("{}");
        let r = server.call(method, &path, Some(KEY), body).await;
        assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{route}");
        // `/v1` says it in `message`, the SDK dialect in `error`.
        let message = r.body["message"]
            .as_str()
            .or(r.body["error"].as_str())
            .unwrap_or_default();
        assert!(!message.starts_with("no route"), "{route}: {message}");
    }
    // The pages are off by default.
    for page in ["/docs/", "/redoc"] {
        let r = server.call(Method::GET, page, None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{page}");
    }
    server.terminate().await;

    let server = TestServer::start(db, &[("IDENTITY_OS_DOCS_ENABLED", "true")]).await;
    let r = server.call(Method::GET, "/docs/", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.body.as_str().unwrap_or_default().to_owned();
    assert!(page.contains("swagger-ui"), "{page}");
    // The UI's assets come from the binary, not a CDN.
    assert!(
        !page.contains("https://"),
        "the page loads something remote"
    );
    let r = server
        .call(Method::GET, "/docs/swagger-ui-bundle.js", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.as_str().is_some_and(|js| js.len() > 100_000));
    let r = server
        .call(Method::GET, "/docs/swagger-initializer.js", None, None)
        .await;
    assert!(
        r.body
            .as_str()
            .is_some_and(|js| js.contains("/openapi.json"))
    );
    let r = server.call(Method::GET, "/redoc", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.body.as_str().unwrap_or_default();
    assert!(page.contains("/v1/instances/{id}/process/batch"));
    assert!(page.contains("ObservationIn"));
    assert!(
        !page.contains("<script"),
        "the reference page needs no script"
    );
    server.terminate().await;
}
