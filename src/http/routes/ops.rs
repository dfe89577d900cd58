//! Operations routes (no auth, no `/v1`): liveness, readiness, metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::cluster::ClusterStatus;
use crate::http::AppState;
use crate::http::error::{ApiError, Envelope};
use crate::http::json::Json;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "The process is up", security(()),
    responses((status = 200, description = "`ok`", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Storage answers and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    summary = "Storage reachable and not shutting down",
    responses(
        (status = 200, description = "`ready`", body = String),
        (status = 503, description = "Not ready", body = Envelope)
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.shutdown.is_unready() {
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

/// Cluster mode: the live nodes and their shards, as the lease table tells it.
#[utoipa::path(get, path = "/cluster/status", tag = "operations", security(()),
    summary = "The cluster's nodes and shards (cluster mode)",
    responses(
        (status = 200, description = "Live nodes, their shards and leases", body = ClusterStatus),
        (status = 404, description = "Not in cluster mode", body = Envelope),
        (status = 503, description = "Storage unavailable", body = Envelope)
    ))]
pub async fn cluster_status(State(state): State<AppState>) -> Response {
    let (Some(_), crate::store::Backend::Postgres(pool)) = (&state.cluster, state.store.backend())
    else {
        return ApiError::not_found("cluster mode").into_response();
    };
    match crate::cluster::status(pool, state.config.load().cluster.validity_ms).await {
        Ok(status) => Json(status).into_response(),
        Err(e) => ApiError::from(crate::store::StoreError::from(e)).into_response(),
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics", security(()),
    responses((status = 200, description = "Prometheus text format", body = String,
        content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
