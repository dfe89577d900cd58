//! The per-entity throttle, checked inside the entity's actor.
//!
//! Why in the actor: the actor applies one command at a time, so "was there a cycle in
//! the last interval?" is answered without races however many calls arrive at once —
//! N concurrent cycle calls inside one interval yield exactly one cycle. The clock is
//! tokio's monotonic `Instant` (wall-clock jumps cannot open or close the throttle;
//! tests can pause it). The interval is passed in at every check: it is a live setting.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

pub(crate) struct Throttle {
    last_cycle: Option<Instant>,
}

impl Throttle {
    /// A throttle for a freshly activated entity whose newest cycle happened at wall
    /// time `last_cycle_at`: a cycle right after a passivation or restart is still
    /// throttled. A cycle from before the monotonic clock's range throttles nothing.
    pub(crate) fn new(last_cycle_at: Option<SystemTime>) -> Throttle {
        let now = Instant::now();
        let last_cycle = last_cycle_at.and_then(|at| {
            let ago = SystemTime::now()
                .duration_since(at)
                .unwrap_or(Duration::ZERO);
            now.checked_sub(ago)
        });
        Throttle { last_cycle }
    }

    pub(crate) fn allows(&self, now: Instant, interval: Duration) -> bool {
        self.last_cycle
            .is_none_or(|last| now.duration_since(last) >= interval)
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
        let second = Duration::from_secs(1);
        let mut t = Throttle::new(None);
        let start = Instant::now();
        assert!(t.allows(start, second));
        t.record(start);
        assert!(!t.allows(start, second));
        assert!(!t.allows(start + Duration::from_millis(999), second));
        assert!(t.allows(start + second, second));
        // A shorter interval set live applies to the very next check.
        assert!(t.allows(
            start + Duration::from_millis(200),
            Duration::from_millis(200)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_recent_cycle_before_activation_still_counts() {
        let second = Duration::from_secs(1);
        let recent = SystemTime::now() - Duration::from_millis(300);
        let t = Throttle::new(Some(recent));
        assert!(!t.allows(Instant::now(), second));
        assert!(t.allows(Instant::now() + Duration::from_millis(700), second));
        let old = SystemTime::now() - Duration::from_secs(5);
        assert!(Throttle::new(Some(old)).allows(Instant::now(), second));
    }
}
