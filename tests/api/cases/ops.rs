use hyper::{Method, StatusCode};

use crate::server::{Db, TestServer};

pub async fn operations_routes_answer(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let health = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    // Requests first, so the metrics have something to say: counted by route template,
    // method and status.
    for _ in 0..2 {
        assert_eq!(server.get("/v1/personas").await.status, StatusCode::OK);
    }
    let missing = server.get("/v1/personas/no-such-persona").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let metrics = server.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    let count = |route: &str, status: &str| {
        requests_counted(
            &text,
            &[("route", route), ("method", "GET"), ("status", status)],
        )
    };
    assert_eq!(count("/v1/personas", "200"), Some(2), "{text}");
    assert_eq!(count("/v1/personas/{id}", "404"), Some(1), "{text}");
    assert!(
        text.contains("identity_os_http_request_duration_seconds"),
        "{text}"
    );
    server.terminate().await;
}

/// The value of `identity_os_http_requests_total` with exactly these labels.
fn requests_counted(text: &str, labels: &[(&str, &str)]) -> Option<u64> {
    text.lines()
        .filter_map(|line| line.strip_prefix("identity_os_http_requests_total{"))
        .filter_map(|rest| rest.split_once("} "))
        .find(|(set, _)| {
            set.split(',').count() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| set.split(',').any(|kv| kv == format!("{k}=\"{v}\"")))
        })
        .and_then(|(_, value)| value.trim().parse().ok())
}

pub async fn shutdown_on_sigterm_is_graceful(db: Db) {
    let server = TestServer::start(db, &[]).await;
    assert_eq!(server.get("/v1/personas").await.status, StatusCode::OK);
    assert_eq!(server.terminate().await, Some(0));
}

/// The shutdown deadline bounds the drain after a signal; it is not a lifetime.
pub async fn the_server_keeps_serving_past_its_shutdown_deadline(db: Db) {
    let server =
        TestServer::start(db, &[("IDENTITY_OS_SERVER__SHUTDOWN_DEADLINE_MS", "300")]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = server.get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = server
        .post("/v1/instances", r#"{"name":"still-here"}"#)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    server.terminate().await;
}
