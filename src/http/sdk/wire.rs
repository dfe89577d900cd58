//! What every `/sdk` response must look like to the SDK, whatever produced it: errors
//! as `{error: <message>, code: <code>}` with 422 for invalid input, no `Retry-After`
//! on a used-up monthly quota, and `Connection: close`; and the monthly quota headers.
//!
//! Handlers, extractors, auth, limits and the fallbacks all fail with an `ApiError`,
//! which travels in the response's extensions (`error.rs`); this layer re-renders it.
//! So the dialect has no error path of its own to forget.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::error::{ApiError, Details, ErrorCode};
use crate::timestamp::Timestamp;

/// The path prefix of the dialect.
pub const PREFIX: &str = "/sdk/";

/// The SDK's error body. `error` becomes the exception's message, `code` its `.code`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SdkError<'a> {
    /// What went wrong, for a person.
    error: &'a str,
    /// `not_found`, `invalid_request`, `unauthorized`, `conflict`, `rate_limit_exceeded`,
    /// `quota_exceeded`, `unavailable`, … (the `/v1` codes).
    code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Details>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

/// Whether a request path belongs to the dialect.
pub fn is_sdk_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// Makes any response to an `/sdk/` request the SDK's: called by the outermost
/// middleware (`observe::record`), so that auth failures, fallbacks and rejections are
/// covered too.
pub fn translate(mut response: Response) -> Response {
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        response = rerender(response, &error);
    }
    // The sync SDK client runs each call on a new event loop; a kept-alive connection
    // belongs to the previous, closed loop and fails the next call.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Middleware after authentication: `X-Monthly-Limit` and `X-Monthly-Remaining` (the
/// cycles left after this request) for plans with a monthly quota; the SDK shows them
/// as `client.rate_limit.monthly_*`.
pub async fn monthly_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let account = req.extensions().get::<Account>().cloned();
    let mut response = next.run(req).await;
    let Some(account) = account else {
        return response;
    };
    match state.quotas.standing(&account, Timestamp::now()).await {
        Ok(Some(standing)) => {
            let headers = response.headers_mut();
            headers.insert("x-monthly-limit", HeaderValue::from(standing.limit));
            headers.insert("x-monthly-remaining", HeaderValue::from(standing.remaining));
        }
        Ok(None) => {}
        // Headers are a courtesy: the answer stands without them.
        Err(e) => tracing::warn!(error = %e.message, "monthly quota headers left out"),
    }
    response
}

/// The same response (status aside, its headers: rate limits, request id) with the
/// SDK's error body.
fn rerender(response: Response, error: &ApiError) -> Response {
    let (mut parts, _) = response.into_parts();
    // The SDK maps 422 to its `ValidationError`; 400 would be its bare base class.
    if parts.status == StatusCode::BAD_REQUEST {
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    if error.code == ErrorCode::QuotaExceeded {
        // The SDK sleeps `Retry-After` seconds before each retry, uncapped: the days
        // until next month would hang it. The body still says when.
        parts.headers.remove(header::RETRY_AFTER);
    }
    let body = SdkError {
        error: &error.message,
        code: error.code,
        details: error.details.as_deref(),
        retry_after: error.retry_after,
    };
    let (_, body) = Json(body).into_response().into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}
