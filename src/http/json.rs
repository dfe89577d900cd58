//! JSON answers, written into a buffer sized for them.
//!
//! axum's `Json` starts at 128 bytes and grows its buffer three times for a typical
//! answer (a `/process` answer is ≈ 0.8 KiB, an SDK one ≈ 1.8 KiB): four allocations and
//! three copies per request on the hot path. This one starts at 2 KiB, and an answer
//! that cannot be serialized (a bug) gets the error envelope, not a plain-text 500.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;

/// Room for every fixed-size answer; lists and batches grow from here.
const INITIAL_CAPACITY: usize = 2048;

/// A JSON answer of `T` (200 unless wrapped with another status).
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut buf = Vec::with_capacity(INITIAL_CAPACITY);
        match serde_json::to_writer(&mut buf, &self.0) {
            Ok(()) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                buf,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "an answer does not serialize");
                ApiError::internal().into_response()
            }
        }
    }
}
