//! The cluster as the lease table tells it, for operators: `identity-os cluster status`
//! and `GET /cluster/status`.

use serde::Serialize;
use sqlx::PgPool;

use super::leases::NOW;

/// The live nodes and the shards no node holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClusterStatus {
    /// Nodes whose heartbeat is younger than their validity, by id.
    pub nodes: Vec<NodeStatus>,
    /// Shards free or whose lease ran out (being taken over), of 1 024.
    pub unowned_shards: u32,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NodeStatus {
    /// The configured name with its process generation (`n1/3f2a9c01`).
    pub node: String,
    /// Where the other nodes forward to.
    pub addr: String,
    /// Leaving: handing its shards over.
    pub draining: bool,
    /// Since its last heartbeat.
    pub heartbeat_age_ms: i64,
    /// Shards whose lease it holds now.
    pub shards: i64,
    /// The highest epoch among them (0 with none).
    pub max_epoch: i64,
    /// The shortest time left on its leases, if it holds any.
    pub lease_left_ms: Option<i64>,
}

/// Reads the status; `validity_ms` bounds which nodes count as live.
pub async fn status(pool: &PgPool, validity_ms: u64) -> Result<ClusterStatus, sqlx::Error> {
    let live_us = i64::try_from(validity_ms.saturating_mul(1000)).unwrap_or(i64::MAX);
    let nodes: Vec<NodeStatus> = sqlx::query_as(&format!(
        "SELECT n.node_id AS node, n.addr, n.draining,
                ({NOW} - n.heartbeat_at) / 1000 AS heartbeat_age_ms,
                count(l.shard_id) AS shards, COALESCE(max(l.epoch), 0) AS max_epoch,
                min(l.lease_until - {NOW}) / 1000 AS lease_left_ms
         FROM cluster_node n
         LEFT JOIN shard_lease l ON l.node_id = n.node_id AND l.lease_until > {NOW}
         WHERE n.heartbeat_at > {NOW} - $1
         GROUP BY n.node_id, n.addr, n.draining, n.heartbeat_at
         ORDER BY n.node_id"
    ))
    .bind(live_us)
    .fetch_all(pool)
    .await?;
    let unowned: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM shard_lease WHERE node_id IS NULL OR lease_until <= {NOW}"
    ))
    .fetch_one(pool)
    .await?;
    Ok(ClusterStatus {
        nodes,
        unowned_shards: u32::try_from(unowned).unwrap_or(0),
    })
}

impl ClusterStatus {
    /// One line a node, then the unowned shards: what the command prints.
    pub fn render(&self) -> String {
        let mut lines = vec![
            "node\taddr\tshards\tmax_epoch\tlease_left_ms\theartbeat_age_ms\tdraining".to_owned(),
        ];
        lines.extend(self.nodes.iter().map(|n| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                n.node,
                n.addr,
                n.shards,
                n.max_epoch,
                n.lease_left_ms.map_or("-".to_owned(), |l| l.to_string()),
                n.heartbeat_age_ms,
                n.draining
            )
        }));
        lines.push(format!("unowned shards: {}", self.unowned_shards));
        lines.join("\n")
    }
}
