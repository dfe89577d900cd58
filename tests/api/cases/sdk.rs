//! The official Python SDK (`identity-os-sdk` 0.9.0 from PyPI, unmodified) calls every
//! one of its methods, sync and async, against the real server's `/sdk` dialect:
//! `tests/sdk/sdk_client.py` asserts on the models and exceptions it gets back.
//!
//! The interpreter is `IDOS_SDK_PYTHON`, or the virtual environment `.ci/run` makes at
//! `~/.cache/identity-os-sdk-venv`. Without one the test fails: it is never skipped.

use std::path::PathBuf;
use std::time::Duration;

use crate::server::{Db, KEY, TestServer};

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
    let python = python();
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
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_client.py");
    let run = tokio::process::Command::new(&python)
        .arg(&script)
        .env("IDOS_SDK_BASE_URL", format!("{}/sdk", server.base))
        .env("IDOS_V1_BASE_URL", &server.base)
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
    server.terminate().await;
}
