//! The official Python SDK (`identity-os-sdk` 0.9.0 from PyPI, unmodified) calls every
//! one of its methods, sync and async, against the real server's `/sdk` dialect:
//! `tests/sdk/sdk_client.py` asserts on the models and exceptions it gets back.
//!
//! The interpreter is `IDOS_SDK_PYTHON`, or the virtual environment `.ci/run` makes at
//! `~/.cache/identity-os-sdk-venv`. Without one the test fails: it is never skipped.

use std::path::PathBuf;
use std::time::Duration;

use hyper::{Method, StatusCode};

use crate::server::{Db, KEY, Reply, TestServer};

fn python() -> PathBuf {
    let path = std::env::var_os("IDOS_SDK_PYTHON").map_or_else(
        || {
            let home = std::env::var_os("HOME").unwrap_or_default();
            PathBuf::from(home).join(".cache/identity-os-sdk-venv/bin/python")
        },
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "no Python with identity-os-sdk at {}: run .ci/run (it creates the virtual \
         environment) or set IDOS_SDK_PYTHON",
        path.display()
    );
    path
}

pub async fn the_python_sdk_runs_unmodified(db: Db) {
    let server = TestServer::start(
        db,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_PLANS__INDIE__MONTHLY_CYCLES", "2"),
        ],
    )
    .await;
    let key = |plan: &'static str| {
        let server = &server;
        async move {
            let (ok, out, err) = server.command(&["keys", "create", "--plan", plan]).await;
            assert!(ok, "keys create: {err}");
            out.trim().to_owned()
        }
    };
    let (free, quota) = (key("free").await, key("indie").await);
    run_sdk_client(&server.base, &free, &quota).await;
    server.terminate().await;
}

/// Runs `tests/sdk/sdk_client.py` (the official SDK, unmodified) against the server at
/// `base` with the bootstrap key, a `free`-plan key (rate limit) and an `indie`-plan key
/// whose quota is two cycles; panics with its output unless it passes.
pub async fn run_sdk_client(base: &str, free: &str, quota: &str) {
    let python = python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_client.py");
    let run = tokio::process::Command::new(&python)
        .arg(&script)
        .env("IDOS_SDK_BASE_URL", format!("{base}/sdk"))
        .env("IDOS_V1_BASE_URL", base)
        .env("IDOS_KEY", KEY)
        .env("IDOS_FREE_KEY", free)
        .env("IDOS_QUOTA_KEY", quota)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("the SDK client ran for over 120 s"))
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains(": OK"),
        "the SDK client failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

/// Failures the SDK itself cannot provoke still reach an `/sdk` client in its shape:
/// `{error: <message>, code}`, 422 for invalid input, and `Connection: close` always.
pub async fn sdk_failures_use_the_sdk_error_shape(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_SERVER__MAX_BODY_BYTES", "1024")]).await;
    let sdk_error = |r: &Reply, status: StatusCode, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.body["code"], code, "{}", r.body);
        assert!(
            r.body["error"].as_str().is_some_and(|m| m.len() > 10),
            "{}",
            r.body
        );
        assert!(r.body.get("message").is_none(), "{}", r.body);
        assert_eq!(
            r.headers.get("connection").and_then(|v| v.to_str().ok()),
            Some("close")
        );
    };
    let r = server.get("/sdk/v1/no/such/route").await;
    sdk_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = server
        .call(Method::DELETE, "/sdk/v1/personas", Some(KEY), None)
        .await;
    sdk_error(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let r = server
        .call(Method::GET, "/sdk/v1/personas", None, None)
        .await;
    sdk_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(2000));
    let r = server.post("/sdk/v1/instances", &big).await;
    sdk_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let r = server.post("/sdk/v1/instances", "{").await;
    sdk_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    let r = server
        .post("/sdk/v1/instances", r#"{"name":"a","colour":1}"#)
        .await;
    sdk_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(r.body["details"]["field"], "colour");
    let r = server.get("/sdk/v1/instances?limit=101").await;
    sdk_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(r.body["details"]["field"], "limit");
    // A request that fails leaves nothing behind.
    let r = server.get("/sdk/v1/instances").await;
    assert_eq!(
        (r.status, r.body["total"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    // `/v1` keeps its own envelope and its connections.
    let r = server.get("/v1/no/such/route").await;
    assert_eq!(r.body["error"], "not_found");
    assert!(r.headers.get("connection").is_none());
    server.terminate().await;
}
