//! Sending load in stages: closed loop (a number of connections, each sending its next
//! request when the last one is answered, after the think time) or open loop (a rate,
//! whatever the answers do; latency counts from when a request was due, so a slow server
//! cannot hide its queueing — no coordinated omission). Each stage ramps linearly from
//! the previous stage's target to its own; the first starts at its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::client::Client;
use crate::plan::Stages;
use crate::stats::{Stats, Timeline};
use crate::workload::Workload;

/// How a run sends: its stages, a connection's pause after each answer (closed loop),
/// the most requests in flight (open loop), and the most requests in all.
#[derive(Debug, Clone)]
pub struct Shape {
    pub stages: Stages,
    pub think: Duration,
    pub max_in_flight: usize,
    pub requests: u64,
}

impl Shape {
    pub fn describe(&self) -> String {
        match &self.stages {
            Stages::Closed(s) if s.len() == 1 => format!("closed loop, {} connections", s[0].1),
            Stages::Open(s) if s.len() == 1 => format!("open loop, {} req/s", s[0].1),
            Stages::Closed(_) => format!("closed loop, {}", self.stages.describe()),
            Stages::Open(_) => format!("open loop, {}", self.stages.describe()),
        }
    }
}

/// The target (connections or rate) `elapsed` into `stages`, ramped.
fn target_at(stages: &[(Duration, f64)], elapsed: Duration) -> Option<f64> {
    let mut start = Duration::ZERO;
    let mut from = stages.first()?.1;
    for (length, to) in stages {
        if elapsed < start + *length {
            let share = (elapsed - start).as_secs_f64() / length.as_secs_f64().max(1e-9);
            return Some(from + (to - from) * share);
        }
        start += *length;
        from = *to;
    }
    None
}

pub async fn run<W: Workload>(client: &Client, work: &Arc<W>, shape: &Shape) -> Stats {
    let done = Arc::new(AtomicU64::new(0));
    let progress = tokio::spawn(show_progress(done.clone(), shape.clone()));
    let started = Instant::now();
    let timeline = Timeline::new();
    let mut stats = match &shape.stages {
        Stages::Closed(stages) => {
            let stages: Vec<(Duration, f64)> =
                stages.iter().map(|(d, c)| (*d, *c as f64)).collect();
            closed(client, work, &stages, shape, &done, &timeline).await
        }
        Stages::Open(stages) => {
            let stages: Vec<(Duration, f64)> =
                stages.iter().map(|(d, r)| (*d, *r as f64)).collect();
            open(client, work, &stages, shape, &done, &timeline).await
        }
    };
    stats.elapsed = started.elapsed();
    stats.seconds = timeline.seconds();
    progress.abort();
    eprintln!();
    stats
}

