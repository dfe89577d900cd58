//! The HTTP API (`../shared/spec/API.md`) on axum.
//!
//! A request passes: request id → metrics (and, for `/sdk`, the SDK's wire rules on the
//! way out) → (for `/v1` and `/sdk/v1`) authentication and rate limit → handler. Handlers parse input into
//! domain types at the edge (`extract.rs`), call the store or the instance runtime, and
//! answer `{"data": …}` or the error envelope; `sdk/` answers the same operations in the
//! Python SDK's shapes.

pub mod auth;
pub mod body;
mod cluster_gate;
pub mod conn;
pub mod cursor;
pub mod dto;
pub mod error;
pub mod extract;
mod fallback;
mod forward;
pub mod json;
mod observe;
pub mod openapi;
pub mod quota;
pub mod rate_limit;
pub(crate) mod routes;
pub mod sdk;
pub mod shutdown;

use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tower::ServiceBuilder;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::{self as swagger_ui, SwaggerUi};

use crate::config::Config;
use crate::store::Store;

use auth::Authenticator;
use extract::BodyRules;
use quota::Quotas;
use rate_limit::RateLimits;
use shutdown::Shutdown;

/// Everything a handler may need. axum clones the state for every middleware and
/// handler of every request, so it is one `Arc`: one reference count per clone, not one
/// per service (measured: dropping the many-`Arc` state was 3 % of the server's CPU).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    /// The configuration in force; a reload replaces it whole (`reload.rs`).
    pub config: ArcSwap<Config>,
    /// `/openapi.json` and `/redoc`, rebuilt by a reload.
    pub openapi: openapi::Published,
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub rate_limits: Arc<RateLimits>,
    pub quotas: Arc<Quotas>,
    pub metrics: PrometheusHandle,
    pub shutdown: Shutdown,
    pub instances: routes::calls::Instances,
    /// Cluster mode's membership; `None` on a single node.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl Services {
    /// Where instance `id`'s actor is on this node.
    pub fn residency(&self, id: &crate::ids::InstanceId) -> dto::instance::Residency {
        use dto::instance::Residency;
        if self.instances.is_failed(id) {
            Residency::Failed
        } else if self.instances.is_resident(id) {
            Residency::Resident
        } else {
            Residency::Stored
        }
    }

    /// The fence a write concerning `id` is made under: none on a single node; in
    /// cluster mode this node's lease of the id's shard, or 503 when it serves it not.
    pub fn fence_for(
        &self,
        id: &crate::ids::InstanceId,
    ) -> Result<Option<crate::store::Fence>, error::ApiError> {
        match &self.cluster {
            None => Ok(None),
            Some(cluster) => cluster.fence(id).map(Some).map_err(|m| {
                error::ApiError::unavailable(format!(
                    "this node does not serve the instance's shard {}; retry shortly",
                    m.shard
                ))
            }),
        }
    }
}

/// The whole application: `/v1` and `/sdk/v1` behind auth and rate limits, operations
/// routes beside, the OpenAPI document, and its pages when `docs_enabled`.
pub fn router(
    state: AppState,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ Sync
+ 'static {
    let config = state.config.load_full();
    let server = &config.server;
    let max_body = server.max_body_bytes;
    let body_rules = BodyRules {
        max_bytes: max_body,
        timeout: std::time::Duration::from_millis(server.body_timeout_ms),
    };
    let sdk = sdk::with_account_headers(sdk::routes(), &state);
    let (mut app, document) =
        documented(guarded(v1_routes(), &state), guarded(sdk, &state)).split_for_parts();
    state.openapi.publish(document, &config);
    if server.docs_enabled {
        app = app
            .merge(SwaggerUi::new("/docs").config(swagger_ui::Config::from("/openapi.json")))
            .route("/redoc", get(reference_page));
    }
    let mut app = app
        .route("/openapi.json", get(openapi_document))
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed);
    if let Some(cluster) = &state.cluster {
        let gate = cluster_gate::Gate {
            cluster: cluster.clone(),
            // An owner that has not answered within a lease is paused or gone: its
            // shard is about to move, and the client had better retry.
            forwarder: forward::Forwarder::new(std::time::Duration::from_millis(
                config.cluster.lease_ms,
            )),
            body: body_rules,
        };
        app = app.layer(axum::middleware::from_fn_with_state(
            Arc::new(gate),
            cluster_gate::gate,
        ));
    }
    // Inside the router: it needs the matched route's template.
    let app = app.layer(observe::RecordLayer).with_state(state);
    // Around the router, once: `Router::layer` wraps every route, which costs a boxed
    // service clone per layer per request; these need nothing from routing.
    ServiceBuilder::new()
        .layer(observe::request_id_layers())
        .layer(axum::Extension(body_rules))
        .layer(DefaultBodyLimit::max(max_body))
        .service(app)
}

async fn openapi_document(State(state): State<AppState>) -> Response {
    match state.openapi.current() {
        Some(r) => ([(header::CONTENT_TYPE, "application/json")], r.json.clone()).into_response(),
        None => error::ApiError::unavailable("starting").into_response(),
    }
}

async fn reference_page(State(state): State<AppState>) -> Response {
    match state.openapi.current() {
        Some(r) => Html(r.page.clone()).into_response(),
        None => error::ApiError::unavailable("starting").into_response(),
    }
}

/// The OpenAPI document the server serves at `/openapi.json`, without a server.
pub fn document(config: &Config) -> serde_json::Value {
    let (_, document) = documented(v1_routes(), sdk::routes()).split_for_parts();
    openapi::served(&document, config)
}

/// Every route, each with its path item: the two dialects and the operations routes.
fn documented(
    v1: OpenApiRouter<AppState>,
    sdk: OpenApiRouter<AppState>,
) -> OpenApiRouter<AppState> {
    use routes::ops;
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        // Merged, not nested: the handlers' paths carry their prefixes, because
        // `Router::nest` wraps every route in two more services (prefix stripping, which
        // parses a new URI, and the nested path), a boxed service clone and a boxed
        // future per request each.
        .merge(v1)
        .merge(sdk)
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::cluster_status))
}

/// The routes of API.md under `/v1`.
fn v1_routes() -> OpenApiRouter<AppState> {
    use routes::{engine_ops, instances, lifecycle, personas, questionnaire};
    OpenApiRouter::new()
        .routes(routes!(instances::create, instances::list))
        .routes(routes!(instances::get, instances::patch, instances::delete))
        .routes(routes!(instances::restore))
        .routes(routes!(lifecycle::stop))
        .routes(routes!(lifecycle::start))
        .routes(routes!(lifecycle::restart))
        .routes(routes!(lifecycle::update))
        .routes(routes!(engine_ops::process))
        .routes(routes!(engine_ops::batch))
        .routes(routes!(engine_ops::snapshot))
        .routes(routes!(engine_ops::contract))
        .routes(routes!(engine_ops::reset))
        .routes(routes!(engine_ops::history))
        .routes(routes!(engine_ops::drift))
        .routes(routes!(personas::list))
        .routes(routes!(personas::get))
        .routes(routes!(questionnaire::questions))
        .routes(routes!(questionnaire::submit))
}

/// `routes` behind authentication and the account's rate limit (both dialects).
fn guarded(routes: OpenApiRouter<AppState>, state: &AppState) -> OpenApiRouter<AppState> {
    routes.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::admit,
    ))
}
