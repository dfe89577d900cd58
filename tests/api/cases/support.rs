//! Shorthands for the API cases.

use serde_json::Value;

use crate::server::{Reply, TestServer};

/// Creates an instance and returns its id.
pub async fn create(server: &TestServer, body: &str) -> String {
    let r = server.post("/v1/instances", body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    r.body["data"]["id"].as_str().unwrap_or_default().to_owned()
}

pub fn observation(mode: &str, signal: f64) -> String {
    format!(r#"{{"mode_target":"{mode}","signal_strength":{signal}}}"#)
}

/// `details.field` of an error reply.
pub fn field(r: &Reply) -> Option<&str> {
    r.body["details"]["field"].as_str()
}

pub fn data(r: &Reply) -> &Value {
    &r.body["data"]
}

/// Runs every future at once (all requests in flight before the first answer) and
/// returns their outputs in order.
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}
