//! Storage under load: rows per second committed by the group writer, and the rate at
//! which passivated instances are activated (newest snapshot + replay of the history
//! after it) through the actor runtime.
//!
//! `cargo bench --bench storage -- [N]` against `IDOS_BENCH_DATABASE_URL`
//! (default: the local PostgreSQL `test` database, in a schema of its own that is
//! dropped afterwards; a `sqlite://` URL works too). N instances, default 100 000.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actors::{Runtime, RuntimeConfig};
use identity_os::engine::{EngineVersion, Mode, Observation, Profile, Unit};
use identity_os::ids::{AccountId, InstanceId};
use identity_os::instance::{Command, Input, Instance, StoreJournal};
use identity_os::store::{InstanceMeta, NewInstance, Store, StoreOptions};
use identity_os::timestamp::Timestamp;

/// Concurrent clients creating and appending.
const CONCURRENCY: usize = 64;
/// Concurrent clients hitting passivated instances, as after a restart under traffic.
const ACTIVATING_CLIENTS: usize = 256;

async fn admin(url: &str, sql: &str) {
    let pool = sqlx::PgPool::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query(sql)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pool.close().await;
}

/// Splits `items` over `clients` tasks running `work` on each; returns the wall time.
async fn fan_out<T, F, Fut>(clients: usize, items: Vec<T>, work: F) -> Duration
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let per_task = items.len().div_ceil(clients).max(1);
    let mut chunks = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(per_task).collect::<Vec<_>>());
    }
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let work = work.clone();
            tokio::spawn(async move {
                for item in chunk {
                    work(item).await;
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    started.elapsed()
}

fn input(k: usize) -> Input {
    Input {
        observation: Observation::new(
            Mode::ALL[k % 7],
            Unit::saturating((k % 10) as f64 / 10.0),
            Unit::ONE,
        ),
        context: "{}".into(),
        observed_at: None,
    }
}

async fn run(url: &str, n: usize) {
    let options = StoreOptions {
        max_connections: 16,
        ..StoreOptions::default()
    };
    let store = Store::open(url, &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // As the server does at start: history partitions ahead of the clock (PostgreSQL), so
    // history reads visit as many partitions as a server's do.
    identity_os::retention::prepare(&store, None, Timestamp::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let account = AccountId::generate();
    store
        .create_account(&account, "unlimited", Timestamp::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<InstanceId> = (0..n).map(|_| InstanceId::generate()).collect();

    let took = fan_out(CONCURRENCY, ids.clone(), {
        let (store, account) = (store.clone(), account.clone());
        move |id| {
            let (store, account) = (store.clone(), account.clone());
            async move {
                let new = NewInstance {
                    id,
                    account_id: account,
                    meta: InstanceMeta {
                        name: "bench".into(),
                        ..InstanceMeta::default()
                    },
                    persona: None,
                    engine_version: EngineVersion::LATEST,
                    profile: Profile::DEFAULT,
                    created_at: Timestamp::now(),
                };
                store
                    .create_instance(&new, None)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    })
    .await;
    println!(
        "created {n} instances in {:.1} s ({:.0}/s)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );

    // Group commit: every instance processes 3 single observations, each a separate
    // durable append (64 appenders in parallel), as /process calls would.
    let journal = StoreJournal {
        store: store.clone(),
        cluster: None,
    };
    let rows = Arc::new(AtomicU64::new(0));
    let took = fan_out(CONCURRENCY, ids.clone(), {
        let (store, rows) = (store.clone(), rows.clone());
        move |id| {
            let (store, rows) = (store.clone(), rows.clone());
            async move {
                let loaded = store.load(&id).await.unwrap_or_else(|e| panic!("{e}"));
                let mut instance = Instance::restore(loaded).unwrap_or_else(|e| panic!("{e}"));
                for k in 0..3 {
                    let processed = instance
                        .process(&[input(k)], Timestamp::now(), false, 100)
                        .unwrap_or_else(|e| panic!("{e}"));
                    store
                        .append(processed.append)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    rows.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    })
    .await;
    let rows = rows.load(Ordering::Relaxed);
    println!(
        "group commit: {rows} history rows in {:.1} s = {:.0} rows/s ({CONCURRENCY} concurrent appenders, each waiting for its commit)",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64()
    );

    // Statistics as autovacuum keeps them on a live database. Right after this bulk load
    // they lag, and PostgreSQL plans the activation queries for tables far smaller than
    // they are (measured without this: 2.5–7 k activations/s instead of 12 k).
    if url.starts_with("postgres") && std::env::var_os("IDOS_BENCH_STALE_STATS").is_none() {
        admin(url, "ANALYZE instances, snapshots, history").await;
    }

    // Activation: every instance is passivated (in storage only); read each one through
    // the runtime, which loads snapshot + 3 history rows and replays them.
    let config = RuntimeConfig {
        max_resident: n + 1,
        throttle_interval: Duration::ZERO,
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(journal, config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let took = fan_out(ACTIVATING_CLIENTS, ids.clone(), {
        let (runtime, account) = (runtime.clone(), account.clone());
        move |id| {
            let (runtime, account) = (runtime.clone(), account.clone());
            async move {
                let reply = runtime.call(&id, Command::Read { account }).await;
                assert!(
                    reply.is_ok_and(|r| r.cycle_count == 3),
                    "activation of {id} failed"
                );
            }
        }
    })
    .await;
    println!(
        "activation: {n} passivated instances in {:.2} s = {:.0}/s (snapshot + 3 history rows each, {ACTIVATING_CLIENTS} concurrent clients)",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    let started = Instant::now();
    runtime.shutdown().await;
    let took = started.elapsed();
    println!(
        "passivation: {n} snapshots written in {:.2} s = {:.0}/s",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    store.close().await;
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let base = std::env::var("IDOS_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async move {
        if base.starts_with("postgres") {
            let schema = format!("idos_bench_{}", &InstanceId::generate().as_str()[5..]);
            admin(&base, &format!("CREATE SCHEMA {schema}")).await;
            let sep = if base.contains('?') { '&' } else { '?' };
            run(
                &format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                n,
            )
            .await;
            admin(&base, &format!("DROP SCHEMA {schema} CASCADE")).await;
        } else {
            run(&base, n).await;
        }
    });
}