/// What became of one request.
struct Outcome {
    kind: Option<&'static str>,
    /// The answer's status, its latency from when it was due, and its check's verdict;
    /// or why no answer came.
    answer: Result<(u16, Duration, Result<&'static str, String>), String>,
}

async fn one<W: Workload>(client: &Client, work: &W, n: u64, due: Instant) -> Outcome {
    let call = work.call(n);
    let kind = call.kind.map(crate::kinds::Kind::name);
    let answer = match client.send(&call).await {
        Ok(answer) => Ok((
            answer.status.as_u16(),
            due.elapsed(),
            work.check(&call, &answer),
        )),
        Err(e) => Err(format!("transport: {e}")),
    };
    Outcome { kind, answer }
}

fn note(stats: &mut Stats, outcome: Outcome) {
    let kind = outcome.kind;
    match outcome.answer {
        Ok((status, latency, verdict)) => {
            stats.record(kind, status, latency);
            match verdict {
                Ok(tag) => stats.tag(tag),
                Err(why) => stats.fail(kind, why),
            }
        }
        Err(why) => stats.fail(kind, why),
    }
}

/// Connection `i` sends while `i` is below the stage's target now.
async fn closed<W: Workload>(
    client: &Client,
    work: &Arc<W>,
    stages: &[(Duration, f64)],
    shape: &Shape,
    done: &Arc<AtomicU64>,
    timeline: &Arc<Timeline>,
) -> Stats {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let peak = stages
        .iter()
        .map(|(_, c)| *c as usize)
        .max()
        .unwrap_or(1)
        .max(1);
    let workers: Vec<_> = (0..peak)
        .map(|i| {
            let (client, work, next, done) =
                (client.clone(), work.clone(), next.clone(), done.clone());
            let (stages, think, requests) = (stages.to_vec(), shape.think, shape.requests);
            let timeline = timeline.clone();
            tokio::spawn(async move {
                let mut stats = Stats::on(&timeline);
                loop {
                    let Some(target) = target_at(&stages, started.elapsed()) else {
                        stats.flush();
                        return stats;
                    };
                    // Rounded up: a ramp from 0 to 1 sends from its start.
                    if i as f64 >= target.ceil() {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        stats.flush();
                        return stats;
                    }
                    note(&mut stats, one(&client, &*work, n, Instant::now()).await);
                    done.fetch_add(1, Ordering::Relaxed);
                    if !think.is_zero() {
                        tokio::time::sleep(think).await;
                    }
                }
            })
        })
        .collect();
    let mut total = Stats::default();
    for w in workers {
        if let Ok(stats) = w.await {
            total.merge(&stats);
        }
    }
    total
}

/// Requests fall due at the rate of the moment: the next one 1/rate after the last.
async fn open<W: Workload>(
    client: &Client,
    work: &Arc<W>,
    stages: &[(Duration, f64)],
    shape: &Shape,
    done: &Arc<AtomicU64>,
    timeline: &Arc<Timeline>,
) -> Stats {
    // One tally for every request (a lock per answer): a request's own would allocate
    // its histograms each time.
    let total = Arc::new(Mutex::new(Stats::on(timeline)));
    let max_in_flight = shape.max_in_flight.max(1);
    let slots = Arc::new(Semaphore::new(max_in_flight));
    let started = Instant::now();
    let mut offset = Duration::ZERO;
    for n in 0..shape.requests {
        let Some(rate) = target_at(stages, offset) else {
            break;
        };
        let due = started + offset;
        offset += Duration::from_secs_f64(1.0 / rate.max(1e-3));
        tokio::time::sleep_until(due.into()).await;
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let (client, work, total, done) =
            (client.clone(), work.clone(), total.clone(), done.clone());
        tokio::spawn(async move {
            let outcome = one(&client, &*work, n, due).await;
            if let Ok(mut total) = total.lock() {
                note(&mut total, outcome);
            }
            done.fetch_add(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    // Every request has finished once every slot is free again.
    let _ = slots.acquire_many(max_in_flight as u32).await;
    let mut merged = Stats::default();
    if let Ok(mut total) = total.lock() {
        total.flush();
        merged.merge(&total);
    }
    merged
}

/// One line on stderr, rewritten every second: answers so far and the current rate.
async fn show_progress(done: Arc<AtomicU64>, shape: Shape) {
    let started = Instant::now();
    let mut last = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = done.load(Ordering::Relaxed);
        eprint!(
            "\r{:>5.0} s  {now:>9} answered  {:>8} /s  (limit {} requests, {} s)   ",
            started.elapsed().as_secs_f64(),
            now - last,
            shape.requests,
            shape.stages.duration().as_secs()
        );
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_ramp_linearly_from_the_previous_target() {
        let s = |secs| Duration::from_secs(secs);
        let stages = [(s(10), 10.0), (s(10), 30.0), (s(5), 30.0)];
        assert_eq!(target_at(&stages, s(0)), Some(10.0));
        assert_eq!(target_at(&stages, s(9)), Some(10.0));
        assert_eq!(target_at(&stages, s(15)), Some(20.0));
        assert_eq!(target_at(&stages, s(22)), Some(30.0));
        assert_eq!(target_at(&stages, s(25)), None);
    }
}
