//! History retention's storage half (`retention.history_days`, docs/storage.md): drop
//! history and drift events recorded before a cutoff, never a row an instance's replay
//! still needs (those after its newest snapshot). PostgreSQL drops whole partitions
//! (`partitions.rs` keeps them); SQLite, which has none, deletes in chunks. The caller
//! (`crate::retention`) first pins a newer snapshot for every instance that replays
//! rows before the cutoff, so that nothing is left to keep.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use sqlx::PgPool;

use crate::ids::InstanceId;
use crate::timestamp::Timestamp;

use super::commit::{bind_snapshot, upsert_snapshot_sql};
use super::partitions::{HistoryPartition, PARTITION_LOCK};
use super::records::SnapshotRecord;
use super::rows::corrupt;
use super::{Backend, Store, StoreError, with_pool};

/// Moves the horizon (`$1`) forward, never back.
const ADVANCE_HORIZON: &str = "\
INSERT INTO history_horizon (id, dropped_before) VALUES (1, $1)
ON CONFLICT (id) DO UPDATE SET dropped_before = excluded.dropped_before
WHERE history_horizon.dropped_before < excluded.dropped_before";

/// [`Store::kept_since`]'s "nothing dropped".
const NEVER_DROPPED: i64 = i64::MIN;

/// A new store's horizon, until read from its database.
pub(super) fn unknown_horizon() -> Arc<AtomicI64> {
    Arc::new(AtomicI64::new(NEVER_DROPPED))
}

/// Rows an SQLite chunk deletes: short transactions, so appends interleave.
const SQLITE_CHUNK: i64 = 5_000;

/// What one retention round dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dropped {
    /// PostgreSQL: partitions dropped.
    pub partitions: u64,
    /// SQLite: history rows deleted.
    pub rows: u64,
    /// Partitions (PostgreSQL) or rows (SQLite) kept because replay still needs them.
    pub kept_for_replay: u64,
}

/// Instances whose history before `cutoff` (a bound in microseconds, bound as `$1`)
/// holds cycles after their newest snapshot (after seq 0 if they have none yet: replay
/// then starts from the creation profile).
const REPLAYING: &str = "\
SELECT DISTINCT h.instance_id FROM history h LEFT JOIN snapshots s ON s.instance_id = h.instance_id
WHERE h.recorded_at < $1 AND h.seq > COALESCE(s.seq, 0)";

/// The snapshot upsert of retention: only over an older one, never over a snapshot of the
/// same seq (a reset writes its new state at the seq it happened at).
const PIN_SNAPSHOT: &str = concat!(
    upsert_snapshot_sql!(),
    "\nWHERE snapshots.seq < excluded.seq"
);

impl Store {
    /// The time before which history and drift events may have been dropped; none if
    /// never. Kept in memory (pages report it without a query): read at open and after
    /// each retention round, so in a cluster a node learns of another's drop within a
    /// round.
    pub fn kept_since(&self) -> Option<Timestamp> {
        let at = self.horizon.load(Ordering::Relaxed);
        (at != NEVER_DROPPED).then(|| Timestamp::from_micros(at))
    }

