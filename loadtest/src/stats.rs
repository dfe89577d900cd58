//! What a run measured: latencies in an HDR histogram, answers by status, failed checks;
//! the same latencies and failures by request kind.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// One second of a run: answers, failures, latencies (2 significant digits: a second's
/// histogram is 20 KiB, and a run keeps one per second).
#[derive(Clone)]
pub struct Second {
    pub answered: u64,
    pub failed: u64,
    latency: Histogram<u64>,
}

impl Default for Second {
    fn default() -> Second {
        Second {
            answered: 0,
            failed: 0,
            latency: Histogram::new_with_bounds(1, 60_000_000, 2)
                .expect("constant bounds are valid"),
        }
    }
}

impl Second {
    fn add(&mut self, other: &Second) {
        self.answered += other.answered;
        self.failed += other.failed;
        let _ = self.latency.add(&other.latency);
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

/// The run's seconds, shared by every sender. A sender keeps the second it is in and
/// adds it here when its clock moves on (one lock a second, not one a request).
pub struct Timeline {
    started: Instant,
    seconds: Mutex<Vec<Second>>,
}

impl Timeline {
    pub fn new() -> Arc<Timeline> {
        Arc::new(Timeline {
            started: Instant::now(),
            seconds: Mutex::new(Vec::new()),
        })
    }

    fn add(&self, index: usize, second: &Second) {
        let mut seconds = self.seconds.lock().unwrap_or_else(|p| p.into_inner());
        if seconds.len() <= index {
            seconds.resize_with(index + 1, Second::default);
        }
        seconds[index].add(second);
    }

    /// Every second so far, the first at the timeline's start.
    pub fn seconds(&self) -> Vec<Second> {
        self.seconds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

pub struct Stats {
    latency: Histogram<u64>,
    /// By request kind (`process`, `snapshot`, …), for calls sent as one.
    pub kinds: BTreeMap<&'static str, KindStats>,
    pub by_status: BTreeMap<u16, u64>,
    /// Transport errors and answers that failed the scenario's check, with one example each.
    pub failures: BTreeMap<String, u64>,
    /// Answers by what the scenario's check saw in them (`cycle`, `throttled`, …).
    pub tags: BTreeMap<&'static str, u64>,
    pub elapsed: Duration,
    /// The run second by second (set on the merged total when the run ends).
    pub seconds: Vec<Second>,
    /// Where this sender's seconds go, and the one it is in.
    timeline: Option<(Arc<Timeline>, usize, Second)>,
}

/// One request kind's share of a run.
#[derive(Clone)]
pub struct KindStats {
    latency: Histogram<u64>,
    pub failed: u64,
}

/// 1 µs to 60 s at 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant bounds are valid")
}

fn micros(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, 60_000_000)
}

impl KindStats {
    pub fn answered(&self) -> u64 {
        self.latency.len()
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }
}

impl Default for KindStats {
    fn default() -> KindStats {
        KindStats {
            latency: histogram(),
            failed: 0,
        }
    }
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            latency: histogram(),
            kinds: BTreeMap::new(),
            by_status: BTreeMap::new(),
            failures: BTreeMap::new(),
            tags: BTreeMap::new(),
            elapsed: Duration::ZERO,
            seconds: Vec::new(),
            timeline: None,
        }
    }
}

impl Stats {
    /// Stats whose answers are also counted second by second into `timeline`.
    pub fn on(timeline: &Arc<Timeline>) -> Stats {
        Stats {
            timeline: Some((timeline.clone(), 0, Second::default())),
            ..Stats::default()
        }
    }

    /// The second the clock is in now, after moving this sender's tally there.
    fn this_second(&mut self) -> Option<&mut Second> {
        let (timeline, index, second) = self.timeline.as_mut()?;
        let now = timeline.started.elapsed().as_secs() as usize;
        if now != *index {
            if second.answered + second.failed > 0 {
                timeline.add(*index, second);
            }
            *second = Second::default();
            *index = now;
        }
        Some(second)
    }

    /// Adds the second in progress to the timeline (a sender's last act).
    pub fn flush(&mut self) {
        if let Some((timeline, index, second)) = &mut self.timeline
            && second.answered + second.failed > 0
        {
            timeline.add(*index, second);
            *second = Second::default();
        }
    }

    /// An answer with `status` after `latency`, to a call of `kind` (if it had one).
    pub fn record(&mut self, kind: Option<&'static str>, status: u16, latency: Duration) {
        let us = micros(latency);
        let _ = self.latency.record(us);
        *self.by_status.entry(status).or_default() += 1;
        if let Some(second) = self.this_second() {
            second.answered += 1;
            let _ = second.latency.record(us);
        }
        if let Some(kind) = kind {
            let _ = self.kinds.entry(kind).or_default().latency.record(us);
        }
    }

    /// A failed check or a transport error, of a call of `kind` (if it had one).
    pub fn fail(&mut self, kind: Option<&'static str>, why: String) {
        *self.failures.entry(why).or_default() += 1;
        if let Some(second) = self.this_second() {
            second.failed += 1;
        }
        if let Some(kind) = kind {
            self.kinds.entry(kind).or_default().failed += 1;
        }
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
        for (k, s) in &other.kinds {
            let mine = self.kinds.entry(k).or_default();
            let _ = mine.latency.add(&s.latency);
            mine.failed += s.failed;
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
