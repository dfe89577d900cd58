//! Cluster mode: many nodes on one PostgreSQL, each instance served by one node at a
//! time (`docs/cluster.md`).
//!
//! PostgreSQL is both the store and the coordinator. Instance ids map to 1 024 fixed
//! shards (`shard.rs`); a node serves a shard while it holds the shard's lease row
//! (`leases.rs`) and its local validity lasts (`table.rs`); the background task in
//! `coordinator.rs` renews, takes over and hands off leases. Every write concerning an
//! instance carries the lease's epoch (`store/fence.rs`), so a node that lost a shard
//! writes nothing more of it even if it has not noticed yet.

mod budget;
mod coordinator;
mod haproxy;
mod leases;
mod residents;
mod shard;
mod status;
mod table;

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::ClusterConfig;
use crate::ids::InstanceId;
use crate::store::Fence;

pub use budget::{Budgets, Kind, Left};
pub use coordinator::run;
pub use shard::{SHARDS, shard_of};
pub use status::{ClusterStatus, NodeStatus, status};

use leases::Leases;
use table::ShardTable;

/// Why this node cannot serve an instance now, and who can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misrouted {
    pub shard: u16,
    /// The node the lease table last named for the shard, if another live one.
    pub owner: Option<Owner>,
}

/// A node serving a shard: its name and where it is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub name: Arc<str>,
    pub addr: Arc<str>,
}

