//! History retention (`retention.history_days`, off by default; docs/storage.md): one
//! round, run at start and with the hourly purge. It keeps PostgreSQL's history
//! partitions ahead of the clock, and, when retention is on, drops what was recorded
//! before the cutoff without losing what replay needs: every instance that would replay
//! rows from before the cutoff gets a newer snapshot first, computed by replaying its
//! committed history (deterministic, so any node may do it, owner or not, resident or
//! not), written only over an older one.

use std::time::Duration;

use crate::instance::Instance;
use crate::store::{Dropped, Store, StoreError};
use crate::timestamp::Timestamp;

const DAY: Duration = Duration::from_secs(86_400);

/// A partition's span: an eighth of the retention window (so at most an eighth more
/// than the window is kept), a day at least; 30 days when history is kept forever (few
/// partitions for a history query to visit).
pub fn partition_width(keep: Option<Duration>) -> Duration {
    match keep {
        None => 30 * DAY,
        Some(keep) => (keep / 8).max(DAY),
    }
}

/// What a round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Round {
    pub partitions_created: u64,
    /// Snapshots written so that replay no longer needs rows before the cutoff.
    pub snapshots_pinned: u64,
    pub dropped: Dropped,
}

/// Makes sure history partitions reach two spans past `now` (at start, before serving:
/// an append needs its partition); how many were created.
pub async fn prepare(
    store: &Store,
    keep: Option<Duration>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let width = partition_width(keep);
    store
        .extend_history_partitions(now.saturating_add(2 * width), width)
        .await
}

/// Prepares partitions, and, if `keep` is set, drops history recorded before
/// `now - keep`.
pub async fn run_round(
    store: &Store,
    keep: Option<Duration>,
    now: Timestamp,
) -> Result<Round, StoreError> {
    let mut round = Round {
        partitions_created: prepare(store, keep, now).await?,
        ..Round::default()
    };
    let Some(keep) = keep else {
        store.refresh_history_horizon().await?;
        return Ok(round);
    };
    let cutoff = now.saturating_sub(keep);
    for id in store.replaying_before(cutoff).await? {
        let stored = match store.load(&id).await {
            Ok(stored) => stored,
            // Soft-deleted: its rows stay until it is purged or restored.
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        match Instance::replayed_snapshot(stored) {
            Ok(snapshot) => {
                if store.pin_snapshot(&id, &snapshot, now).await? {
                    round.snapshots_pinned += 1;
                }
            }
            Err(e) => {
                tracing::error!(instance = %id, error = %e, "cannot replay; its history is kept");
            }
        }
    }
    round.dropped = store.drop_history_before(cutoff).await?;
    store.refresh_history_horizon().await?;
    Ok(round)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_span_an_eighth_of_the_window_and_at_least_a_day() {
        assert_eq!(partition_width(None), 30 * DAY);
        assert_eq!(partition_width(Some(90 * DAY)), 90 * DAY / 8);
        assert_eq!(partition_width(Some(3 * DAY)), DAY);
    }
}
