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

#[derive(Default)]
pub(crate) struct Counters {
    activations: AtomicU64,
    passivations: AtomicU64,
    restarts: AtomicU64,
    throttled: AtomicU64,
}

impl Counters {
    pub(crate) fn activated(&self) {
        metrics::counter!(ACTIVATIONS).increment(1);
        self.activations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn passivated(&self) {
        metrics::counter!(PASSIVATIONS).increment(1);
        self.passivations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn restarted(&self) {
        metrics::counter!(RESTARTS).increment(1);
        self.restarts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        metrics::counter!(THROTTLED).increment(1);
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn read(&self) -> Counts {
        Counts {
            activations: self.activations.load(Ordering::Relaxed),
            passivations: self.passivations.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
        }
    }
}
