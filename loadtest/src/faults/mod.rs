//! `loadtest faults`: the cluster's fault rounds (docs/cluster.md, "Fault rounds").
//!
//! Each round starts a cluster of its own (HAProxy and three nodes on loopback, a fresh
//! PostgreSQL schema), creates `--instances` instances through HAProxy, sends an open
//! loop of `--rate` requests a second through it for `--secs`, injects one fault a third
//! of the way in, and then checks the log against what PostgreSQL holds (`check.rs`).
//! A round passes with no violation and its fault's figure met: after a kill or a pause
//! the node's instances served again within p99 ≤ 8 s; after a 3 s pause no lease
//! changed; after PostgreSQL comes back from a cut, every instance served within
//! p99 ≤ 3 s; through a rolling restart not one request fails, and the first request
//! each new owner serves for an instance waited p99 ≤ 1.5 s (the hand-over). The nodes reach
//! PostgreSQL through a TCP proxy (`proxy.rs`), which the PostgreSQL cut uses.

mod check;
pub mod nodes;
mod probe;
pub mod schema;
mod traffic;

use std::io::Write;
use std::time::{Duration, Instant};

use serde::Serialize;
use sqlx::PgPool;

use crate::client::Client;
use crate::proxy::Proxy;
use crate::scenarios;

use check::Verdict;
use nodes::Cluster;
use schema::Schema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// SIGKILL of node n2.
    Kill,
    /// SIGSTOP of n2 for `--pause-secs`, then SIGCONT: it must neither answer nor write
    /// once it resumes.
    Pause,
    /// SIGTERM and start again of every node in turn, each once the last is serving.
    Restart,
    /// SIGSTOP of n2 for 3 s, then SIGCONT: shorter than its validity, so no lease may
    /// change hands.
    BriefPause,
    /// Every node's connections to PostgreSQL cut for `--cut-secs` (a TCP proxy between
    /// them): service must be back within 3 s of PostgreSQL's return.
    PgCut,
    /// SIGKILL of n2 holding a third of many instances (`--instances 10000`), each read
    /// at once by the probes: the survivors activate them at their bounded rate
    /// (`--activations-per-second`), refuse the rest with 503 only, and serve all
    /// within 20 s.
    Storm,
}

/// What a cluster on loopback is started from (`faults` and `hops`).
pub struct Setup {
    pub server_bin: String,
    pub haproxy_config: String,
    /// A PostgreSQL database where a run may create and drop schemas.
    pub admin_url: String,
    pub key: String,
}

pub struct Plan {
    pub cluster: Setup,
    pub fault: Fault,
    pub rounds: u32,
    pub instances: usize,
    pub rate: u64,
    pub secs: u64,
    pub pause_secs: u64,
    pub cut_secs: u64,
    /// The nodes' `cluster.activations_per_second`, if not their default.
    pub activations_per_second: Option<u32>,
    /// The request log of every round, as JSON lines.
    pub log: Option<std::path::PathBuf>,
    /// A directory for the nodes' logs (`round<N>-<node>.log`, at `info`).
    pub node_logs: Option<std::path::PathBuf>,
}

/// One round's figures.
#[derive(Debug, Serialize)]
pub struct Round {
    pub fault: Fault,
    pub verdict: Verdict,
    pub recovery_p50_ms: Option<f64>,
    pub recovery_p99_ms: Option<f64>,
    pub recovery_max_ms: Option<f64>,
    /// Why the round failed, if it did.
    pub failures: Vec<String>,
}

