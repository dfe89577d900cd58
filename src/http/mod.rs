//! The HTTP API (`../shared/spec/API.md`) on axum.
//!
//! A request passes: request id → metrics → (for `/v1`) authentication → rate limit →
//! handler. Handlers parse input into domain types at the edge (`extract.rs`), call the
//! store or the instance runtime, and answer `{"data": …}` or the error envelope.

pub mod auth;
pub mod body;
pub mod dto;
pub mod error;
pub mod extract;
mod fallback;
mod observe;
pub mod quota;
pub mod rate_limit;
mod routes;
pub mod shutdown;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Config;
use crate::store::Store;

use auth::Authenticator;
use extract::BodyLimit;
use quota::Quotas;
use rate_limit::RateLimits;
use shutdown::Shutdown;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub rate_limits: Arc<RateLimits>,
    pub quotas: Arc<Quotas>,
    pub metrics: PrometheusHandle,
    pub shutdown: Shutdown,
    pub instances: routes::calls::Instances,
}

/// The whole application: `/v1` behind auth and rate limits, operations routes beside.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.server.max_body_bytes;
    use routes::{engine_ops, instances, lifecycle};
    let v1 = Router::new()
        .route("/instances", post(instances::create).get(instances::list))
        .route(
            "/instances/{id}",
            get(instances::get)
                .patch(instances::patch)
                .delete(instances::delete),
        )
        .route("/instances/{id}/restore", post(instances::restore))
        .route("/instances/{id}/stop", post(lifecycle::stop))
        .route("/instances/{id}/start", post(lifecycle::start))
        .route("/instances/{id}/restart", post(lifecycle::restart))
        .route("/instances/{id}/update", post(lifecycle::update))
        .route("/instances/{id}/process", post(engine_ops::process))
        .route("/instances/{id}/process/batch", post(engine_ops::batch))
        .route("/instances/{id}/snapshot", get(engine_ops::snapshot))
        .route("/instances/{id}/contract", get(engine_ops::contract))
        .route("/instances/{id}/reset", post(engine_ops::reset))
        .route("/instances/{id}/history", get(engine_ops::history))
        .route("/instances/{id}/drift", get(engine_ops::drift))
        .route("/personas", get(routes::personas::list))
        .route("/personas/{id}", get(routes::personas::get))
        .route("/test/questions", get(routes::questionnaire::questions))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit_rate,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_account,
        ));
    Router::new()
        .nest("/v1", v1)
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .route("/metrics", get(routes::ops::metrics))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::Extension(BodyLimit(max_body)))
        .layer(axum::middleware::from_fn(observe::record))
        .layer(observe::request_id_layers())
        .with_state(state)
}
