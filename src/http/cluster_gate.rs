//! Cluster mode on the request path (`docs/cluster.md`): a request for an instance is
//! served by the node that serves the instance's shard, and only while it does.
//!
//! Before the handler: the instance id in the path (`/v1/instances/{id}…`,
//! `/sdk/v1/instances/{id}…`), or in the body of a test submission (`instance_id`),
//! names the shard. A node that does not serve it forwards
//! the request once to the owner it knows (`forward.rs`); a request that was already
//! forwarded is answered 421 with the owner this node knows instead, and the forwarder,
//! told so, reads the owner from the lease table and tries once more, then answers 503
//! with `Retry-After`. After the handler: the answer goes out only if the lease it was
//! made under is still valid (a handler that placed its instance itself, such as
//! creation, leaves its fence in the response's extensions); else 503, as the client
//! cannot know what happened. Every answer names the node that served it
//! (`X-Served-By`) and, for an instance, the shard's epoch (`X-Shard-Epoch`); a
//! forwarded answer keeps the owner's. Without cluster settings this layer is not
//! installed at all.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::cluster::{Cluster, Misrouted, Owner};
use crate::ids::InstanceId;
use crate::store::Fence;

use super::error::{ApiError, MOVED};
use super::extract::BodyRules;
use super::forward::{ForwardError, Forwarder, HOP};

pub const SERVED_BY: &str = "x-served-by";
pub const SHARD_EPOCH: &str = "x-shard-epoch";
pub const OWNER_NODE: &str = "x-owner-node";

/// What the gate needs: the membership, the pool to the other nodes, and the body
/// limit a forwarded body is read under.
pub struct Gate {
    pub cluster: Arc<Cluster>,
    pub forwarder: Forwarder,
    /// A body read here (to forward it, or to find a submission's instance) obeys the
    /// limits the handlers' extractors apply: 413 past the size, 408 past the time.
    pub body: BodyRules,
}

pub async fn gate(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let cluster = &gate.cluster;
    let (req, id) = match instance_in_path(req.uri().path()) {
        Some(id) => {
            let id = InstanceId::parse(id);
            (req, id.ok())
        }
        None if is_submission(&req) => match gate.submitted_instance(req).await {
            Ok(found) => found,
            Err(refused) => return with_node(refused, cluster),
        },
        None => (req, None),
    };
    // A malformed id is the handler's to refuse (404).
    let Some(id) = id else {
        return finish(next.run(req).await, None, cluster);
    };
    let hopped = req.headers().contains_key(HOP);
    let (parts, body) = req.into_parts();
    // Read whole here: if the shard moves while the handler runs, the request can still
    // go to the new owner.
    let body = match gate.read(body).await {
        Ok(body) => body,
        Err(refused) => return with_node(refused, cluster),
    };
    match cluster.fence(&id) {
        Ok(fence) => {
            let again = parts.clone();
            let response = next
                .run(Request::from_parts(parts, Body::from(body.clone())))
                .await;
            if !moved(&response) {
                return finish(response, Some(fence), cluster);
            }
            // Handed over meanwhile, and nothing of the request was written.
            let misrouted = Misrouted {
                shard: fence.shard,
                owner: None,
            };
            gate.forward(misrouted, &id, again, body, None).await
        }
        Err(misrouted) if hopped => {
            metrics::counter!("identity_os_cluster_misdirected_total").increment(1);
            with_node(refusal(&misrouted, true), cluster)
        }
        Err(misrouted) => gate.forward(misrouted, &id, parts, body, Some(next)).await,
    }
}

/// A refusal that says the instance's shard moved and nothing was written.
fn moved(response: &Response) -> bool {
    response
        .extensions()
        .get::<ApiError>()
        .is_some_and(|e| e.message == MOVED)
}

/// The answer of this node's handler, sent only while the lease it was made under holds,
/// with the node and the epoch named.
fn finish(mut response: Response, routed: Option<Fence>, cluster: &Cluster) -> Response {
    let fence = routed.or_else(|| response.extensions().get::<Fence>().cloned());
    if let Some(fence) = fence {
        if cluster.still_serving(&fence) {
            response
                .headers_mut()
                .insert(SHARD_EPOCH, HeaderValue::from(fence.epoch));
        } else {
            metrics::counter!("identity_os_cluster_lapsed_answers_total").increment(1);
            response = ApiError::unavailable(
                "this node stopped serving the instance's shard while answering; the \
                 outcome is unknown: retry",
            )
            .into_response();
        }
    }
    with_node(response, cluster)
}

