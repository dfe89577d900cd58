//! Request ids, request metrics and the per-request tracing span.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use dashmap::DashMap;
use metrics::{Counter, Histogram};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tracing::Instrument;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A random id for requests that bring none (a client's own `X-Request-Id` is kept).
#[derive(Clone, Copy, Default)]
pub struct RandomRequestId;

thread_local! {
    /// xorshift64* state, seeded once per thread from the OS: request ids only need to
    /// be distinct for tracing, not unguessable, and a system call per request showed up
    /// in profiles.
    static REQUEST_ID_STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let mut bytes = [0u8; 8];
    // No OS randomness: the clock still makes threads and runs distinct.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos as u64).to_le_bytes();
    }
    u64::from_le_bytes(bytes) | 1
}

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = REQUEST_ID_STATE.with(|state| {
            let mut x = state.get();
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        });
        let mut text = String::with_capacity(20);
        text.push_str("req_");
        crate::hex::push(&mut text, &n.to_be_bytes());
        HeaderValue::from_str(&text).ok().map(RequestId::new)
    }
}

pub fn request_id_layers() -> ServiceBuilder<
    Stack<PropagateRequestIdLayer, Stack<SetRequestIdLayer<RandomRequestId>, Identity>>,
> {
    ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, RandomRequestId))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
}

/// Counts and times every request by route template and status, inside a span that
/// carries the request id; answers to `/sdk/` requests get the SDK's wire rules.
pub async fn record(req: Request, next: Next) -> Response {
    let sdk = super::sdk::wire::is_sdk_path(req.uri().path());
    // A clone of the template's `Arc`, not of the text.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method_name(req.method());
    let span = {
        let request_id = req
            .headers()
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("request", %method, %route, %request_id)
    };
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    if sdk {
        response = super::sdk::wire::translate(response);
    }
    let status = response.status();
    let elapsed = started.elapsed();
    RequestMetrics::of(route, method, status.as_u16()).record(elapsed);
    span.in_scope(
        || tracing::debug!(%status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "response"),
    );
    response
}

/// The standard methods by name; anything else is one label, so that made-up methods
/// cannot grow the label set.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

/// The request metrics of one route, method and status, registered with the recorder
/// once: the `counter!`/`histogram!` macros build a key and look it up in the
/// recorder's registry on every call, allocating on the way. Routes, methods and
/// statuses are a small fixed set, so the handles are kept per route.
struct RequestMetrics {
    method: &'static str,
    status: u16,
    requests: Counter,
    duration: Histogram,
}

impl RequestMetrics {
    fn of(route: &str, method: &'static str, status: u16) -> Arc<RequestMetrics> {
        static BY_ROUTE: OnceLock<DashMap<Box<str>, Vec<Arc<RequestMetrics>>>> = OnceLock::new();
        let by_route = BY_ROUTE.get_or_init(DashMap::new);
        let find = |known: &[Arc<RequestMetrics>]| {
            known
                .iter()
                .find(|m| m.status == status && m.method == method)
                .cloned()
        };
        if let Some(found) = by_route.get(route).and_then(|known| find(&known)) {
            return found;
        }
        let mut known = by_route.entry(route.into()).or_default();
        if let Some(found) = find(&known) {
            return found;
        }
        let labels = [("route", route.to_owned()), ("method", method.to_owned())];
        let mut with_status = labels.to_vec();
        with_status.push(("status", status.to_string()));
        let made = Arc::new(RequestMetrics {
            method,
            status,
            requests: metrics::counter!("identity_os_http_requests_total", &with_status),
            duration: metrics::histogram!("identity_os_http_request_duration_seconds", &labels),
        });
        known.push(Arc::clone(&made));
        made
    }

    fn record(&self, elapsed: std::time::Duration) {
        self.requests.increment(1);
        self.duration.record(elapsed);
    }
}
