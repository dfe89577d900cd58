//! Operations routes (no auth, no `/v1`): liveness, readiness, metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::ApiError;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Storage answers and the server is not shutting down.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.shutdown.is_draining() {
        return ApiError::unavailable("shutting down").into_response();
    }
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::unavailable("storage is unavailable").into_response()
        }
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