pub async fn run(plan: &Plan) -> Result<Vec<Round>, String> {
    let admin = PgPool::connect(&plan.cluster.admin_url)
        .await
        .map_err(|e| format!("{}: {e}", plan.cluster.admin_url))?;
    let mut rounds = Vec::new();
    for n in 0..plan.rounds {
        let schema = Schema::create(
            &admin,
            &plan.cluster.admin_url,
            format!("faults_{}_{n}", std::process::id()),
        )
        .await?;
        let logs = plan
            .node_logs
            .as_ref()
            .map(|dir| dir.join(format!("round{}", n + 1)));
        let outcome = round(plan, &schema.url, logs.as_deref()).await;
        schema.drop(&admin).await;
        let round = outcome?;
        eprintln!(
            "round {}/{}: {} answers, {} errors, {} violations, recovery p99 {:?} ms",
            n + 1,
            plan.rounds,
            round.verdict.statuses.values().sum::<usize>(),
            round.verdict.errors(),
            round.verdict.violations.len(),
            round.recovery_p99_ms.map(f64::round)
        );
        rounds.push(round);
    }
    Ok(rounds)
}

async fn round(plan: &Plan, url: &str, logs: Option<&std::path::Path>) -> Result<Round, String> {
    // The nodes reach PostgreSQL through a proxy that can cut them off.
    let proxy = Proxy::start(host_port(url)?)
        .await
        .map_err(|e| format!("proxy: {e}"))?;
    let nodes_url = through(url, proxy.port)?;
    let extra: Vec<(String, String)> = plan
        .activations_per_second
        .map(|rate| {
            (
                "IDENTITY_OS_CLUSTER__ACTIVATIONS_PER_SECOND".to_owned(),
                rate.to_string(),
            )
        })
        .into_iter()
        .collect();
    let mut cluster = Cluster::start(
        &plan.cluster.server_bin,
        &plan.cluster.haproxy_config,
        &nodes_url,
        &plan.cluster.key,
        &extra,
        logs,
    )
    .await?;
    let client = Client::new(&cluster.front, Some(plan.cluster.key.clone()), 256)?;
    let ids = scenarios::create_instances(&client, plan.instances).await?;
    // Every instance resident before the fault (read until it answers: the nodes'
    // activation rate may turn some reads away for a while).
    let warmed = probe::until_served(&client, ids.clone(), Instant::now()).await;
    if warmed.served_ms.iter().any(Option::is_none) {
        return Err("some instances could not be read within a minute of their creation".into());
    }
    let length = Duration::from_secs(plan.secs);
    let start = Instant::now();
    let traffic = {
        let (client, ids) = (client.clone(), ids.clone());
        let rate = plan.rate;
        tokio::spawn(async move { traffic::run(&client, &ids, rate, length, start).await })
    };
    let pool = PgPool::connect(url).await.map_err(|e| e.to_string())?;
    tokio::time::sleep(length / 3).await;
    let victim = cluster.nodes[1].name.clone();
    let taken = probe::held_by(&pool, &victim, &ids).await?;
    let leases_before = leases(&pool).await?;
    let fault_at = Instant::now();
    // Probed from the moment the node is gone: a read that reached it just before
    // would count as served.
    let probe_from = |client: &Client| {
        let (client, taken) = (client.clone(), taken.clone());
        Some(tokio::spawn(async move {
            probe::until_served(&client, taken, fault_at).await
        }))
    };
    let mut probes = None;
    let survivors = [cluster.nodes[0].addr.clone(), cluster.nodes[2].addr.clone()];
    let activations_before = activations(&survivors).await;
    match plan.fault {
        Fault::Kill | Fault::Storm => {
            cluster.nodes[1].signal("KILL");
            probes = probe_from(&client);
        }
        Fault::Pause => {
            cluster.nodes[1].signal("STOP");
            probes = probe_from(&client);
            tokio::time::sleep(Duration::from_secs(plan.pause_secs)).await;
            cluster.nodes[1].signal("CONT");
        }
        Fault::BriefPause => {
            cluster.nodes[1].signal("STOP");
            tokio::time::sleep(Duration::from_secs(3)).await;
            cluster.nodes[1].signal("CONT");
        }
        Fault::PgCut => {
            proxy.cut();
            tokio::time::sleep(Duration::from_secs(plan.cut_secs)).await;
            proxy.restore();
            // Every instance, from PostgreSQL's return.
            let (client, ids) = (client.clone(), ids.clone());
            let back = Instant::now();
            probes = Some(tokio::spawn(async move {
                probe::until_served(&client, ids, back).await
            }));
        }
        Fault::Restart => {
            for node in &mut cluster.nodes {
                node.stop().await;
                node.start().await?;
            }
        }
    }
    let log = traffic.await.map_err(|e| e.to_string())?;
    if let Some(path) = &plan.log {
        append_log(path, &log)?;
    }
    let mut verdict = check::check(&log, &pool).await?;
    if plan.fault == Fault::Restart {
        verdict.recovery_ms = check::handoff_waits(&log);
    }
    if plan.fault == Fault::BriefPause && leases(&pool).await? != leases_before {
        verdict
            .violations
            .push("a 3 s pause changed shard leases (their holder or epoch)".into());
    }
    pool.close().await;
    if let Some(probes) = probes {
        let probed = probes.await.map_err(|e| e.to_string())?;
        verdict.unrecovered = probed.served_ms.iter().filter(|s| s.is_none()).count();
        verdict.recovery_ms = probed.served_ms.into_iter().flatten().collect();
        verdict.recovery_ms.sort_by(f64::total_cmp);
        verdict.probe_refusals = probed.refusals;
    }
    let activations_after = activations(&survivors).await;
    verdict.activations = activations_after.0.saturating_sub(activations_before.0);
    verdict.activations_refused = activations_after.1.saturating_sub(activations_before.1);
    drop(cluster);
    Ok(judge(plan.fault, verdict))
}

