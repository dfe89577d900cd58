//! Once a second, the runtime's figures into a ring of the last 10 minutes: rates for
//! `GET /admin/actors` come from it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use actors::Counts;

use crate::http::routes::calls::Instances;
use crate::http::shutdown::Shutdown;

/// Ten minutes of one-second samples.
const KEPT: usize = 600;

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: SystemTime,
    pub counts: Counts,
}

#[derive(Default)]
pub struct Sampler {
    samples: Mutex<VecDeque<Sample>>,
}

/// Per-second rates over a span of samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Rates {
    pub activations: f64,
    pub passivations: f64,
    pub restarts: f64,
    pub throttled: f64,
}

impl Sampler {
    /// Samples `instances` every second until `shutdown`.
    pub async fn run(&self, instances: Instances, shutdown: Shutdown) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => self.record(Sample {
                    at: SystemTime::now(),
                    counts: instances.counts(),
                }),
                () = shutdown.wait() => return,
            }
        }
    }

    fn record(&self, sample: Sample) {
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if samples.len() == KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// Rates over the last `secs` seconds sampled (fewer just after start; zero before
    /// two samples exist).
    pub fn rates(&self, secs: usize) -> Rates {
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let (Some(last), Some(first)) = (
            samples.back(),
            samples.get(samples.len().saturating_sub(secs + 1)),
        ) else {
            return Rates::default();
        };
        let span = last
            .at
            .duration_since(first.at)
            .unwrap_or_default()
            .as_secs_f64();
        if span <= 0.0 {
            return Rates::default();
        }
        let per_second = |new: u64, old: u64| new.saturating_sub(old) as f64 / span;
        let (n, o) = (last.counts, first.counts);
        Rates {
            activations: per_second(n.activations, o.activations),
            passivations: per_second(n.passivations, o.passivations),
            restarts: per_second(n.restarts, o.restarts),
            throttled: per_second(n.throttled, o.throttled),
        }
    }
}