impl Gate {
    /// A test submission names its instance in the body (`instance_id`): read it (the
    /// body stays whole for the handler or the owner). Unreadable bodies are the
    /// handler's to refuse.
    async fn submitted_instance(
        &self,
        req: Request,
    ) -> Result<(Request, Option<InstanceId>), Response> {
        #[derive(serde::Deserialize)]
        struct Submission {
            instance_id: Option<String>,
        }
        let (parts, body) = req.into_parts();
        let bytes = self.read(body).await?;
        let id = serde_json::from_slice::<Submission>(&bytes)
            .ok()
            .and_then(|s| s.instance_id)
            .and_then(|id| InstanceId::parse(&id).ok());
        Ok((Request::from_parts(parts, Body::from(bytes)), id))
    }

    /// The whole body, within the size and time limits.
    async fn read(&self, body: Body) -> Result<Bytes, Response> {
        let max = self.body.max_bytes;
        match tokio::time::timeout(self.body.timeout, axum::body::to_bytes(body, max)).await {
            Ok(Ok(bytes)) => Ok(bytes),
            Ok(Err(_)) => Err(ApiError::payload_too_large(max).into_response()),
            Err(_) => {
                let ms = u64::try_from(self.body.timeout.as_millis()).unwrap_or(u64::MAX);
                Err(ApiError::body_timeout(ms).into_response())
            }
        }
    }

    /// Sends the request to the shard's owner. After a 421 or an unreachable owner
    /// (a shard in hand-over: closed by one node, free for about one scan, taken by the
    /// next, which serves it once its acquisition returns), asks the lease table again
    /// every 50 ms, waiting at most [`HANDOFF_WAIT`] in all: serves the request here if
    /// the shard came to this node, else sends it to the holder named then; 503 once
    /// the wait is over. `next` is this node's handler, if it has not run yet.
    async fn forward(
        &self,
        misrouted: Misrouted,
        id: &InstanceId,
        parts: Parts,
        body: Bytes,
        next: Option<Next>,
    ) -> Response {
        let mut patience = HANDOFF_WAIT;
        let mut owner = misrouted.owner.clone();
        let mut turned_away = false;
        // An owner that took a read and never answered (paused, dying) is not asked
        // again: its lease is about to pass to another node, whom the wait is for.
        let mut silent = None;
        loop {
            if let Some(target) = owner.take() {
                match self
                    .forwarder
                    .send(&target.addr, &parts, body.clone())
                    .await
                {
                    Ok(answer) if answer.status() == StatusCode::MISDIRECTED_REQUEST => {
                        tracing::debug!(shard = misrouted.shard, owner = %target.name, "not served there");
                    }
                    Ok(answer) => {
                        metrics::counter!("identity_os_cluster_forwards_total").increment(1);
                        return answer;
                    }
                    Err(ForwardError::Unreachable(addr)) => {
                        tracing::warn!(shard = misrouted.shard, %addr, "the owner is unreachable");
                    }
                    // A read is sent again (a connection the owner closed as it left);
                    // a write may have been served: not sent again.
                    Err(e @ ForwardError::NoAnswer(..)) if parts.method.is_safe() => {
                        tracing::warn!(shard = misrouted.shard, error = %e, "forwarding a read failed");
                        silent = Some(target.name.clone());
                    }
                    Err(e @ ForwardError::NoAnswer(..)) => {
                        tracing::warn!(shard = misrouted.shard, error = %e, "forwarding failed");
                        break;
                    }
                }
                turned_away = true;
            }
            match self
                .holder(
                    id,
                    misrouted.shard,
                    turned_away,
                    silent.as_deref(),
                    &mut patience,
                )
                .await
            {
                Settled::Here(fence) => {
                    let Some(next) = next else { break };
                    let req = Request::from_parts(parts, Body::from(body));
                    return finish(next.run(req).await, Some(fence), &self.cluster);
                }
                Settled::There(next_owner) => owner = Some(next_owner),
                Settled::Nobody => break,
            }
        }
        with_node(refusal(&misrouted, false), &self.cluster)
    }

