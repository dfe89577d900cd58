//! Round trips per second through registry → actor → entity → reply, on both cores,
//! against a bare tokio mpsc + oneshot round trip measured in the same run.
//!
//! Both sides run the same load: 64 client tasks, each sending to its own share of
//! 1 024 resident targets in turn. The entity does nothing but count, and its journal
//! persists nothing, so the figure is the runtime's own overhead.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use actors::{Entity, Journal, Outcome, Runtime, RuntimeConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::sync::{mpsc, oneshot};

const TARGETS: u64 = 1024;
const CLIENTS: u64 = 64;

struct Count(u64, u64);

impl Entity for Count {
    type Id = u64;
    type Command = ();
    type Reply = u64;
    type Error = ();
    type Effect = ();
    type Group = ();

    fn id(&self) -> &u64 {
        &self.1
    }
    fn group(&self) -> Option<()> {
        Some(())
    }
    fn admit(&self, _: &()) -> Result<bool, ()> {
        Ok(false)
    }
    fn throttled(&self, _: ()) -> u64 {
        self.0
    }
    fn handle(&mut self, _: (), _: SystemTime) -> Result<Outcome<u64, ()>, ()> {
        self.0 += 1;
        Ok(Outcome {
            reply: self.0,
            effect: None,
            cycled: false,
        })
    }
    fn passivate(&mut self) -> Option<()> {
        None
    }
    fn last_cycle_at(&self) -> Option<SystemTime> {
        None
    }
}

struct Nowhere;

impl Journal<Count> for Nowhere {
    type Error = String;
    async fn load(&self, id: &u64) -> Result<Count, String> {
        Ok(Count(0, *id))
    }
    async fn persist(&self, _: &u64, _: ()) -> Result<(), String> {
        Ok(())
    }
}

/// Runs `total` round trips split over the clients; returns the wall time.
async fn runtime_round_trips(rt: &Runtime<Count, Nowhere>, total: u64) -> Duration {
    let start = Instant::now();
    let per_client = total.div_ceil(CLIENTS);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let rt = rt.clone();
            tokio::spawn(async move {
                for i in 0..per_client {
                    let id = (c + i * CLIENTS) % TARGETS;
                    black_box(rt.call(&id, ()).await.ok());
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    start.elapsed()
}

type Request = oneshot::Sender<u64>;

/// The baseline: one plain task per target owning a counter behind an mpsc.
async fn mpsc_round_trips(targets: &Arc<Vec<mpsc::Sender<Request>>>, total: u64) -> Duration {
    let start = Instant::now();
    let per_client = total.div_ceil(CLIENTS);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let targets = targets.clone();
            tokio::spawn(async move {
                for i in 0..per_client {
                    let id = ((c + i * CLIENTS) % TARGETS) as usize;
                    let (tx, rx) = oneshot::channel();
                    if targets[id].send(tx).await.is_ok() {
                        black_box(rx.await.ok());
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let runtime = rt.block_on(async {
        let config = RuntimeConfig {
            throttle_interval: Duration::ZERO,
            max_resident: 1_000_000,
            mailbox_capacity: 1024,
            ..RuntimeConfig::default()
        };
        let runtime = Runtime::start(Nowhere, config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        runtime_round_trips(&runtime, TARGETS).await; // all resident before measuring
        runtime
    });
    let targets = rt.block_on(async {
        let senders: Vec<_> = (0..TARGETS)
            .map(|_| {
                let (tx, mut rx) = mpsc::channel::<Request>(8);
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while let Some(reply) = rx.recv().await {
                        n += 1;
                        let _ = reply.send(n);
                    }
                });
                tx
            })
            .collect();
        Arc::new(senders)
    });

    let mut group = c.benchmark_group("round_trip");
    group.throughput(Throughput::Elements(1));
    group.bench_function("runtime_call", |b| {
        b.iter_custom(|iters| rt.block_on(runtime_round_trips(&runtime, iters)))
    });
    group.bench_function("bare_mpsc_oneshot", |b| {
        b.iter_custom(|iters| rt.block_on(mpsc_round_trips(&targets, iters)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
