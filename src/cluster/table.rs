//! What this node knows of the shards: the ones it holds (epoch and how long it may
//! still serve them) and, for the others, the owner the lease table last named.
//!
//! The held part is read on every request, so it is one pair of atomics per shard. A
//! shard is served only while `now < valid_until`, on this process's monotonic clock:
//! validity runs from the moment the renewal (or acquisition) that granted it was *sent*,
//! and ends before the lease in PostgreSQL can expire (`validity_ms < lease_ms`), so a
//! node cut off from the database, paused or slow stops serving before another node can
//! take the shard over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use super::shard::SHARDS;

#[derive(Default)]
struct Held {
    /// 0 = not held (epochs start at 1).
    epoch: AtomicU64,
    /// Being handed over: no new request is taken, the ones under way still answer.
    closing: AtomicBool,
    /// Its validity ran out (renewals failed) and its actors were evicted; it stays held,
    /// so that a renewal that finds the lease still ours revives it at once.
    dormant: AtomicBool,
    /// Milliseconds since `ShardTable::base`.
    valid_until: AtomicU64,
}

pub struct ShardTable {
    base: Instant,
    held: Box<[Held]>,
    /// The node id the lease table names for each shard (held or not), for the
    /// owner hint of a misrouted request and for forwarding.
    owners: RwLock<Vec<Option<Arc<str>>>>,
    /// Where each live node is reached.
    addrs: RwLock<HashMap<Arc<str>, Arc<str>>>,
}

impl Default for ShardTable {
    fn default() -> Self {
        ShardTable {
            base: Instant::now(),
            held: (0..SHARDS).map(|_| Held::default()).collect(),
            owners: RwLock::new(vec![None; usize::from(SHARDS)]),
            addrs: RwLock::new(HashMap::new()),
        }
    }
}

impl ShardTable {
    /// Milliseconds on the table's monotonic clock.
    pub fn now(&self) -> u64 {
        self.at(Instant::now())
    }

    pub fn at(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.base).as_millis()).unwrap_or(u64::MAX)
    }

    /// The epoch `shard` is held at, if a new request may be taken for it now.
    pub fn serving(&self, shard: u16) -> Option<u64> {
        let held = self.held.get(usize::from(shard))?;
        if held.closing.load(Ordering::Acquire) {
            return None;
        }
        self.valid(shard)
    }

    /// The epoch `shard` is held at, if an answer made under it may still go out (also
    /// while it is being handed over).
    pub fn valid(&self, shard: u16) -> Option<u64> {
        let held = self.held.get(usize::from(shard))?;
        let epoch = held.epoch.load(Ordering::Acquire);
        (epoch != 0 && self.now() < held.valid_until.load(Ordering::Acquire)).then_some(epoch)
    }

    /// The epoch `shard` is held at, servable or not.
    pub fn held_epoch(&self, shard: u16) -> Option<u64> {
        let epoch = self
            .held
            .get(usize::from(shard))?
            .epoch
            .load(Ordering::Acquire);
        (epoch != 0).then_some(epoch)
    }

    /// Takes no new request for `shard` (its hand-over begins); answers under way go out.
    pub fn close(&self, shard: u16) {
        if let Some(held) = self.held.get(usize::from(shard)) {
            held.closing.store(true, Ordering::Release);
        }
    }

    /// Holds `shard` at `epoch`, servable until `valid_until` (table milliseconds).
    pub fn hold(&self, shard: u16, epoch: u64, valid_until: u64) {
        if let Some(held) = self.held.get(usize::from(shard)) {
            held.valid_until.store(valid_until, Ordering::Release);
            held.closing.store(false, Ordering::Release);
            held.dormant.store(false, Ordering::Release);
            held.epoch.store(epoch, Ordering::Release);
        }
    }

    /// Extends the validity of `shard` if it is still held at `epoch`.
    pub fn extend(&self, shard: u16, epoch: u64, valid_until: u64) {
        if let Some(held) = self.held.get(usize::from(shard))
            && held.epoch.load(Ordering::Acquire) == epoch
        {
            held.valid_until.fetch_max(valid_until, Ordering::AcqRel);
            held.dormant.store(false, Ordering::Release);
        }
    }

    /// Stops serving `shard`.
    pub fn drop_shard(&self, shard: u16) {
        if let Some(held) = self.held.get(usize::from(shard)) {
            held.epoch.store(0, Ordering::Release);
        }
    }

    /// Every held shard with its epoch, servable or not (renewal sends them all).
    pub fn held(&self) -> Vec<(u16, u64)> {
        (0..SHARDS)
            .filter_map(|s| self.held_epoch(s).map(|e| (s, e)))
            .collect()
    }

    /// Held shards whose validity has just run out (renewals failing): no longer
    /// served, each reported once until a renewal revives it.
    pub fn lapsed(&self) -> Vec<u16> {
        let now = self.now();
        self.held()
            .into_iter()
            .filter(|(s, _)| {
                let held = &self.held[usize::from(*s)];
                held.valid_until.load(Ordering::Acquire) <= now
                    && !held.dormant.swap(true, Ordering::AcqRel)
            })
            .map(|(s, _)| s)
            .collect()
    }

    pub fn set_owners(&self, owners: Vec<Option<Arc<str>>>, addrs: HashMap<Arc<str>, Arc<str>>) {
        if let Ok(mut current) = self.owners.write() {
            *current = owners;
        }
        if let Ok(mut current) = self.addrs.write() {
            *current = addrs;
        }
    }

    /// Records what the lease table says of one shard now.
    pub fn set_owner(&self, shard: u16, node: Arc<str>, addr: Arc<str>) {
        if let Ok(mut owners) = self.owners.write()
            && let Some(slot) = owners.get_mut(usize::from(shard))
        {
            *slot = Some(node.clone());
        }
        if let Ok(mut addrs) = self.addrs.write() {
            addrs.insert(node, addr);
        }
    }

    /// Where `node` is reached, if it is live.
    pub fn addr(&self, node: &str) -> Option<Arc<str>> {
        self.addrs.read().ok().and_then(|a| a.get(node).cloned())
    }

    /// The node the lease table last named for `shard`.
    pub fn owner(&self, shard: u16) -> Option<Arc<str>> {
        self.owners
            .read()
            .ok()
            .and_then(|o| o.get(usize::from(shard)).cloned().flatten())
    }
}

/// `d` in whole milliseconds.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_shard_is_served_only_within_its_validity_and_at_its_epoch() {
        let table = ShardTable::default();
        assert_eq!(table.serving(7), None);
        table.hold(7, 3, table.now() + 4000);
        assert_eq!(table.serving(7), Some(3));
        tokio::time::advance(Duration::from_millis(3999)).await;
        assert_eq!(table.serving(7), Some(3));
        // A renewal for an older epoch extends nothing.
        table.extend(7, 2, table.now() + 4000);
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(table.serving(7), None);
        assert_eq!(table.lapsed(), vec![7]);
        // Reported once; a renewal at its epoch revives it.
        assert!(table.lapsed().is_empty());
        table.extend(7, 3, table.now() + 4000);
        assert_eq!(table.serving(7), Some(3));
        table.drop_shard(7);
        assert_eq!(table.serving(7), None);
        assert!(table.held().is_empty());
    }
}