    /// Waits until some node holds the shard: this one, or one the lease table names
    /// other than `silent`; pauses 50 ms first if the last one `turned_away` the
    /// request. The waiting comes out of `patience` (time spent sending does not: an
    /// owner paused for a while and then given up on still leaves the whole wait for its
    /// successor).
    async fn holder(
        &self,
        id: &InstanceId,
        shard: u16,
        turned_away: bool,
        silent: Option<&str>,
        patience: &mut Duration,
    ) -> Settled {
        let deadline = tokio::time::Instant::now() + *patience;
        let settled = async {
            if turned_away {
                tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + HANDOFF_POLL))
                    .await;
            }
            loop {
                if let Ok(fence) = self.cluster.fence(id) {
                    return Settled::Here(fence);
                }
                if tokio::time::Instant::now() >= deadline {
                    return Settled::Nobody;
                }
                if let Some(owner) = self.cluster.current_owner(shard).await
                    && Some(&*owner.name) != silent
                {
                    return Settled::There(owner);
                }
                tokio::time::sleep(HANDOFF_POLL).await;
            }
        }
        .await;
        *patience = deadline.saturating_duration_since(tokio::time::Instant::now());
        settled
    }
}

/// Who holds a shard once its hand-over settled.
enum Settled {
    Here(Fence),
    There(Owner),
    Nobody,
}

/// How often a request waiting for a shard in hand-over asks the lease table again.
const HANDOFF_POLL: Duration = Duration::from_millis(50);

/// How long a request waits for a shard in hand-over (released by one node, not yet
/// taken by the next: about one scan) before it is refused.
const HANDOFF_WAIT: Duration = Duration::from_secs(2);

fn with_node(mut response: Response, cluster: &Cluster) -> Response {
    let headers = response.headers_mut();
    if let Ok(name) = HeaderValue::from_str(cluster.name()) {
        headers.insert(SERVED_BY, name);
    }
    if cluster.is_leaving() {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// 421 to a forwarding node (which then asks the lease table), 503 to a client; both
/// name the owner this node knows.
fn refusal(misrouted: &Misrouted, forwarded: bool) -> Response {
    let owner = misrouted.owner.as_ref().map(|o| o.name.clone());
    let named = owner.as_deref().unwrap_or("none known");
    let message = format!(
        "this node does not serve the instance's shard {} (owner: {named})",
        misrouted.shard
    );
    let mut response = if forwarded {
        ApiError::misdirected(message).into_response()
    } else {
        metrics::counter!("identity_os_cluster_unroutable_total").increment(1);
        ApiError::unavailable(format!("{message}; retry shortly")).into_response()
    };
    if let Some(owner) = owner.as_deref().and_then(|o| HeaderValue::from_str(o).ok()) {
        response.headers_mut().insert(OWNER_NODE, owner);
    }
    response
}

/// `POST /v1/test/submit` or `/sdk/v1/test/submit`, which may apply a test to an
/// existing instance.
fn is_submission(req: &Request) -> bool {
    req.method() == axum::http::Method::POST
        && matches!(req.uri().path(), "/v1/test/submit" | "/sdk/v1/test/submit")
}

/// The `{id}` of `/v1/instances/{id}…` or `/sdk/v1/instances/{id}…`.
fn instance_in_path(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/v1/instances/")
        .or_else(|| path.strip_prefix("/sdk/v1/instances/"))?;
    let id = rest.split('/').next()?;
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_is_found_in_both_dialects_paths() {
        assert_eq!(
            instance_in_path("/v1/instances/inst_1/process"),
            Some("inst_1")
        );
        assert_eq!(instance_in_path("/sdk/v1/instances/inst_2"), Some("inst_2"));
        assert_eq!(instance_in_path("/v1/instances"), None);
        assert_eq!(instance_in_path("/v1/instances/"), None);
        assert_eq!(instance_in_path("/v1/personas/p"), None);
    }
}
