//! The baseline target: a bare axum server that parses each request's JSON body, as ours
//! does, and answers with a fixed JSON body of the size ours answered with. Every report
//! quotes our throughput as a ratio to it, measured in the same run on the same machine.

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

/// Serves the baseline on `bind` (e.g. `127.0.0.1:0`); returns the address it listens on.
pub async fn start(bind: &str, reply: Bytes) -> Result<String, String> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("baseline: bind {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let app = Router::new().fallback(answer).with_state(reply);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}"))
}

/// A scenario's requests, sent to the baseline: the answers only need to be 200.
pub struct Against<W>(pub Arc<W>);

impl<W: Workload> Workload for Against<W> {
    fn call(&self, n: u64) -> Call {
        self.0.call(n)
    }

    fn check(&self, _call: &Call, answer: &Answer) -> Result<&'static str, String> {
        if answer.status == StatusCode::OK {
            Ok("baseline")
        } else {
            Err(format!("baseline status {}", answer.status))
        }
    }
}
