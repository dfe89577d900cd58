//! Request ids, request metrics and the per-request tracing span.

use std::cell::Cell;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use dashmap::DashMap;
use metrics::{Counter, Histogram};
use pin_project_lite::pin_project;
use tower::layer::util::{Identity, Stack};
use tower::{Layer, Service, ServiceBuilder};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tracing::Instrument;
use tracing::instrument::Instrumented;

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
///
/// A layer of its own rather than `middleware::from_fn`: that clones and boxes the inner
/// service and boxes an async block of over 1 KiB for every request, where this calls
/// the route in place and wraps its future unboxed.
#[derive(Clone, Copy, Default)]
pub struct RecordLayer;

impl<S> Layer<S> for RecordLayer {
    type Service = Record<S>;

    fn layer(&self, inner: S) -> Record<S> {
        Record { inner }
    }
}

#[derive(Clone)]
pub struct Record<S> {
    inner: S,
}

impl<S> Service<Request> for Record<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Recorded<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Recorded<S::Future> {
        let sdk = super::sdk::wire::is_sdk_path(req.uri().path());
        // A clone of the template's `Arc`, not of the text.
        let matched = req.extensions().get::<MatchedPath>().cloned();
        let method = method_name(req.method());
        let span = {
            let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
            let request_id = req
                .headers()
                .get(&X_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", %method, %route, %request_id)
        };
        Recorded {
            inner: self.inner.call(req).instrument(span),
            started: Instant::now(),
            matched,
            method,
            sdk,
        }
    }
}

const UNMATCHED: &str = "unmatched";

pin_project! {
    /// A request's answer on its way, and what [`Record`] notes when it comes.
    pub struct Recorded<F> {
        #[pin]
        inner: Instrumented<F>,
        started: Instant,
        matched: Option<MatchedPath>,
        method: &'static str,
        sdk: bool,
    }
}

impl<F> Future for Recorded<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Ok(mut response) = ready!(this.inner.as_mut().poll(cx));
        if *this.sdk {
            response = super::sdk::wire::translate(response);
        }
        let status = response.status();
        let elapsed = this.started.elapsed();
        let route = this.matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        RequestMetrics::record(route, this.method, status.as_u16(), elapsed);
        this.inner.span().in_scope(
            || tracing::debug!(%status, elapsed_ms = elapsed.as_secs_f64() * 1e3, "response"),
        );
        Poll::Ready(Ok(response))
    }
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
    /// Counts one request and its time under its route, method and status.
    fn record(route: &str, method: &'static str, status: u16, elapsed: std::time::Duration) {
        static BY_ROUTE: OnceLock<DashMap<Box<str>, Vec<RequestMetrics>>> = OnceLock::new();
        let by_route = BY_ROUTE.get_or_init(DashMap::new);
        let noted = |known: &[RequestMetrics]| {
            let found = known
                .iter()
                .find(|m| m.status == status && m.method == method);
            if let Some(m) = found {
                m.requests.increment(1);
                m.duration.record(elapsed);
            }
            found.is_some()
        };
        if by_route.get(route).is_some_and(|known| noted(&known)) {
            return;
        }
        let mut known = by_route.entry(route.into()).or_default();
        if noted(&known) {
            return;
        }
        let labels = [("route", route.to_owned()), ("method", method.to_owned())];
        let mut with_status = labels.to_vec();
        with_status.push(("status", status.to_string()));
        known.push(RequestMetrics {
            method,
            status,
            requests: metrics::counter!("identity_os_http_requests_total", &with_status),
            duration: metrics::histogram!("identity_os_http_request_duration_seconds", &labels),
        });
        noted(&known);
    }
}
