//! What the runtime reports: Prometheus metrics (through the `metrics` facade; the server
//! installs the exporter) and the same totals as plain counters, which the server's
//! admin port samples into rates ([`Runtime::counts`](crate::Runtime::counts)).

use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) const ACTIVE: &str = "identity_os_actors_active";
const ACTIVATIONS: &str = "identity_os_actor_activations_total";
const PASSIVATIONS: &str = "identity_os_actor_passivations_total";
const RESTARTS: &str = "identity_os_actor_restarts_total";
const THROTTLED: &str = "identity_os_throttled_calls_total";

/// Totals since the runtime started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub activations: u64,
    pub passivations: u64,
    pub restarts: u64,
    pub throttled: u64,
}

/// One total, and its Prometheus counter. The handle is registered once, when the
/// runtime starts (after the server installed its recorder): the `counter!` macro would
/// build and look up its key on every call (600 instructions a throttled call).
struct Total {
    count: AtomicU64,
    metric: metrics::Counter,
}

impl Total {
    fn new(name: &'static str) -> Total {
        Total {
            count: AtomicU64::new(0),
            metric: metrics::counter!(name),
        }
    }

    fn add(&self) {
        self.metric.increment(1);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

pub(crate) struct Counters {
    activations: Total,
    passivations: Total,
    restarts: Total,
    throttled: Total,
}

impl Default for Counters {
    fn default() -> Counters {
        Counters {
            activations: Total::new(ACTIVATIONS),
            passivations: Total::new(PASSIVATIONS),
            restarts: Total::new(RESTARTS),
            throttled: Total::new(THROTTLED),
        }
    }
}

impl Counters {
    pub(crate) fn activated(&self) {
        self.activations.add();
    }

    pub(crate) fn passivated(&self) {
        self.passivations.add();
    }

    pub(crate) fn restarted(&self) {
        self.restarts.add();
    }

    pub(crate) fn throttled(&self) {
        self.throttled.add();
    }

    pub(crate) fn read(&self) -> Counts {
        Counts {
            activations: self.activations.get(),
            passivations: self.passivations.get(),
            restarts: self.restarts.get(),
            throttled: self.throttled.get(),
        }
    }
}
