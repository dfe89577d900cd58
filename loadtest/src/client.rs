//! One HTTP/1.1 client with a connection pool, shared by every worker.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client as Pool;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// What a scenario asks to send.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    /// The request kind a scenario sent it as (its answers are counted by kind too).
    pub kind: Option<crate::kinds::Kind>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Call {
        Call {
            method: Method::GET,
            path: path.into(),
            body: None,
            kind: None,
        }
    }

    pub fn post(path: impl Into<String>, body: impl Into<String>) -> Call {
        Call {
            method: Method::POST,
            path: path.into(),
            body: Some(body.into()),
            kind: None,
        }
    }
}

impl Call {
    /// The call, counted as `kind`.
    pub fn of(mut self, kind: crate::kinds::Kind) -> Call {
        self.kind = Some(kind);
        self
    }
}

/// A response as the checks see it.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("body is not JSON: {e}"))
    }
}

#[derive(Clone)]
pub struct Client {
    pool: Pool<HttpConnector, Full<Bytes>>,
    base: String,
    key: Option<String>,
}

impl Client {
    /// `base` like `http://127.0.0.1:8000`; only loopback targets (127.0.0.0/8,
    /// `localhost`) are accepted.
    pub fn new(base: &str, key: Option<String>, connections: usize) -> Result<Client, String> {
        let host = base
            .strip_prefix("http://")
            .ok_or("--target must be http://…")?;
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        let loopback = name == "localhost"
            || name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(format!("--target {base}: load is sent to loopback only"));
        }
        let pool = Pool::builder(TokioExecutor::new())
            .pool_max_idle_per_host(connections)
            .build_http();
        Ok(Client {
            pool,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    pub async fn send(&self, call: &Call) -> Result<Answer, String> {
        let mut req = Request::builder()
            .method(call.method.clone())
            .uri(format!("{}{}", self.base, call.path));
        if let Some(key) = &self.key {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        if call.body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let body = Full::new(Bytes::from(call.body.clone().unwrap_or_default()));
        let req = req.body(body).map_err(|e| e.to_string())?;
        let response = self.pool.request(req).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}
