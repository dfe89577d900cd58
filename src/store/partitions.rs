//! PostgreSQL's partitions of `history` and `drift_events` (migration 0008): ranges of
//! `recorded_at`, listed in `history_partitions`, created ahead of time so that an append
//! always finds its partition. There is no default partition: it would make every new
//! partition scan it, and refuse `DETACH … CONCURRENTLY` later. SQLite has none of this.

use std::time::Duration;

use crate::timestamp::Timestamp;

use super::{Backend, Store, StoreError};

/// Serialises the creation and dropping of partitions across the nodes of a cluster.
pub(super) const PARTITION_LOCK: i64 = 0x1d05_0008;

/// One partition of both tables: `history_{suffix}` and `drift_events_{suffix}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPartition {
    pub suffix: String,
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Store {
    /// The partitions, oldest first (none on SQLite).
    pub async fn history_partitions(&self) -> Result<Vec<HistoryPartition>, StoreError> {
        let Backend::Postgres(pool) = self.backend() else {
            return Ok(Vec::new());
        };
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT suffix, from_at, until_at FROM history_partitions ORDER BY until_at",
        )
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(suffix, from, until)| HistoryPartition {
                suffix,
                from: Timestamp::from_micros(from),
                until: Timestamp::from_micros(until),
            })
            .collect())
    }

    /// Creates partitions of `width` (whole days, at least one) after the newest until
    /// they reach past `through`; how many were created (always 0 on SQLite).
    pub async fn extend_history_partitions(
        &self,
        through: Timestamp,
        width: Duration,
    ) -> Result<u64, StoreError> {
        let Backend::Postgres(pool) = self.backend() else {
            return Ok(0);
        };
        let width = day_multiple(width);
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(PARTITION_LOCK)
            .execute(&mut *tx)
            .await?;
        // Attaching takes a lock on the parent that waits for running appends: briefly,
        // or not this round.
        sqlx::query("SET LOCAL lock_timeout = '1s'")
            .execute(&mut *tx)
            .await?;
        let mut newest: i64 = sqlx::query_scalar("SELECT MAX(until_at) FROM history_partitions")
            .fetch_one(&mut *tx)
            .await?;
        let mut created = 0;
        while newest <= through.as_micros() {
            let from = newest;
            let until = from.saturating_add(width);
            let suffix = suffix_of(Timestamp::from_micros(from));
            for parent in ["history", "drift_events"] {
                // A table of its own, then attached: `CREATE TABLE … PARTITION OF` would
                // lock the parent harder than `ATTACH` (which lets reads and writes on).
                let create = format!(
                    "CREATE TABLE {parent}_{suffix} (LIKE {parent}, PRIMARY KEY (instance_id, seq))"
                );
                let attach = format!(
                    "ALTER TABLE {parent} ATTACH PARTITION {parent}_{suffix} \
                     FOR VALUES FROM ({from}) TO ({until})"
                );
                sqlx::query(&create).execute(&mut *tx).await?;
                sqlx::query(&attach).execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO history_partitions (suffix, from_at, until_at) VALUES ($1, $2, $3)",
            )
            .bind(&suffix)
            .bind(from)
            .bind(until)
            .execute(&mut *tx)
            .await?;
            newest = until;
            created += 1;
        }
        tx.commit().await?;
        Ok(created)
    }
}

/// `width` in microseconds, rounded up to whole days (partitions start at midnight UTC).
fn day_multiple(width: Duration) -> i64 {
    const DAY: u64 = 86_400;
    let days = width.as_secs().div_ceil(DAY).max(1);
    i64::try_from(days * DAY * 1_000_000).unwrap_or(i64::MAX)
}

/// A partition's name: the day it starts, `20261207`.
fn suffix_of(from: Timestamp) -> String {
    let (year, month, day) = from.civil_date();
    format!("{year:04}{month:02}{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_whole_days_and_names_their_first_day() {
        let day = 86_400_000_000;
        assert_eq!(day_multiple(Duration::from_secs(1)), day);
        assert_eq!(day_multiple(Duration::from_secs(86_400 * 3)), 3 * day);
        assert_eq!(day_multiple(Duration::from_secs(86_400 * 3 + 1)), 4 * day);
        // 2026-12-07T00:00:00Z.
        assert_eq!(
            suffix_of(Timestamp::from_micros(1_796_601_600_000_000)),
            "20261207"
        );
    }
}
