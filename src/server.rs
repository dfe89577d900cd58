//! Builds the server from its config and runs it until SIGTERM/SIGINT.
//!
//! Start-up failures (a bad setting, an unreachable database, a port taken) come back as
//! one line naming the setting, for `main` to print before exiting non-zero.

use std::sync::Arc;
use std::time::Duration;

use actors::{RestartPolicy, RuntimeConfig};
use arc_swap::ArcSwap;
use metrics_exporter_prometheus::PrometheusBuilder;
use tokio::net::TcpListener;

use crate::admin::{self, Admin, Sampler};
use crate::api_key;
use crate::cluster::{Budgets, Cluster, Residents};
use crate::config::{Config, Loaded};
use crate::http::auth::Authenticator;
use crate::http::quota::Quotas;
use crate::http::rate_limit::RateLimits;
use crate::http::shutdown::Shutdown;
use crate::http::{self, AppState, Services};
use crate::ids::{AccountId, KeyId};
use crate::instance::StoreJournal;
use crate::reload::{self, Reloader, SwapLogFilter};
use crate::store::{Store, StoreOptions};
use crate::timestamp::Timestamp;

/// A start-up failure, already phrased for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// The plan of keys the server makes for itself (bootstrap, first start).
pub const BOOTSTRAP_PLAN: &str = "unlimited";

pub fn store_options(config: &Config) -> StoreOptions {
    let db = &config.database;
    StoreOptions {
        max_connections: db.max_connections,
        acquire_timeout: Duration::from_millis(db.acquire_timeout_ms),
        group_commit_max_rows: db.group_commit_max_rows,
        group_commit_linger: Duration::from_millis(db.group_commit_linger_ms),
        group_commits_in_flight: db.group_commits_in_flight,
        writer_queue: db.writer_queue,
        durability: db.durability,
        ..StoreOptions::default()
    }
}

pub fn runtime_config(config: &Config) -> RuntimeConfig {
    let a = &config.actors;
    RuntimeConfig {
        throttle_interval: config.min_cycle_interval(),
        idle_timeout: Duration::from_millis(a.idle_timeout_ms),
        max_resident: a.max_resident,
        passivations_per_second: a.passivations_per_second,
        mailbox_capacity: a.mailbox_capacity,
        restart: RestartPolicy {
            max_restarts: a.restart_max,
            window: Duration::from_millis(a.restart_window_ms),
            backoff: Duration::from_millis(a.restart_backoff_ms),
        },
        drain_concurrency: 64,
    }
}

/// Connects to the configured database and applies migrations.
pub async fn open_store(config: &Config) -> Result<Store, StartError> {
    Store::open(&config.database.url, &store_options(config))
        .await
        .map_err(|e| {
            StartError(format!(
                "database.url ({}): cannot open the database: {e}",
                crate::config::redact_url(&config.database.url)
            ))
        })
}

