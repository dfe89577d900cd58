//! The service hyper calls for each request of a connection: it marks the connection
//! busy until the answer is given, refuses a request target over its limit (414), and on
//! a connection over the bound lets only the operations routes through.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use pin_project_lite::pin_project;
use tower::ServiceExt;
use tower::util::Oneshot;

use super::activity::Activity;
use crate::http::error::ApiError;

/// Routes a connection over the bound still serves: a full server must still say so.
const OPERATIONS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

pub struct Gate<S> {
    pub app: S,
    pub activity: Arc<Activity>,
    /// The connection is over `server.max_connections`.
    pub overflow: bool,
    /// Longest request target (`server.max_uri_bytes`); longer ones get 414.
    pub max_uri_bytes: usize,
}

impl<S> hyper::service::Service<hyper::Request<Incoming>> for Gate<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer<Oneshot<S, Request>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        self.activity.busy();
        let activity = self.activity.clone();
        let target = req.uri().path_and_query().map_or(0, |t| t.as_str().len());
        let refused = if target > self.max_uri_bytes {
            Some(ApiError::uri_too_long())
        } else if self.overflow && !OPERATIONS.contains(&req.uri().path()) {
            Some(ApiError::unavailable(
                "too many open connections; retry shortly",
            ))
        } else {
            None
        };
        if let Some(refused) = refused {
            return Answer::Ready {
                response: Some(refused.into_response()),
                activity,
            };
        }
        Answer::Calling {
            call: self.app.clone().oneshot(req.map(Body::new)),
            activity,
        }
    }
}

pin_project! {
    /// A request's answer; the connection is idle once it is given.
    #[project = AnswerProj]
    pub enum Answer<F> {
        Calling { #[pin] call: F, activity: Arc<Activity> },
        Ready { response: Option<Response>, activity: Arc<Activity> },
    }
}

impl<F> Future for Answer<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (response, activity) = match self.project() {
            AnswerProj::Calling { call, activity } => {
                let Ok(response) = ready!(call.poll(cx));
                (response, activity)
            }
            AnswerProj::Ready { response, activity } => {
                (response.take().unwrap_or_default(), activity)
            }
        };
        activity.idle();
        Poll::Ready(Ok(response))
    }
}