    /// Reads the horizon from the database into [`Store::kept_since`].
    pub async fn refresh_history_horizon(&self) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<i64> = with_pool!(self.backend(), |pool| {
            sqlx::query_scalar("SELECT dropped_before FROM history_horizon WHERE id = 1")
                .fetch_optional(pool)
                .await
        })?;
        self.horizon
            .store(at.unwrap_or(NEVER_DROPPED), Ordering::Relaxed);
        Ok(self.kept_since())
    }

    /// Instances whose replay reads history recorded before `cutoff`: a scan of what is
    /// about to be dropped (PostgreSQL prunes to the partitions before it).
    pub async fn replaying_before(&self, cutoff: Timestamp) -> Result<Vec<InstanceId>, StoreError> {
        let ids: Vec<String> = with_pool!(self.backend(), |pool| {
            sqlx::query_scalar(REPLAYING)
                .bind(cutoff.as_micros())
                .fetch_all(pool)
                .await
        })?;
        ids.into_iter()
            .map(|id| InstanceId::parse(&id).map_err(corrupt))
            .collect()
    }

    /// Writes `snapshot` as `id`'s newest unless one as new or newer is stored (the
    /// instance's actor may have written one meanwhile). True if written.
    pub async fn pin_snapshot(
        &self,
        id: &InstanceId,
        snapshot: &SnapshotRecord,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let state = serde_json::to_string(&snapshot.state).map_err(corrupt)?;
        let snapshot_id = crate::ids::SnapshotId::generate();
        let written = with_pool!(self.backend(), |pool| {
            let pin = sqlx::query(PIN_SNAPSHOT);
            bind_snapshot!(
                pin,
                id.as_str(),
                snapshot_id.as_str(),
                snapshot,
                state.as_str(),
                at.as_micros()
            )
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(written > 0)
    }

    /// Drops history and drift events recorded before `cutoff`, except what replay needs:
    /// on PostgreSQL the partitions that end by then and hold no such row, on SQLite the
    /// rows up to each instance's snapshot. Moves the horizon to what was dropped.
    pub async fn drop_history_before(&self, cutoff: Timestamp) -> Result<Dropped, StoreError> {
        match self.backend() {
            Backend::Postgres(pool) => {
                let mut dropped = Dropped::default();
                for partition in self.history_partitions().await? {
                    if partition.until > cutoff {
                        break;
                    }
                    match drop_history_partition(pool, &partition).await? {
                        Fate::Dropped => dropped.partitions += 1,
                        Fate::KeptForReplay => dropped.kept_for_replay += 1,
                        Fate::Gone => {}
                    }
                }
                Ok(dropped)
            }
            Backend::Sqlite(pool) => {
                let mut dropped = Dropped::default();
                loop {
                    let mut tx = pool.begin().await?;
                    let rows = sqlx::query(
                        "DELETE FROM history WHERE rowid IN (
                             SELECT h.rowid FROM history h
                             LEFT JOIN snapshots s ON s.instance_id = h.instance_id
                             WHERE h.recorded_at < $1 AND h.seq <= COALESCE(s.seq, 0)
                             LIMIT $2)",
                    )
                    .bind(cutoff.as_micros())
                    .bind(SQLITE_CHUNK)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    let events = sqlx::query(
                        "DELETE FROM drift_events WHERE rowid IN (
                             SELECT rowid FROM drift_events WHERE recorded_at < $1 LIMIT $2)",
                    )
                    .bind(cutoff.as_micros())
                    .bind(SQLITE_CHUNK)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    // Only once something was dropped: `kept_since` stays null until then.
                    if rows + events > 0 {
                        sqlx::query(ADVANCE_HORIZON)
                            .bind(cutoff.as_micros())
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    dropped.rows += rows;
                    if rows < SQLITE_CHUNK as u64 && events < SQLITE_CHUNK as u64 {
                        break;
                    }
                }
                let kept: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM history h
                     LEFT JOIN snapshots s ON s.instance_id = h.instance_id
                     WHERE h.recorded_at < $1 AND h.seq > COALESCE(s.seq, 0)",
                )
                .bind(cutoff.as_micros())
                .fetch_one(pool)
                .await?;
                dropped.kept_for_replay = kept.unsigned_abs();
                Ok(dropped)
            }
        }
    }
}

/// What became of an expired partition.
enum Fate {
    Dropped,
    KeptForReplay,
    /// Another node's round dropped it first.
    Gone,
}

/// Drops one partition of history and of drift events if none of its rows is needed for
/// replay (checked in the transaction that drops it: no new row can enter a partition of
/// the past, and snapshots only move forward). Under the partitions' advisory lock, so
/// the rounds of a cluster's nodes take their turns instead of tripping on each other.
async fn drop_history_partition(pool: &PgPool, p: &HistoryPartition) -> Result<Fate, StoreError> {
    let history = format!("history_{}", p.suffix);
    let drift = format!("drift_events_{}", p.suffix);
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut *tx)
        .await?;
    let listed: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM history_partitions WHERE suffix = $1")
            .bind(&p.suffix)
            .fetch_optional(&mut *tx)
            .await?;
    if listed.is_none() {
        return Ok(Fate::Gone);
    }
    // Dropping a partition locks its parent: wait for at most a moment (appends queue
    // behind the lock meanwhile) and try again next round rather than stall them.
    sqlx::query("SET LOCAL lock_timeout = '1s'")
        .execute(&mut *tx)
        .await?;
    let needed: Option<i32> = sqlx::query_scalar(&format!(
        "SELECT 1 FROM {history} h LEFT JOIN snapshots s ON s.instance_id = h.instance_id \
         WHERE h.seq > COALESCE(s.seq, 0) LIMIT 1"
    ))
    .fetch_optional(&mut *tx)
    .await?;
    if needed.is_some() {
        return Ok(Fate::KeptForReplay);
    }
    sqlx::query(&format!("DROP TABLE {history}, {drift}"))
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM history_partitions WHERE suffix = $1")
        .bind(&p.suffix)
        .execute(&mut *tx)
        .await?;
    sqlx::query(ADVANCE_HORIZON)
        .bind(p.until.as_micros())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(partition = %p.suffix, until = %p.until.to_rfc3339(), "dropped a history partition");
    Ok(Fate::Dropped)
}
