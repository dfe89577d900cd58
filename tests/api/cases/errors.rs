use hyper::{Method, StatusCode};
use serde_json::json;

use crate::server::{Db, KEY, TestServer};

pub async fn every_failure_uses_the_envelope(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_SERVER__MAX_BODY_BYTES", "1024")]).await;

    // No key, a malformed key, an unknown key: 401, never a hint of which.
    for key in [
        None,
        Some("secret"),
        Some("idos_sk_unknownunknownunknownunknown"),
    ] {
        let r = server.call(Method::GET, "/v1/personas", key, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(r.body["error"], "unauthorized");
        assert!(r.body["message"].is_string());
    }

    let r = server.get("/v1/no/such/route").await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = server
        .call(Method::DELETE, "/v1/personas", Some(KEY), None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body["error"], "method_not_allowed");

    let r = server.get("/v1/personas/persona_nobody").await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = server.get("/v1/test/questions?version=v7").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body["details"],
        json!({"field": "version", "reason": "unknown_version"})
    );

    // Every response carries a request id; a client's own is echoed.
    let r = server.get("/v1/personas").await;
    assert!(r.headers.contains_key("x-request-id"));
    let req = hyper::Request::builder()
        .uri(format!("{}/v1/personas", server.base))
        .header("authorization", format!("Bearer {KEY}"))
        .header("x-request-id", "trace-42")
        .body(http_body_util::Full::new(hyper::body::Bytes::new()))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = server.send(req).await;
    assert_eq!(
        r.headers.get("x-request-id").and_then(|v| v.to_str().ok()),
        Some("trace-42")
    );
    assert!(r.headers.contains_key("x-ratelimit-limit"));
    assert!(r.headers.contains_key("x-ratelimit-remaining"));
    server.terminate().await;
}
