//! The admin listener: operators' routes on an address of their own (`admin.bind`),
//! never on the data API's. Off unless configured; off the loopback interface it needs
//! `admin.token` (checked at start), and with a token every admin request must carry it.
//!
//! Routes: `GET /admin/` (the status page, `page.rs`), `GET /admin/actors` (supervision
//! at a glance), `POST
//! /admin/instances/{id}/passivate|restart`, `GET /admin/config` (the effective settings
//! and their origins), `POST /admin/reload` (as SIGHUP). Errors use the API's envelope.
//! docs/operations.md is the operator's guide.

mod actors;
mod chart;
mod config;
mod instances;
mod page;
mod recorder;
mod sampler;
mod window;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::http::AppState;
use crate::http::conn::ConnLimits;
use crate::http::error::ApiError;
use crate::http::shutdown::Shutdown;
use crate::reload::Reloader;

pub use recorder::{Figures, Recorder};
pub use sampler::Sampler;

/// What the admin routes work on. Cheap to clone.
#[derive(Clone)]
pub struct Admin(Arc<Parts>);

pub struct Parts {
    pub app: AppState,
    pub reloader: Arc<Reloader>,
    pub sampler: Arc<Sampler>,
}

impl std::ops::Deref for Admin {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl Admin {
    pub fn new(parts: Parts) -> Admin {
        Admin(Arc::new(parts))
    }
}

/// Binds the admin listener (a start-up failure names `admin.bind`).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("admin.bind ({addr}): cannot listen: {e}"))
}

/// Serves the admin routes on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, admin: Admin, token: String, shutdown: Shutdown) {
    let limits = ConnLimits {
        max_connections: 64,
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_head_bytes: 16 * 1024,
        max_uri_bytes: 4096,
    };
    crate::http::conn::serve(listener, router(admin, token), limits, shutdown).await;
}

fn router(admin: Admin, token: String) -> Router {
    let routes = Router::new()
        .route("/admin/", get(page::show))
        .route("/admin", get(page::show))
        .route("/admin/actors", get(actors::show))
        .route(
            "/admin/instances/{id}/passivate",
            post(instances::passivate),
        )
        .route("/admin/instances/{id}/restart", post(instances::restart))
        .route("/admin/config", get(config::show))
        .route("/admin/reload", post(config::reload))
        .fallback(not_found)
        .with_state(admin);
    if token.is_empty() {
        routes
    } else {
        routes.layer(axum::middleware::from_fn_with_state(
            Arc::new(token),
            require_token,
        ))
    }
}

async fn not_found(request: Request) -> ApiError {
    ApiError::route_not_found(request.uri().path())
}

/// Every admin request carries `Authorization: Bearer <admin.token>`, compared in
/// constant time.
async fn require_token(State(token): State<Arc<String>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match presented {
        Some(t) if constant_time_eq(t.as_bytes(), token.as_bytes()) => next.run(request).await,
        _ => ApiError::admin_unauthorized().into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
