//! The sweeper: passivates idle actors, and the least recently used ones when the
//! resident set passes its cap.
//!
//! Every call stamps its slot with the time; the sweeper scans the slots periodically
//! (idle ones go) and whenever an activation pushes the resident count over the cap. An
//! over-cap scan passivates the oldest down to 99 % of the cap, so that at a full cache
//! one scan serves many activations instead of one scan per activation. Over-cap
//! passivations run a wave at a time at no more than `passivations_per_second`, so that a
//! cap lowered by thousands (a live reload) does not flood the store with snapshots.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::entity::Entity;
use crate::journal::Journal;
use crate::registry::SlotState;
use crate::runtime::Inner;

/// Runs until the runtime is dropped or shuts down.
pub(crate) async fn sweep<E: Entity, J: Journal<E>>(inner: Weak<Inner<E, J>>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.closing.load(Ordering::Acquire) {
            return;
        }
        // Read every pass: the idle timeout can change while the runtime runs.
        let period = (strong.tuning.load().idle_timeout / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(30));
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = strong.over_cap.notified() => {}
            _ = strong.stopped.notified() => return,
        }
        strong.sweep_once().await;
    }
}

impl<E: Entity, J: Journal<E>> Inner<E, J> {
    /// One pass: idle actors, then the least recently used beyond the cap.
    pub(crate) async fn sweep_once(self: &Arc<Self>) {
        let tuning = self.tuning.load_full();
        let mut live: Vec<(u64, E::Id)> = Vec::new();
        let mut idle: Vec<E::Id> = Vec::new();
        for entry in self.slots.iter() {
            let slot = entry.value();
            let is_live = slot
                .state
                .try_lock()
                .is_ok_and(|s| matches!(*s, SlotState::Live(..)));
            if !is_live {
                continue;
            }
            if self.idle_for(slot) >= tuning.idle_timeout {
                idle.push(entry.key().clone());
            } else {
                live.push((slot.last_used.load(Ordering::Relaxed), entry.key().clone()));
            }
        }
        for id in &idle {
            self.passivate(id).await;
        }
        let cap = tuning.max_resident;
        let resident = self.resident.load(Ordering::Acquire);
        if resident > cap {
            let low_water = cap - cap / 100;
            let excess = (resident - low_water).min(live.len());
            if excess > 0 {
                live.select_nth_unstable_by_key(excess - 1, |(used, _)| *used);
                live.truncate(excess);
                live.sort_unstable_by_key(|(used, _)| *used);
                let ids = live.into_iter().map(|(_, id)| id).collect();
                self.passivate_paced(
                    ids,
                    tuning.passivations_per_second,
                    tuning.drain_concurrency,
                )
                .await;
            }
        }
    }

    /// Passivates `ids` in order, in concurrent waves of at most `concurrency`, no faster
    /// than `per_second` in all.
    async fn passivate_paced(
        self: &Arc<Self>,
        ids: Vec<E::Id>,
        per_second: u32,
        concurrency: usize,
    ) {
        let per_second = per_second.max(1);
        let wave = (per_second as usize / 10).clamp(1, concurrency.max(1));
        for chunk in ids.chunks(wave) {
            if self.closing.load(Ordering::Acquire) {
                return; // The drain passivates what is left.
            }
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for id in chunk {
                let inner = self.clone();
                let id = id.clone();
                tasks.spawn(async move { inner.passivate(&id).await });
            }
            while tasks.join_next().await.is_some() {}
            let budget = Duration::from_secs_f64(chunk.len() as f64 / f64::from(per_second));
            tokio::time::sleep_until(started + budget).await;
        }
    }
}
