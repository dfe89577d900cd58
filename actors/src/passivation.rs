//! The sweeper: passivates idle actors, and the least recently used ones when the
//! resident set passes its cap.
//!
//! Every call stamps its slot with the time; the sweeper scans the slots periodically
//! (idle ones go) and whenever an activation pushes the resident count over the cap. An
//! over-cap scan passivates the oldest down to 99 % of the cap, so that at a full cache
//! one scan serves many activations instead of one scan per activation.

use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::entity::Entity;
use crate::journal::Journal;
use crate::registry::SlotState;
use crate::runtime::Inner;

/// Runs until the runtime is dropped or shuts down.
pub(crate) async fn sweep<E: Entity, J: Journal<E>>(inner: Weak<Inner<E, J>>) {
    let period = match inner.upgrade() {
        Some(i) => {
            (i.config.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(30))
        }
        None => return,
    };
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.closing.load(Ordering::Acquire) {
            return;
        }
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
    pub(crate) async fn sweep_once(&self) {
        let mut live: Vec<(u64, E::Id)> = Vec::new();
        let mut idle: Vec<E::Id> = Vec::new();
        for entry in self.slots.iter() {
            let slot = entry.value();
            let is_live = slot
                .state
                .try_lock()
                .is_ok_and(|s| matches!(*s, SlotState::Live(_)));
            if !is_live {
                continue;
            }
            if self.idle_for(slot) >= self.config.idle_timeout {
                idle.push(entry.key().clone());
            } else {
                live.push((slot.last_used.load(Ordering::Relaxed), entry.key().clone()));
            }
        }
        for id in &idle {
            self.passivate(id).await;
        }
        let cap = self.config.max_resident;
        let resident = self.resident.load(Ordering::Acquire);
        if resident > cap {
            let low_water = cap - cap / 100;
            let excess = (resident - low_water).min(live.len());
            if excess > 0 {
                live.select_nth_unstable_by_key(excess - 1, |(used, _)| *used);
                live.truncate(excess);
                for (_, id) in &live {
                    self.passivate(id).await;
                }
            }
        }
    }
}
