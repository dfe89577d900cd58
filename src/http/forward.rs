//! Forwarding a request to the node that serves its instance (cluster mode,
//! `docs/cluster.md`): one hop over a keep-alive connection pool, marked so that the
//! receiving node never forwards it again.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::response::Response;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Marks a forwarded request: a node that does not serve its shard answers 421 instead
/// of forwarding it on.
pub const HOP: HeaderName = HeaderName::from_static("x-identity-os-hop");

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1): neither
/// passed on to the owner nor back from it (a leaving owner's `Connection: close` is
/// about the pool's connection, not the client's).
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    /// The owner could not be reached: nothing was sent, trying another owner is safe.
    #[error("cannot connect to {0}")]
    Unreachable(String),
    /// Sent, but no answer came: the outcome is unknown.
    #[error("no answer from {0}: {1}")]
    NoAnswer(String, String),
}

/// The pooled client to the other nodes.
pub struct Forwarder {
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl Forwarder {
    /// A pool whose requests get `timeout` for their whole answer's head.
    pub fn new(timeout: Duration) -> Forwarder {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(1)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Forwarder { client, timeout }
    }

    /// Sends the request (`parts` and its whole `body`) to the node at `addr`, marked
    /// as forwarded, and returns its answer as it came.
    pub async fn send(
        &self,
        addr: &str,
        parts: &Parts,
        body: Bytes,
    ) -> Result<Response, ForwardError> {
        let path = parts
            .uri
            .path_and_query()
            .map_or(parts.uri.path(), |p| p.as_str());
        let mut request = Request::builder()
            .method(parts.method.clone())
            .uri(format!("http://{addr}{path}"))
            .body(Full::new(body))
            .map_err(|e| ForwardError::Unreachable(format!("{addr}: {e}")))?;
        let headers = request.headers_mut();
        for (name, value) in &parts.headers {
            // The new body sets its own length.
            if name != header::HOST && name != header::CONTENT_LENGTH && !HOP_BY_HOP.contains(name)
            {
                headers.append(name, value.clone());
            }
        }
        headers.insert(HOP, HeaderValue::from_static("1"));
        let answer = tokio::time::timeout(self.timeout, self.client.request(request)).await;
        match answer {
            Ok(Ok(mut response)) => {
                let headers = response.headers_mut();
                for name in &HOP_BY_HOP {
                    headers.remove(name);
                }
                Ok(response.map(Body::new))
            }
            Ok(Err(e)) if e.is_connect() => Err(ForwardError::Unreachable(addr.to_owned())),
            Ok(Err(e)) => Err(ForwardError::NoAnswer(addr.to_owned(), e.to_string())),
            Err(_) => Err(ForwardError::NoAnswer(addr.to_owned(), "timed out".into())),
        }
    }
}
