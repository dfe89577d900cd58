//! Once a second, the server's figures into a ring of the last 10 minutes: the rates of
//! `GET /admin/actors` and the status page's charts come from it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actors::Counts;

use super::recorder::Figures;
use super::window::Summary;
use crate::http::routes::calls::Instances;
use crate::http::shutdown::Shutdown;

/// Ten minutes of one-second samples.
pub const KEPT: usize = 600;

/// One second of the server.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: SystemTime,
    pub resident: usize,
    /// Totals since start (rates are differences of consecutive samples).
    pub counts: Counts,
    /// Within this second: request durations (µs), group-commit durations (µs),
    /// appends per group commit, mailbox depths.
    pub requests: Summary,
    pub commits: Summary,
    pub batch_jobs: Summary,
    pub mailbox_depth: Summary,
}

pub struct Sampler {
    figures: Arc<Figures>,
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
    pub fn new(figures: Arc<Figures>) -> Sampler {
        Sampler {
            figures,
            samples: Mutex::new(VecDeque::with_capacity(KEPT)),
        }
    }

    /// Samples every second until `shutdown`.
    pub async fn run(&self, instances: Instances, shutdown: Shutdown) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.wait() => return,
            }
            let f = &self.figures;
            self.record(Sample {
                at: SystemTime::now(),
                resident: instances.resident_count(),
                counts: instances.counts(),
                requests: f.requests.take(),
                commits: f.commits.take(),
                batch_jobs: f.batch_jobs.take(),
                mailbox_depth: f.mailbox_depth.take(),
            });
        }
    }

    fn record(&self, sample: Sample) {
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        if samples.len() == KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    /// Every sample kept, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        samples.iter().copied().collect()
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
