//! The lease table's statements (`docs/cluster.md`, SQL after the research notes).
//!
//! Times are PostgreSQL's clock in microseconds since the Unix epoch, so every node's
//! lease runs on one clock; a node's own validity is measured on its monotonic clock
//! (`table.rs`). Each statement is one round trip.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

/// PostgreSQL's clock as the lease columns hold it.
pub const NOW: &str = "(extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT";

/// One row of the lease table as the scan sees it.
#[derive(Debug, Clone)]
pub struct LeaseRow {
    pub shard: u16,
    pub node: Option<Arc<str>>,
    /// How long ago the lease ran out, or was released (negative: still running).
    pub lapsed_ms: i64,
}

/// A live node (its heartbeat within one lease).
#[derive(Debug, Clone)]
pub struct NodeRow {
    pub node: Arc<str>,
    pub addr: Arc<str>,
    pub draining: bool,
}

/// The channel acquisitions and releases are announced on: every node rescans at once
/// instead of at its next poll.
pub const CHANNEL: &str = "identity_os_shards";

pub struct Leases {
    pool: PgPool,
    /// This node's generation-qualified id.
    node: Arc<str>,
    addr: String,
    lease_us: i64,
    /// A node is live while its heartbeat is younger than this: its validity. Past it,
    /// the node has stopped serving by its own clock, so no node should wait for it.
    live_us: i64,
}

impl Leases {
    pub fn new(
        pool: PgPool,
        node: Arc<str>,
        addr: String,
        lease: Duration,
        live: Duration,
    ) -> Leases {
        Leases {
            pool,
            node,
            addr,
            lease_us: i64::try_from(lease.as_micros()).unwrap_or(i64::MAX),
            live_us: i64::try_from(live.as_micros()).unwrap_or(i64::MAX),
        }
    }

    /// Heartbeat and renewal of every held shard, in one statement. Returns the shards
    /// renewed: a held shard missing from it was lost (taken over after it expired).
    pub async fn renew(&self, held: &[(u16, u64)]) -> Result<Vec<u16>, sqlx::Error> {
        let sql = format!(
            "WITH heartbeat AS (
                 INSERT INTO cluster_node (node_id, addr, heartbeat_at) VALUES ($1, $2, {NOW})
                 ON CONFLICT (node_id) DO UPDATE
                 SET heartbeat_at = excluded.heartbeat_at, addr = excluded.addr
             )
             UPDATE shard_lease l SET lease_until = {NOW} + $3
             FROM UNNEST($4::INT[], $5::BIGINT[]) AS h(s, e)
             WHERE l.shard_id = h.s AND l.epoch = h.e AND l.node_id = $1
             RETURNING l.shard_id"
        );
        let renewed: Vec<i32> = sqlx::query_scalar(&sql)
            .bind(self.node.as_ref())
            .bind(self.addr.as_str())
            .bind(self.lease_us)
            .bind(held.iter().map(|(s, _)| i32::from(*s)).collect::<Vec<_>>())
            .bind(
                held.iter()
                    .map(|(_, e)| epoch_value(*e))
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&self.pool)
            .await?;
        Ok(renewed.into_iter().filter_map(shard).collect())
    }

    /// Takes the free or expired ones of `shards`; returns those acquired with their
    /// new epochs.
    pub async fn acquire(&self, shards: &[u16]) -> Result<Vec<(u16, u64)>, sqlx::Error> {
        let sql = format!(
            "UPDATE shard_lease SET node_id = $1, epoch = epoch + 1, lease_until = {NOW} + $2
             WHERE shard_id = ANY($3) AND (node_id IS NULL OR lease_until < {NOW})
             RETURNING shard_id, epoch"
        );
        let rows: Vec<(i32, i64)> = sqlx::query_as(&sql)
            .bind(self.node.as_ref())
            .bind(self.lease_us)
            .bind(shards.iter().map(|s| i32::from(*s)).collect::<Vec<_>>())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, e)| Some((shard(s)?, u64::try_from(e).ok()?)))
            .collect())
    }

    /// Gives `shards` up (their actors already flushed and stopped): free at once for
    /// the node that prefers each, for the others after their delay.
    pub async fn release(&self, shards: &[(u16, u64)]) -> Result<(), sqlx::Error> {
        let sql = format!(
            "UPDATE shard_lease l SET node_id = NULL, lease_until = {NOW}
             FROM UNNEST($2::INT[], $3::BIGINT[]) AS h(s, e)
             WHERE l.shard_id = h.s AND l.epoch = h.e AND l.node_id = $1"
        );
        sqlx::query(&sql)
            .bind(self.node.as_ref())
            .bind(
                shards
                    .iter()
                    .map(|(s, _)| i32::from(*s))
                    .collect::<Vec<_>>(),
            )
            .bind(
                shards
                    .iter()
                    .map(|(_, e)| epoch_value(*e))
                    .collect::<Vec<_>>(),
            )
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every shard's owner and how long ago its lease ran out.
    pub async fn shards(&self) -> Result<Vec<LeaseRow>, sqlx::Error> {
        let sql =
            format!("SELECT shard_id, node_id, ({NOW} - lease_until) / 1000 FROM shard_lease");
        let rows: Vec<(i32, Option<String>, i64)> =
            sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, node, lapsed_ms)| {
                Some(LeaseRow {
                    shard: shard(s)?,
                    node: node.map(Arc::from),
                    lapsed_ms,
                })
            })
            .collect())
    }

    /// The nodes whose heartbeat is younger than their validity.
    pub async fn live_nodes(&self) -> Result<Vec<NodeRow>, sqlx::Error> {
        let sql = format!(
            "SELECT node_id, addr, draining FROM cluster_node WHERE heartbeat_at > {NOW} - $1"
        );
        let rows: Vec<(String, String, bool)> = sqlx::query_as(&sql)
            .bind(self.live_us)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(node, addr, draining)| NodeRow {
                node: Arc::from(node),
                addr: Arc::from(addr),
                draining,
            })
            .collect())
    }

    /// The node holding `shard`'s running lease now, with its address.
    pub async fn owner(&self, shard: u16) -> Result<Option<(Arc<str>, Arc<str>)>, sqlx::Error> {
        let sql = format!(
            "SELECT l.node_id, n.addr FROM shard_lease l JOIN cluster_node n USING (node_id)
             WHERE l.shard_id = $1 AND l.lease_until > {NOW}"
        );
        let row: Option<(String, String)> = sqlx::query_as(&sql)
            .bind(i32::from(shard))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(node, addr)| (Arc::from(node), Arc::from(addr))))
    }

    /// Tells every node that shards changed hands.
    pub async fn announce(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANNEL)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Marks this node draining (no node prefers it any more), or removes it once it
    /// has released everything.
    pub async fn set_draining(&self) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE cluster_node SET draining = TRUE WHERE node_id = $1")
            .bind(self.node.as_ref())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn leave(&self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM cluster_node WHERE node_id = $1")
            .bind(self.node.as_ref())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets nodes silent for a hundred leases (crashed ones never say goodbye).
    pub async fn forget_dead(&self) -> Result<(), sqlx::Error> {
        let sql = format!("DELETE FROM cluster_node WHERE heartbeat_at < {NOW} - $1 * 100");
        sqlx::query(&sql)
            .bind(self.lease_us)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn shard(s: i32) -> Option<u16> {
    u16::try_from(s).ok().filter(|s| *s < super::shard::SHARDS)
}

fn epoch_value(e: u64) -> i64 {
    i64::try_from(e).unwrap_or(i64::MAX)
}
