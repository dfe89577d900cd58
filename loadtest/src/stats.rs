//! What a run measured: latencies in an HDR histogram, answers by status, failed checks.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

pub struct Stats {
    latency: Histogram<u64>,
    pub by_status: BTreeMap<u16, u64>,
    /// Transport errors and answers that failed the scenario's check, with one example each.
    pub failures: BTreeMap<String, u64>,
    /// Answers by what the scenario's check saw in them (`cycle`, `throttled`, …).
    pub tags: BTreeMap<&'static str, u64>,
    pub elapsed: Duration,
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            // 1 µs to 60 s at 3 significant digits.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3)
                .expect("constant bounds are valid"),
            by_status: BTreeMap::new(),
            failures: BTreeMap::new(),
            tags: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }
}

impl Stats {
    pub fn record(&mut self, status: u16, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let _ = self.latency.record(micros.min(self.latency.high()));
        *self.by_status.entry(status).or_default() += 1;
    }

    pub fn fail(&mut self, why: String) {
        *self.failures.entry(why).or_default() += 1;
    }

    pub fn tag(&mut self, tag: &'static str) {
        *self.tags.entry(tag).or_default() += 1;
    }

    pub fn tagged(&self, tag: &str) -> u64 {
        self.tags.get(tag).copied().unwrap_or(0)
    }

    pub fn merge(&mut self, other: &Stats) {
        let _ = self.latency.add(&other.latency);
        for (s, n) in &other.by_status {
            *self.by_status.entry(*s).or_default() += n;
        }
        for (f, n) in &other.failures {
            *self.failures.entry(f.clone()).or_default() += n;
        }
        for (t, n) in &other.tags {
            *self.tags.entry(t).or_default() += n;
        }
    }

    pub fn answered(&self) -> u64 {
        self.latency.len()
    }

    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    pub fn throughput(&self) -> f64 {
        self.answered() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Latency at quantile `q` (0–1) in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}
