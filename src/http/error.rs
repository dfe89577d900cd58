//! The error envelope of API.md §1, for every failure the API can answer.
//!
//! `{"error": code, "message": text, "details": {"field", "reason", …}}`, plus
//! `retry_after` and a `Retry-After` header when waiting helps. Handlers return
//! `Result<_, ApiError>`; framework rejections (bad JSON, wrong method, unknown route,
//! body too large) are mapped into the same shape in `extract.rs` and `fallback.rs`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::instance::InstanceError;
use crate::store::StoreError;

/// The envelope's `error`: what kind of failure, for programs to branch on (API.md §1,
/// and docs/http.md for 408, 414 and 431).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    Conflict,
    PayloadTooLarge,
    UriTooLong,
    UnsupportedMediaType,
    HeadersTooLarge,
    RateLimitExceeded,
    QuotaExceeded,
    InternalError,
    Unavailable,
    Misdirected,
}

/// The refusal of a request that had no effect because its instance's shard moved to
/// another node (cluster mode): the cluster gate sends such a request on to the new
/// owner instead of answering it.
pub const MOVED: &str = "the instance's shard moved to another node; nothing was written: retry";

/// A failed request, as the client will see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Boxed: most errors carry none, and a small error keeps `Result`s small.
    pub details: Option<Box<Details>>,
    pub retry_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Details {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<u32>>,
}

/// The error envelope of every failure.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Envelope<'a> {
    error: ErrorCode,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Details>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// 400 naming the field at fault and why.
    pub fn invalid(field: impl Into<String>, reason: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message).at(field, reason)
    }

    /// This error with the part of the request at fault named.
    pub fn at(mut self, field: impl Into<String>, reason: &str) -> ApiError {
        self.details = Some(Box::new(Details {
            field: Some(field.into()),
            reason: Some(reason.to_owned()),
            missing: None,
        }));
        self
    }

    /// 401, the same whatever was wrong with the key: no hint of which.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "missing, invalid or revoked API key: send Authorization: Bearer idos_sk_…",
        )
        .at("authorization", "missing_invalid_or_revoked")
    }

    /// 401 from the admin listener.
    pub fn admin_unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "missing or wrong admin token: send Authorization: Bearer <admin.token>",
        )
        .at("authorization", "missing_or_wrong_admin_token")
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn route_not_found(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("no route {path}"),
        )
        .at("path", "unknown_route")
    }

    pub fn method_not_allowed(method: &str, path: &str) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed on {path}"),
        )
        .at("method", "not_allowed")
    }

    /// 409; `reason` is machine-readable (`instance_stopped`, `cycle_cap_reached`, …).
    pub fn conflict(reason: &str, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message);
        e.details = Some(Box::new(Details {
            reason: Some(reason.to_owned()),
            ..Details::default()
        }));
        e
    }

    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("request body is larger than {limit} bytes"),
        )
        .at("body", "too_large")
    }

    /// 408: the body did not arrive within `server.body_timeout_ms`.
    pub fn body_timeout(limit_ms: u64) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            format!("the request body did not arrive within {limit_ms} ms"),
        )
        .at("body", "timeout")
    }

    /// 400: a request hyper could not parse as HTTP/1.1 (`conn/io.rs`).
    pub fn unparsable_request() -> ApiError {
        ApiError::invalid(
            "request",
            "malformed_http",
            "the request is not well-formed HTTP/1.1",
        )
    }

    /// 414: a request target over `server.max_uri_bytes` or hyper's own limit.
    pub fn uri_too_long() -> ApiError {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            ErrorCode::UriTooLong,
            "the request URI is too long",
        )
        .at("uri", "too_large")
    }

    /// 431: a request head over `server.max_head_bytes` or over 100 headers (hyper's).
    pub fn headers_too_large() -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::HeadersTooLarge,
            "the request headers are too large",
        )
        .at("headers", "too_large")
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        )
        .at("content-type", "not_json")
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimitExceeded,
            "request rate of this account's plan exceeded",
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn quota_exceeded(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::QuotaExceeded,
            "monthly cycle quota of this account's plan used up",
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// 503: storage down, an instance failing, overload, or shutting down.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            message,
        );
        e.retry_after = Some(1);
        e
    }

    /// 421 (cluster mode): a forwarded request reached a node that does not serve its
    /// instance's shard; the forwarding node asks the lease table and tries once more.
    pub fn misdirected(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            ErrorCode::Misdirected,
            message,
        )
    }

    /// 500: a bug. The message never carries internals; they go to the log.
    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "internal error; it has been logged",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found("instance"),
            StoreError::Conflict(reason) => ApiError::conflict(reason, conflict_message(reason)),
            StoreError::Fenced => ApiError::unavailable(MOVED),
            StoreError::Busy => ApiError::unavailable(
                "this node is activating too many instances at once; retry shortly",
            ),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "storage unavailable");
                ApiError::unavailable("storage is unavailable; retry shortly")
            }
            e => {
                tracing::error!(error = %e, "storage error");
                ApiError::internal()
            }
        }
    }
}

impl From<InstanceError> for ApiError {
    fn from(e: InstanceError) -> ApiError {
        ApiError::conflict(e.reason(), e.to_string())
    }
}

fn conflict_message(reason: &str) -> String {
    match reason {
        "restore_window_expired" => {
            "the instance was deleted longer ago than the retention window".into()
        }
        other => format!("conflict: {other}"),
    }
}

impl ApiError {
    fn envelope(&self) -> Envelope<'_> {
        Envelope {
            error: self.code,
            message: &self.message,
            details: self.details.as_deref(),
            retry_after: self.retry_after,
        }
    }

    /// The envelope as JSON text, for answers written below axum (`conn/io.rs`).
    pub fn envelope_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.envelope()).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.envelope())).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        // A body refused before it was read whole leaves the rest of it on the
        // connection: close it rather than read on.
        if matches!(
            self.status,
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
        ) {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        // The error itself rides along, so that another dialect at the edge (`/sdk`)
        // can render it in its own shape.
        response.extensions_mut().insert(self);
        response
    }
}