/// Fails the round unless every probed instance was served again, at p99 within
/// `bound_ms`.
fn served_within(verdict: &Verdict, bound_ms: f64, what: &str, failures: &mut Vec<String>) {
    if let Some(p99) = verdict.recovery_quantile(0.99).filter(|p| *p > bound_ms) {
        failures.push(format!("{what}: p99 {p99:.0} ms > {bound_ms:.0} ms"));
    }
    if verdict.unrecovered > 0 {
        failures.push(format!(
            "{} instances never served again",
            verdict.unrecovered
        ));
    }
}

/// Activations the nodes at `addrs` made and refused so far, from their `/metrics`.
async fn activations(addrs: &[String]) -> (u64, u64) {
    let mut total = (0, 0);
    for addr in addrs {
        let Ok(client) = Client::new(&format!("http://{addr}"), None, 1) else {
            continue;
        };
        let Ok(answer) = client.send(&crate::client::Call::get("/metrics")).await else {
            continue;
        };
        let text = String::from_utf8_lossy(&answer.body);
        let value = |name: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().last())
                .and_then(|v| v.parse::<f64>().ok())
                .map_or(0, |v| v as u64)
        };
        total.0 += value("identity_os_actor_activations_total");
        total.1 += value("identity_os_cluster_activations_refused_total");
    }
    total
}

