//! The per-entity throttle, checked inside the entity's actor.
//!
//! Why in the actor: the actor applies one command at a time, so "was there a cycle in
//! the last interval?" is answered without races however many calls arrive at once —
//! N concurrent cycle calls inside one interval yield exactly one cycle. The clock is
//! tokio's monotonic `Instant` (wall-clock jumps cannot open or close the throttle;
//! tests can pause it).

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

pub(crate) struct Throttle {
    interval: Duration,
    last_cycle: Option<Instant>,
}

impl Throttle {
    /// A throttle for a freshly activated entity whose newest cycle happened at wall
    /// time `last_cycle_at`: a cycle right after a passivation or restart is still
    /// throttled.
    pub(crate) fn new(interval: Duration, last_cycle_at: Option<SystemTime>) -> Throttle {
        let now = Instant::now();
        let last_cycle = last_cycle_at.and_then(|at| {
            let ago = SystemTime::now()
                .duration_since(at)
                .unwrap_or(Duration::ZERO);
            (ago < interval).then(|| now.checked_sub(ago).unwrap_or(now))
        });
        Throttle {
            interval,
            last_cycle,
        }
    }

    pub(crate) fn allows(&self, now: Instant) -> bool {
        self.last_cycle
            .is_none_or(|last| now.duration_since(last) >= self.interval)
    }

    pub(crate) fn record(&mut self, now: Instant) {
        self.last_cycle = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_cycle_per_interval() {
        let mut t = Throttle::new(Duration::from_secs(1), None);
        let start = Instant::now();
        assert!(t.allows(start));
        t.record(start);
        assert!(!t.allows(start));
        assert!(!t.allows(start + Duration::from_millis(999)));
        assert!(t.allows(start + Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_recent_cycle_before_activation_still_counts() {
        let recent = SystemTime::now() - Duration::from_millis(300);
        let t = Throttle::new(Duration::from_secs(1), Some(recent));
        assert!(!t.allows(Instant::now()));
        assert!(t.allows(Instant::now() + Duration::from_millis(700)));
        let old = SystemTime::now() - Duration::from_secs(5);
        assert!(Throttle::new(Duration::from_secs(1), Some(old)).allows(Instant::now()));
    }
}