/// Runs the server until a shutdown signal, then drains. `log_filter` lets a reload
/// change the log filter.
pub async fn serve(loaded: Loaded, log_filter: Option<SwapLogFilter>) -> Result<(), StartError> {
    let Loaded { config, settings } = loaded;
    let addr = config.bind_addr().map_err(|e| StartError(e.to_string()))?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| StartError(format!("server.bind ({addr}): cannot listen: {e}")))?;
    let admin_listener = match config.admin_addr().map_err(|e| StartError(e.to_string()))? {
        Some(addr) => Some(admin::bind(addr).await.map_err(StartError)?),
        None => None,
    };
    // With an admin listener, the status page's recorder sits beside Prometheus'.
    let figures = admin_listener
        .as_ref()
        .map(|_| Arc::new(admin::Figures::default()));
    let metrics = install_metrics(figures.clone())?;
    let store = open_store(&config).await?;
    ensure_a_key(&store, &config).await?;
    crate::retention::prepare(&store, config.history_retention(), Timestamp::now())
        .await
        .map_err(|e| StartError(format!("database: cannot create history partitions: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| StartError(format!("server.bind: {e}")))?;
    let cluster = join_cluster(&config, local).await?;

    let instances = actors::Runtime::start(
        StoreJournal {
            store: store.clone(),
            cluster: cluster.clone(),
        },
        runtime_config(&config),
    )
    .await
    .map_err(|e| StartError(format!("actors: cannot start the runtime: {e}")))?;
    let shutdown = Shutdown::default();
    let auth = Arc::new(Authenticator::new(store.clone()));
    // Cluster mode: rate limits and quotas shared by every node.
    let budgets = match (store.backend(), &cluster) {
        (crate::store::Backend::Postgres(pool), Some(_)) => {
            Some(Arc::new(Budgets::new(pool.clone())))
        }
        _ => None,
    };
    tokio::spawn(auth.clone().listen(shutdown.clone()));
    let state = AppState::new(Services {
        auth,
        rate_limits: Arc::new(RateLimits::new(&config.plans, budgets.clone())),
        quotas: Arc::new(Quotas::new(store.clone(), &config.plans, budgets.clone())),
        store: store.clone(),
        metrics,
        shutdown: shutdown.clone(),
        config: ArcSwap::from_pointee(config.clone()),
        openapi: Default::default(),
        instances: instances.clone(),
        cluster: cluster.clone(),
    });
    spawn_housekeeping(&state);
    let reloader = Arc::new(Reloader::new(state.clone(), settings, log_filter));
    tokio::spawn(reload::on_sighup(reloader.clone()));
    let admin_addr = match (admin_listener, figures) {
        (Some(listener), Some(figures)) => {
            let sampler = Arc::new(Sampler::new(figures));
            tokio::spawn({
                let (sampler, instances, shutdown) =
                    (sampler.clone(), instances.clone(), shutdown.clone());
                async move { sampler.run(instances, shutdown).await }
            });
            let local = listener.local_addr().ok();
            let parts = admin::Parts {
                app: state.clone(),
                reloader,
                sampler,
            };
            tokio::spawn(admin::serve(
                listener,
                Admin::new(parts),
                config.admin.token.clone(),
                shutdown.clone(),
            ));
            local
        }
        _ => None,
    };
    // The leases outlive the drain: they stop after the shards were handed over.
    let leases_stop = Shutdown::default();
    let coordinator = cluster.as_ref().map(|cluster| {
        let residents: Arc<dyn Residents> = Arc::new(instances.clone());
        tokio::spawn(crate::cluster::run(
            cluster.clone(),
            residents,
            leases_stop.clone(),
        ))
    });

    tracing::info!(
        address = %local,
        admin = admin_addr.map(tracing::field::display),
        database = store.backend().name(),
        node = cluster.as_ref().map(|c| c.name()),
        "serving"
    );
    let app = http::router(state);
    let deadline = Duration::from_millis(config.server.shutdown_deadline_ms);
    let signal_shutdown = shutdown.clone();
    let grace = Duration::from_millis(config.cluster.drain_grace_ms);
    let leaving = cluster.clone().map(|c| (c, instances.clone()));
    tokio::spawn(async move {
        wait_for_signal().await;
        // A cluster node first leaves the load balancer's rotation and keeps serving for
        // the grace, so that nothing new is sent to a connection it is about to close;
        // then it hands its shards over while it still listens (requests that come meanwhile
        // are forwarded to the new owners), and only then stops listening.
        if let Some((cluster, instances)) = leaving {
            tracing::info!(
                grace_ms = grace.as_millis() as u64,
                "shutdown signal: leaving the rotation"
            );
            signal_shutdown.leave_rotation();
            tokio::time::sleep(grace).await;
            if tokio::time::timeout(deadline, cluster.leave(&instances))
                .await
                .is_err()
            {
                tracing::warn!("handing the shards over outlived the shutdown deadline");
            }
        }
        tracing::info!("shutdown signal: draining");
        signal_shutdown.begin();
    });
    let mut served = std::pin::pin!(http::conn::serve(
        listener,
        app,
        conn_limits(&config),
        shutdown.clone(),
    ));
    // The deadline runs from the shutdown signal, not from the start.
    tokio::select! {
        () = &mut served => {}
        () = shutdown.wait() => {
            if tokio::time::timeout(deadline, &mut served).await.is_err() {
                tracing::warn!("in-flight requests outlived the shutdown deadline");
            }
        }
    }
    if cluster.is_some() {
        // The shards were handed over before draining (above).
        leases_stop.begin();
        if let Some(coordinator) = coordinator {
            let _ = coordinator.await;
        }
        if let Some(budgets) = &budgets {
            budgets.return_unused().await;
        }
    }
    // Every resident instance writes its snapshot before the store closes.
    let drained = tokio::time::timeout(deadline, instances.shutdown()).await;
    if drained.is_err() {
        tracing::warn!("passivating every instance outlived the shutdown deadline");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Installs the Prometheus recorder (`/metrics`), and beside it, through a fanout, the
/// admin status page's recorder when there is one; starts the exporter's upkeep.
fn install_metrics(
    figures: Option<Arc<admin::Figures>>,
) -> Result<metrics_exporter_prometheus::PrometheusHandle, StartError> {
    let fail = |e: &dyn std::fmt::Display| {
        StartError(format!("metrics: cannot install the recorder: {e}"))
    };
    let prometheus = PrometheusBuilder::new().build_recorder();
    let handle = prometheus.handle();
    match figures {
        None => metrics::set_global_recorder(prometheus).map_err(|e| fail(&e))?,
        Some(figures) => metrics::set_global_recorder(
            metrics_util::layers::FanoutBuilder::default()
                .add_recorder(prometheus)
                .add_recorder(admin::Recorder(figures))
                .build(),
        )
        .map_err(|e| fail(&e))?,
    }
    // The exporter keeps every histogram sample until it is drained, by a scrape of
    // /metrics or by upkeep: without a scraper the server grew 3.4 MB a minute at
    // 1 500 req/s (the soak in BENCHMARKS.md). Upkeep drains them into the summaries.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(METRICS_UPKEEP);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// How often the metrics exporter's histogram samples are drained without a scrape.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Cluster mode: joins the cluster as `cluster.node_id`, reachable at
/// `cluster.advertise` or else the address the listener got.
async fn join_cluster(
    config: &Config,
    local: std::net::SocketAddr,
) -> Result<Option<Arc<Cluster>>, StartError> {
    if !config.cluster.enabled() {
        return Ok(None);
    }
    let addr = if config.cluster.advertise.is_empty() {
        local.to_string()
    } else {
        config.cluster.advertise.clone()
    };
    let cluster = Cluster::join(&config.cluster, &config.database.url, addr)
        .await
        .map_err(|e| StartError(format!("cluster: cannot join on the database: {e}")))?;
    Ok(Some(cluster))
}

/// The listener's bounds, warning when the open-file limit cannot hold the connections.
fn conn_limits(config: &Config) -> http::conn::ConnLimits {
    let server = &config.server;
    let limits = http::conn::ConnLimits {
        max_connections: server.max_connections,
        header_timeout: Duration::from_millis(server.header_timeout_ms),
        idle_timeout: Duration::from_millis(server.idle_timeout_ms),
        max_head_bytes: server.max_head_bytes,
        max_uri_bytes: server.max_uri_bytes,
    };
    // Besides connections: the database pool, the overflow, files, a margin.
    let needed = server.max_connections
        + http::conn::OVERFLOW
        + config.database.max_connections as usize
        + 64;
    if let Some(open_files) = open_file_limit()
        && needed > open_files
    {
        tracing::warn!(
            server.max_connections,
            open_files,
            "server.max_connections with the database pool exceeds the open-file limit \
             (ulimit -n): past it new connections fail at accept; raise the limit or lower \
             the setting"
        );
    }
    limits
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Background tasks: forget idle rate-limit keys, purge expired deletions, history
/// retention.
fn spawn_housekeeping(state: &AppState) {
    let limits = state.rate_limits.clone();
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => limits.forget_idle().await,
                _ = shutdown.wait() => break,
            }
        }
    });
    let state = state.clone();
    tokio::spawn(async move {
        // Checked every second against the settings in force (retention is live), so a
        // shorter interval set by a reload applies within a second.
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut last_purge: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = state.shutdown.wait() => break,
            }
            let config = state.config.load_full();
            let every = Duration::from_millis(config.retention.purge_interval_ms.max(1000));
            if last_purge.is_some_and(|at| at.elapsed() < every) {
                continue;
            }
            last_purge = Some(tokio::time::Instant::now());
            // A cluster node purges the instances of the shards it serves.
            let fence_of = |id: &crate::ids::InstanceId| match &state.cluster {
                None => Some(None),
                Some(c) => c.fence(id).ok().map(Some),
            };
            let purged = state
                .store
                .purge_expired(Timestamp::now(), config.retention(), 1000, fence_of)
                .await;
            match purged {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "purged expired deleted instances"),
                Err(e) => tracing::warn!(error = %e, "purge of expired instances failed"),
            }
            let keep = config.history_retention();
            match crate::retention::run_round(&state.store, keep, Timestamp::now()).await {
                Ok(round) if round == crate::retention::Round::default() => {}
                Ok(round) => tracing::info!(?round, "history retention"),
                Err(e) => tracing::warn!(error = %e, "history retention failed"),
            }
        }
    });
}

