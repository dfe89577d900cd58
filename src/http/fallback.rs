//! Unknown routes and wrong methods, in the error envelope. Under the API prefixes they
//! answer only after authentication and the rate limit, like every API route: without a
//! key a client learns nothing of which routes exist, and every `/v1` answer carries the
//! rate-limit headers.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::admitted;
use super::error::ApiError;

pub async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let error = ApiError::route_not_found(req.uri().path());
    behind_auth(&state, req, error).await
}

pub async fn method_not_allowed(State(state): State<AppState>, req: Request) -> Response {
    let error = ApiError::method_not_allowed(req.method().as_str(), req.uri().path());
    behind_auth(&state, req, error).await
}

async fn behind_auth(state: &AppState, req: Request, error: ApiError) -> Response {
    if is_api_path(req.uri().path()) {
        admitted(state, req, |_| async { error.into_response() }).await
    } else {
        error.into_response()
    }
}

/// Paths of the two API dialects, which need a key.
fn is_api_path(path: &str) -> bool {
    ["/v1", "/sdk/v1"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn api_paths_are_the_two_prefixes() {
        for path in ["/v1", "/v1/", "/v1/nope", "/sdk/v1", "/sdk/v1/x/y"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in [
            "/",
            "/v10",
            "/v1x/a",
            "/sdk",
            "/sdk/v2/x",
            "/healthz",
            "/nope",
        ] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
