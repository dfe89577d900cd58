//! The two ways of sending load: closed loop (a fixed number of connections, each sending
//! its next request when the last one is answered) and open loop (a fixed rate, whatever
//! the answers do; latency counts from when a request was due, so a slow server cannot
//! hide its queueing — no coordinated omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::client::Client;
use crate::stats::Stats;
use crate::workload::Workload;

/// When a run stops: after `requests`, or at `duration`, whichever comes first.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub requests: u64,
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Closed { connections: usize },
    Open { rate: u64, max_in_flight: usize },
}

pub async fn run<W: Workload>(client: &Client, work: &Arc<W>, mode: Mode, limit: Limit) -> Stats {
    let done = Arc::new(AtomicU64::new(0));
    let progress = tokio::spawn(show_progress(done.clone(), limit));
    let started = Instant::now();
    let mut stats = match mode {
        Mode::Closed { connections } => closed(client, work, connections, limit, &done).await,
        Mode::Open {
            rate,
            max_in_flight,
        } => open(client, work, rate, max_in_flight, limit, &done).await,
    };
    stats.elapsed = started.elapsed();
    progress.abort();
    eprintln!();
    stats
}

async fn one<W: Workload>(client: &Client, work: &W, n: u64, due: Instant, stats: &mut Stats) {
    let call = work.call(n);
    match client.send(&call).await {
        Ok(answer) => {
            stats.record(answer.status.as_u16(), due.elapsed());
            match work.check(&call, &answer) {
                Ok(tag) => stats.tag(tag),
                Err(why) => stats.fail(why),
            }
        }
        Err(e) => stats.fail(format!("transport: {e}")),
    }
}

async fn closed<W: Workload>(
    client: &Client,
    work: &Arc<W>,
    connections: usize,
    limit: Limit,
    done: &Arc<AtomicU64>,
) -> Stats {
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + limit.duration;
    let workers: Vec<_> = (0..connections.max(1))
        .map(|_| {
            let (client, work, next, done) =
                (client.clone(), work.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                let mut stats = Stats::default();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= limit.requests || Instant::now() >= deadline {
                        return stats;
                    }
                    one(&client, &*work, n, Instant::now(), &mut stats).await;
                    done.fetch_add(1, Ordering::Relaxed);
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

async fn open<W: Workload>(
    client: &Client,
    work: &Arc<W>,
    rate: u64,
    max_in_flight: usize,
    limit: Limit,
    done: &Arc<AtomicU64>,
) -> Stats {
    let total = Arc::new(Mutex::new(Stats::default()));
    let slots = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let period = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let started = Instant::now();
    for n in 0..limit.requests {
        let due = started + period.mul_f64(n as f64);
        if due >= started + limit.duration {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let (client, work, total, done) =
            (client.clone(), work.clone(), total.clone(), done.clone());
        tokio::spawn(async move {
            let mut stats = Stats::default();
            one(&client, &*work, n, due, &mut stats).await;
            done.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut total) = total.lock() {
                total.merge(&stats);
            }
            drop(slot);
        });
    }
    // Every request has finished once every slot is free again.
    let _ = slots.acquire_many(max_in_flight.max(1) as u32).await;
    let mut merged = Stats::default();
    if let Ok(total) = total.lock() {
        merged.merge(&total);
    }
    merged
}

/// One line on stderr, rewritten every second: answers so far and the current rate.
async fn show_progress(done: Arc<AtomicU64>, limit: Limit) {
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
            limit.requests,
            limit.duration.as_secs()
        );
        last = now;
    }
}