/// Makes sure a client can authenticate: the configured bootstrap key exists, or, on a
/// database without keys, a new key is created and printed once on stdout.
async fn ensure_a_key(store: &Store, config: &Config) -> Result<(), StartError> {
    let fail = |e: crate::store::StoreError| StartError(format!("auth: cannot set up keys: {e}"));
    let key = &config.auth.bootstrap_key;
    if !key.is_empty() {
        let hash = api_key::hash(key);
        if !store.key_exists(&hash).await.map_err(fail)? {
            create_key(store, BOOTSTRAP_PLAN, &hash, "bootstrap")
                .await
                .map_err(fail)?;
            tracing::info!("bootstrap key registered");
        }
        return Ok(());
    }
    if store.list_keys().await.map_err(fail)?.is_empty() {
        let key = api_key::generate();
        create_key(store, BOOTSTRAP_PLAN, &api_key::hash(&key), "first start")
            .await
            .map_err(fail)?;
        println!("Identity OS API key (shown once, plan {BOOTSTRAP_PLAN}): {key}");
    }
    Ok(())
}

/// A new account on `plan` with one key of the given hash.
pub async fn create_key(
    store: &Store,
    plan: &str,
    hash: &str,
    label: &str,
) -> Result<crate::store::KeyRecord, crate::store::StoreError> {
    store
        .create_account_with_key(
            &AccountId::generate(),
            plan,
            &KeyId::generate(),
            hash,
            label,
            Timestamp::now(),
        )
        .await
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
