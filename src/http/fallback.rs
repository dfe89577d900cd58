//! Unknown routes and wrong methods, in the error envelope.

use axum::http::{Method, Uri};

use super::error::ApiError;

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::route_not_found(uri.path())
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(method.as_str(), uri.path())
}