/// What the cluster does to the instance actors of shards it stops serving.
pub trait Residents: Send + Sync + 'static {
    /// Stops them without writing anything: the shard was lost, their writes would be
    /// fenced anyway.
    fn evict(&self, shards: Vec<u16>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
    /// Snapshots and stops them, before the shards are handed to another node.
    fn passivate(&self, shards: Vec<u16>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The timing of leases, from `[cluster]`.
#[derive(Debug, Clone)]
struct Timing {
    renew_interval: Duration,
    validity: Duration,
    scan_interval: Duration,
    takeover_delay: Duration,
    acquire_per_second: u32,
    release_per_second: u32,
}

/// This node's membership: its identity, its view of the shards and the lease
/// statements. Shared by the request path (`fence`) and the coordinator.
pub struct Cluster {
    /// The configured name (`X-Served-By`).
    name: Arc<str>,
    /// The name with a per-process generation, as the lease table knows this node.
    node: Arc<str>,
    table: ShardTable,
    leases: Leases,
    timing: Timing,
    /// Set by [`Cluster::leave`]: the node acquires nothing more.
    leaving: AtomicBool,
    /// HAProxy's shard map, when the node has one to keep.
    haproxy: Option<haproxy::MapWriter>,
    /// Bounds the activations of this node (a takeover brings many at once).
    activations: DefaultDirectRateLimiter,
}

impl Cluster {
    /// Joins the cluster on the PostgreSQL at `url` as `config.node_id`, reachable at
    /// `addr`. Holds no shard yet: the coordinator acquires them.
    pub async fn join(
        config: &ClusterConfig,
        url: &str,
        addr: String,
    ) -> Result<Arc<Cluster>, sqlx::Error> {
        // Its own small pool: request traffic must never starve a lease renewal.
        let options: PgConnectOptions = url.parse()?;
        // Three: renewals, scans, and the subscription to shard changes.
        let pool = PgPoolOptions::new()
            .max_connections(3)
            .acquire_timeout(Duration::from_millis(config.renew_interval_ms))
            .connect_with(options)
            .await?;
        let generation: u32 = getrandom::u32().unwrap_or_default();
        let node: Arc<str> = Arc::from(format!("{}/{generation:08x}", config.node_id));
        let lease = Duration::from_millis(config.lease_ms);
        Ok(Arc::new(Cluster {
            name: Arc::from(config.node_id.as_str()),
            leases: Leases::new(
                pool,
                node.clone(),
                addr,
                lease,
                Duration::from_millis(config.validity_ms),
            ),
            node,
            table: ShardTable::default(),
            leaving: AtomicBool::new(false),
            activations: RateLimiter::direct(Quota::per_second(
                NonZeroU32::new(config.activations_per_second).unwrap_or(NonZeroU32::MIN),
            )),
            haproxy: (!config.haproxy_admin.is_empty()).then(|| {
                haproxy::MapWriter::new(
                    config.haproxy_admin.clone(),
                    config.haproxy_map.clone(),
                    config.node_id.clone(),
                )
            }),
            timing: Timing {
                renew_interval: Duration::from_millis(config.renew_interval_ms),
                validity: Duration::from_millis(config.validity_ms),
                scan_interval: Duration::from_millis(config.scan_interval_ms),
                takeover_delay: Duration::from_millis(config.takeover_delay_ms),
                acquire_per_second: config.acquire_per_second,
                release_per_second: config.release_per_second,
            },
        }))
    }

    /// The configured node name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether [`Cluster::leave`] has begun: answers then close their connection, so
    /// that no peer or proxy keeps one the node will close when it stops listening.
    pub fn is_leaving(&self) -> bool {
        self.leaving.load(Ordering::Acquire)
    }

    /// The fence to write `id` under, if this node serves its shard now.
    pub fn fence(&self, id: &InstanceId) -> Result<Fence, Misrouted> {
        self.fence_of(shard_of(id.as_str()))
    }

    pub fn fence_of(&self, shard: u16) -> Result<Fence, Misrouted> {
        match self.table.serving(shard) {
            Some(epoch) => Ok(Fence {
                shard,
                epoch,
                node: self.node.clone(),
            }),
            None => Err(Misrouted {
                shard,
                owner: self
                    .table
                    .owner(shard)
                    .and_then(|node| self.owner_at(&node)),
            }),
        }
    }

    /// The owner of `shard` as the lease table says now (after a 421: this node's view
    /// was stale), recorded for the next requests.
    pub async fn current_owner(&self, shard: u16) -> Option<Owner> {
        match self.leases.owner(shard).await {
            Ok(Some((node, addr))) => {
                self.table.set_owner(shard, node.clone(), addr);
                self.owner_at(&node)
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(shard, error = %e, "reading a shard's owner failed");
                None
            }
        }
    }

    /// `node` as an owner to forward to: another live node.
    fn owner_at(&self, node: &str) -> Option<Owner> {
        if *node == *self.node {
            return None;
        }
        Some(Owner {
            name: Arc::from(display_name(node)),
            addr: self.table.addr(node)?,
        })
    }

    /// The epoch this node holds `id`'s shard at, servable or not (stamped on appends).
    pub fn held_epoch(&self, id: &InstanceId) -> Option<u64> {
        self.table.held_epoch(shard_of(id.as_str()))
    }

    /// Whether one more instance may be activated now.
    pub fn admit_activation(&self) -> bool {
        let admitted = self.activations.check().is_ok();
        if !admitted {
            metrics::counter!("identity_os_cluster_activations_refused_total").increment(1);
        }
        admitted
    }

    /// True while the lease `fence` was made under may still be served: checked again
    /// before a reply goes out.
    pub fn still_serving(&self, fence: &Fence) -> bool {
        self.table.valid(fence.shard) == Some(fence.epoch)
    }

    /// A fresh instance id in a shard this node serves, with its fence: creation needs
    /// no other node. `None` while this node serves no shard.
    pub fn new_instance_id(&self) -> Option<(InstanceId, Fence)> {
        if self.table.held().is_empty() {
            return None;
        }
        // Each try lands in a served shard with the share of shards this node holds.
        (0..64 * usize::from(SHARDS)).find_map(|_| {
            let id = InstanceId::generate();
            self.fence(&id).ok().map(|fence| (id, fence))
        })
    }
}

/// A node id without its generation: the name operators gave it.
fn display_name(node: &str) -> &str {
    node.split_once('/').map_or(node, |(name, _)| name)
}
