//! Memory per resident instance, and the time to activate and passivate them.
//!
//! `cargo run --release --example resident_memory -- MODE N`, MODE one of:
//! - `instances`: N identity instances resident in the actor runtime (the real entity,
//!   its actor, registry slot and engine state; loaded from a journal that builds fresh
//!   instances in memory, so the figure is the resident cost, not the database's);
//! - `ractor`: N bare idle ractor actors (the floor under every actor);
//! - `tokio`: N plain tokio tasks, each owning an `mpsc(8)` receiver.
//!
//! Prints RSS growth per unit (KiB) from `/proc/self/statm`, and for `instances` the
//! activation and passivation (drain) rates.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actors::{Journal, Runtime, RuntimeConfig};
use identity_os::engine::{EngineState, EngineVersion, StressState};
use identity_os::ids::{AccountId, InstanceId};
use identity_os::instance::{Command, Instance};
use identity_os::store::{
    Append, InstanceMeta, InstanceRecord, SnapshotRecord, StoredInstance, Summary,
};
use identity_os::timestamp::Timestamp;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

struct Fresh {
    account: AccountId,
}

impl Journal<Instance> for Fresh {
    type Error = String;

    async fn load(&self, id: &InstanceId) -> Result<Instance, String> {
        let summary = Summary {
            energy_level: 0.8,
            stress_state: StressState::Low,
            stability_index: 0.75,
        };
        let stored = StoredInstance {
            record: InstanceRecord {
                id: id.clone(),
                account_id: self.account.clone(),
                meta: InstanceMeta {
                    name: "bench".into(),
                    metadata: BTreeMap::new(),
                    ..InstanceMeta::default()
                },
                stopped: false,
                persona: None,
                engine_version: EngineVersion::LATEST,
                created_at: Timestamp::now(),
                updated_at: Timestamp::now(),
                cycle_count: 0,
                summary,
            },
            snapshot: SnapshotRecord {
                seq: 0,
                state: EngineState::default(),
                last_cycle_at: None,
                summary,
            },
            tail: Vec::new(),
        };
        Instance::restore(stored).map_err(|e| e.to_string())
    }

    async fn persist(&self, _: &InstanceId, _: Append) -> Result<(), String> {
        Ok(())
    }
}

async fn instances(n: usize) {
    let account = AccountId::generate();
    let config = RuntimeConfig {
        throttle_interval: Duration::ZERO,
        idle_timeout: Duration::from_secs(86_400),
        max_resident: n + 1,
        drain_concurrency: 256,
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(
        Fresh {
            account: account.clone(),
        },
        config,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<InstanceId> = (0..n).map(|_| InstanceId::generate()).collect();
    let before = rss_bytes();
    let started = Instant::now();
    let chunks: Vec<Vec<InstanceId>> = ids
        .chunks(n.div_ceil(64).max(1))
        .map(<[_]>::to_vec)
        .collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let runtime = runtime.clone();
            let account = account.clone();
            tokio::spawn(async move {
                for id in chunk {
                    let read = Command::Read {
                        account: account.clone(),
                    };
                    if runtime.call(&id, read).await.is_err() {
                        panic!("activation of {id} failed");
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let activated = started.elapsed();
    drop(ids);
    let grown = rss_bytes().saturating_sub(before);
    println!(
        "instances: {n} resident, {:.2} KiB each (RSS +{} MiB); activated in {:.2} s = {:.0}/s",
        grown as f64 / n as f64 / 1024.0,
        grown / (1 << 20),
        activated.as_secs_f64(),
        n as f64 / activated.as_secs_f64()
    );
    let started = Instant::now();
    runtime.shutdown().await;
    let drained = started.elapsed();
    println!(
        "instances: passivated {n} in {:.2} s = {:.0}/s",
        drained.as_secs_f64(),
        n as f64 / drained.as_secs_f64()
    );
}

struct Idle;

impl ractor::Actor for Idle {
    type Msg = ();
    type State = ();
    type Arguments = ();
    async fn pre_start(
        &self,
        _: ractor::ActorRef<()>,
        _: (),
    ) -> Result<(), ractor::ActorProcessingErr> {
        Ok(())
    }
}

async fn bare_ractor(n: usize) {
    let before = rss_bytes();
    let mut actors = Vec::with_capacity(n);
    for _ in 0..n {
        let (actor, _) = ractor::Actor::spawn(None, Idle, ())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        actors.push(actor);
    }
    let grown = rss_bytes().saturating_sub(before);
    println!(
        "ractor: {n} idle actors, {:.2} KiB each",
        grown as f64 / n as f64 / 1024.0
    );
    for a in &actors {
        a.stop(None);
    }
}

async fn bare_tokio(n: usize) {
    let before = rss_bytes();
    let mut senders = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(8);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        senders.push(tx);
    }
    tokio::task::yield_now().await;
    let grown = rss_bytes().saturating_sub(before);
    println!(
        "tokio: {n} tasks with mpsc(8), {:.2} KiB each",
        grown as f64 / n as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("instances", String::as_str).to_owned();
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async move {
        match mode.as_str() {
            "instances" => instances(n).await,
            "ractor" => bare_ractor(n).await,
            "tokio" => bare_tokio(n).await,
            other => eprintln!("unknown mode {other}: instances | ractor | tokio"),
        }
    });
}