/// `host:port` of a `postgres://` URL.
fn host_port(url: &str) -> Result<String, String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    if authority.contains(':') {
        Ok(authority.to_owned())
    } else if authority.is_empty() {
        Err(format!("{url}: no host"))
    } else {
        Ok(format!("{authority}:5432"))
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> Result<String, String> {
    let authority = host_port(url)?;
    let (host, _) = authority.split_once(':').unwrap_or((&authority, ""));
    let written = if url.contains(&authority) {
        authority.clone()
    } else {
        host.to_owned()
    };
    Ok(url.replacen(&written, &format!("127.0.0.1:{port}"), 1))
}

/// Every shard's holder (without its generation) and epoch.
async fn leases(pool: &PgPool) -> Result<Vec<(i32, Option<String>, i64)>, String> {
    sqlx::query_as(
        "SELECT shard_id, split_part(node_id, '/', 1), epoch FROM shard_lease ORDER BY shard_id",
    )
    .fetch_all(pool)
    .await
    .map_err(|e| format!("reading the leases: {e}"))
}

/// The pass figures of docs/cluster.md.
fn judge(fault: Fault, verdict: Verdict) -> Round {
    let mut failures: Vec<String> = verdict.violations.iter().take(20).cloned().collect();
    let p99 = verdict.recovery_quantile(0.99);
    match fault {
        Fault::Kill | Fault::Pause => served_within(&verdict, 8000.0, "recovery", &mut failures),
        Fault::BriefPause => {}
        Fault::Storm => {
            let max = verdict.recovery_ms.last().copied();
            if max.is_some_and(|m| m > 20_000.0) || verdict.unrecovered > 0 {
                failures.push(format!(
                    "not every instance served within 20 s (max {:?} ms, {} never)",
                    max.map(f64::round),
                    verdict.unrecovered
                ));
            }
            // Answers only: a read that no node answered (0) met the kill itself (a
            // connection to the dead node, HAProxy's retries), not the activation bound.
            if verdict.probe_refusals.keys().any(|s| *s != 503 && *s != 0) {
                failures.push(format!(
                    "refusals other than 503 while activating: {:?}",
                    verdict.probe_refusals
                ));
            }
        }
        Fault::PgCut => served_within(
            &verdict,
            3000.0,
            "service back after PostgreSQL returned",
            &mut failures,
        ),
        Fault::Restart => {
            if let Some(p99) = p99.filter(|p| *p > 1500.0) {
                failures.push(format!("hand-over: p99 {p99:.0} ms > 1500 ms"));
            }
            if verdict.errors() > 0 {
                failures.push(format!(
                    "{} requests failed during the rolling restart: {:?}",
                    verdict.errors(),
                    verdict.statuses
                ));
            }
        }
    }
    Round {
        fault,
        recovery_p50_ms: verdict.recovery_quantile(0.5),
        recovery_p99_ms: p99,
        recovery_max_ms: verdict.recovery_ms.last().copied(),
        verdict,
        failures,
    }
}

fn append_log(path: &std::path::Path, log: &[traffic::Entry]) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in log {
        let line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        writeln!(file, "{line}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The rounds as Markdown.
pub fn markdown(rounds: &[Round]) -> String {
    let mut out = String::from(
        "| round | fault | answers | errors | acknowledged writes | violations | instances taken away | recovery p50 / p99 / max ms | result |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for (i, r) in rounds.iter().enumerate() {
        let fmt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.0}"));
        out.push_str(&format!(
            "| {} | {:?} | {} | {} | {} | {} | {} | {} / {} / {} | {} |\n",
            i + 1,
            r.fault,
            r.verdict.statuses.values().sum::<usize>(),
            r.verdict.errors(),
            r.verdict.acknowledged_writes,
            r.verdict.violations.len(),
            r.verdict.recovery_ms.len() + r.verdict.unrecovered,
            fmt(r.recovery_p50_ms),
            fmt(r.recovery_p99_ms),
            fmt(r.recovery_max_ms),
            if r.failures.is_empty() {
                "pass"
            } else {
                "FAIL"
            }
        ));
    }
    if rounds.iter().any(|r| r.fault == Fault::Restart) {
        out.push_str(
            "\nrestart rounds: \"instances taken away\" counts the requests a shard's new \
             owner served first for their instance, \"recovery\" is how long they waited \
             (the hand-over).",
        );
    }
    for (i, r) in rounds.iter().enumerate() {
        if r.fault == Fault::Storm {
            out.push_str(&format!(
                "\nround {}: the survivors activated {} instances and refused {} activations; \
                 the probes' answers before 200: {:?}",
                i + 1,
                r.verdict.activations,
                r.verdict.activations_refused,
                r.verdict.probe_refusals
            ));
        }
        for f in &r.failures {
            out.push_str(&format!("\nround {}: {f}", i + 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nodes_url_goes_through_the_proxy() {
        let url = "postgres://postgres@127.0.0.1:5432/test?options=-c%20search_path%3Dx";
        assert_eq!(host_port(url), Ok("127.0.0.1:5432".to_owned()));
        assert_eq!(
            through(url, 7000),
            Ok("postgres://postgres@127.0.0.1:7000/test?options=-c%20search_path%3Dx".to_owned())
        );
        assert_eq!(
            through("postgres://db.local/idos", 7000),
            Ok("postgres://127.0.0.1:7000/idos".to_owned())
        );
    }
}
