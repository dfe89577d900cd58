//! Cluster mode on the request path (`docs/cluster.md`): a request for an instance is
//! served only by the node that serves the instance's shard, and only while it does.
//!
//! Before the handler: the instance id in the path (`/v1/instances/{id}…`,
//! `/sdk/v1/instances/{id}…`) names the shard; a node that does not serve it answers
//! 503 with `Retry-After` and the owner it knows (`X-Owner-Node`). After the handler:
//! the answer goes out only if the lease it was made under is still valid (a handler
//! that found its instance elsewhere, such as creation, leaves its fence in the
//! response's extensions); else 503, as the client cannot know what happened. Every
//! answer names the node (`X-Served-By`) and, for an instance, the shard's epoch
//! (`X-Shard-Epoch`). Without cluster settings this layer is not installed at all.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::cluster::{Cluster, Misrouted};
use crate::ids::InstanceId;
use crate::store::Fence;

use super::error::ApiError;

pub const SERVED_BY: &str = "x-served-by";
pub const SHARD_EPOCH: &str = "x-shard-epoch";
pub const OWNER_NODE: &str = "x-owner-node";

pub async fn gate(State(cluster): State<Arc<Cluster>>, req: Request, next: Next) -> Response {
    let routed = match instance_in_path(req.uri().path()).map(InstanceId::parse) {
        // A malformed id is the handler's to refuse (404).
        Some(Ok(id)) => match cluster.fence(&id) {
            Ok(fence) => Some(fence),
            Err(misrouted) => return with_node(misrouted_answer(&misrouted), &cluster),
        },
        _ => None,
    };
    let mut response = next.run(req).await;
    let fence = routed.or_else(|| response.extensions().get::<Fence>().cloned());
    if let Some(fence) = fence {
        if !cluster.still_serving(&fence) {
            metrics::counter!("identity_os_cluster_lapsed_answers_total").increment(1);
            response = ApiError::unavailable(
                "this node stopped serving the instance's shard while answering; the \
                 outcome is unknown: retry (a retried request carrying the same data is \
                 answered by the new owner)",
            )
            .into_response();
        } else {
            response
                .headers_mut()
                .insert(SHARD_EPOCH, HeaderValue::from(fence.epoch));
        }
    }
    with_node(response, &cluster)
}

fn with_node(mut response: Response, cluster: &Cluster) -> Response {
    if let Ok(name) = HeaderValue::from_str(cluster.name()) {
        response.headers_mut().insert(SERVED_BY, name);
    }
    response
}

fn misrouted_answer(misrouted: &Misrouted) -> Response {
    let owner = misrouted.owner.as_deref().unwrap_or("none yet");
    let mut response = ApiError::unavailable(format!(
        "this node does not serve the instance's shard {} (owner: {owner}); retry shortly",
        misrouted.shard
    ))
    .into_response();
    if let Some(owner) = misrouted
        .owner
        .as_deref()
        .and_then(|o| HeaderValue::from_str(o).ok())
    {
        response.headers_mut().insert(OWNER_NODE, owner);
    }
    metrics::counter!("identity_os_cluster_misrouted_total").increment(1);
    response
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
