//! The dialect of the official Python SDK (`identity-os-sdk` 0.9.0), under `/sdk/v1`:
//! `IdentityOS(api_key=KEY, base_url="http://host:8000/sdk")` works unmodified.
//!
//! Only translation lives here (docs/sdk-dialect.md): the handlers call the operations
//! `/v1` uses, behind the same authentication, rate limits and quotas, and answer in
//! the SDK's shapes (`state.rs`, `records.rs`, `catalog.rs`); `wire.rs` gives every
//! response under `/sdk/` the SDK's error body and `Connection: close`.

pub mod catalog;
pub mod records;
pub mod routes;
pub mod state;
pub mod wire;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// The dialect's routes (under `/sdk/v1`), to be put behind authentication.
pub fn routes() -> OpenApiRouter<AppState> {
    use routes::{catalog, engine, instances};
    OpenApiRouter::new()
        .routes(routes!(instances::create, instances::list))
        .routes(routes!(
            instances::get,
            instances::update,
            instances::delete
        ))
        .routes(routes!(engine::process))
        .routes(routes!(engine::batch))
        .routes(routes!(engine::snapshot))
        .routes(routes!(engine::contract))
        .routes(routes!(engine::reset))
        .routes(routes!(engine::history))
        .routes(routes!(engine::drift))
        .routes(routes!(catalog::list_personas))
        .routes(routes!(catalog::get_persona))
        .routes(routes!(catalog::questions))
        .routes(routes!(catalog::submit))
}

/// `routes` answering with the SDK's monthly-quota headers.
pub fn with_account_headers(
    routes: OpenApiRouter<AppState>,
    state: &AppState,
) -> OpenApiRouter<AppState> {
    routes.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        wire::monthly_headers,
    ))
}
