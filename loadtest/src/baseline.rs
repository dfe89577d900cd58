//! The baseline target: a bare axum server that parses each request's JSON body, as ours
//! does, and answers with a fixed JSON body: the answer ours gave to the same request.
//! Every report quotes our throughput as a ratio to it, measured in the same run on the
//! same machine. It runs as a process of its own (`loadtest baseline`, started by
//! `server::launch_baseline`), and the client parses its answers as it parses ours, so
//! the load generator spends the same on both.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::client::{Answer, Call};
use crate::workload::Workload;

async fn answer(State(reply): State<Bytes>, body: Bytes) -> Response {
    if !body.is_empty() && serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return StatusCode::BAD_REQUEST.into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        reply,
    )
        .into_response()
}

/// Serves the baseline on `bind` (e.g. `127.0.0.1:0`); returns the `HOST:PORT` it
/// listens on.
pub async fn start(bind: &str, reply: Bytes) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("baseline: bind {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = Router::new().fallback(answer).with_state(reply);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr.to_string())
}

/// A scenario's requests, sent to the baseline: the answers only need to be 200.
pub struct Against<W>(pub Arc<W>);

impl<W: Workload> Workload for Against<W> {
    fn call(&self, n: u64) -> Call {
        self.0.call(n)
    }

    fn check(&self, _call: &Call, answer: &Answer) -> Result<&'static str, String> {
        if answer.status != StatusCode::OK {
            return Err(format!("baseline status {}", answer.status));
        }
        answer.json()?;
        Ok("baseline")
    }
}
