//! Request ids, request metrics and the per-request tracing span.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use dashmap::DashMap;
use metrics::SharedString;
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
    let route = label(
        req.extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str()),
    );
    let method = label(method_name(req.method()));
    let span = {
        let request_id = req
            .headers()
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("request", method = %method, route = %route, %request_id)
    };
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    if sdk {
        response = super::sdk::wire::translate(response);
    }
    let status = label(response.status().as_str());
    let elapsed = started.elapsed();
    metrics::counter!("identity_os_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status.clone()).increment(1);
    metrics::histogram!("identity_os_http_request_duration_seconds", "route" => route, "method" => method).record(elapsed);
    span.in_scope(
        || tracing::debug!(%status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "response"),
    );
    response
}

/// The standard methods by name; anything else is one label, so that made-up methods
/// cannot grow the label set.
fn method_name(method: &Method) -> &str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    if KNOWN.contains(method) {
        method.as_str()
    } else {
        "OTHER"
    }
}

/// A label value shared, not copied: the routes, methods and statuses are a small fixed
/// set, so each is allocated once and then only reference-counted per request.
fn label(text: &str) -> SharedString {
    static LABELS: OnceLock<DashMap<Box<str>, Arc<str>>> = OnceLock::new();
    let labels = LABELS.get_or_init(DashMap::new);
    if let Some(shared) = labels.get(text) {
        return SharedString::from(Arc::clone(&shared));
    }
    let shared: Arc<str> = Arc::from(text);
    labels.insert(text.into(), Arc::clone(&shared));
    SharedString::from(shared)
}
