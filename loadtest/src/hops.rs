//! `loadtest hops`: what the cluster's extra hops cost (docs/cluster.md, "Measured").
//!
//! Starts the fault rounds' cluster (three nodes and HAProxy on loopback, a fresh
//! PostgreSQL schema), creates instances through HAProxy and keeps the ones `n1` serves,
//! then sends the `process` scenario to them three ways, in turn, for `--passes` passes:
//! straight to the owner, to `n2` (which forwards each request to `n1`), and through
//! HAProxy (whose shard map sends it to `n1`). Per way: throughput, latency, and the CPU
//! per answer of the three nodes and HAProxy together (`/proc`), and of PostgreSQL; the
//! ratios against going straight to the owner, all from this one run.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::client::{Call, Client};
use crate::cpu;
use crate::driver::{self, Shape};
use crate::faults::Setup;
use crate::faults::nodes::Cluster;
use crate::faults::schema::Schema;
use crate::kinds::Kind;
use crate::plan::Stages;
use crate::report::{Line, Ratio, Report};
use crate::scenarios;
use crate::stats::Stats;

pub struct Plan {
    pub cluster: Setup,
    /// Instances created; about a third land on `n1` and are the ones measured.
    pub instances: usize,
    pub connections: usize,
    pub secs: u64,
    pub passes: u32,
}

/// The three ways to the owner.
const WAYS: [&str; 3] = [
    "direct to the owner",
    "forwarded by another node",
    "through HAProxy",
];

pub async fn run(plan: &Plan) -> Result<Report, String> {
    let admin = PgPool::connect(&plan.cluster.admin_url)
        .await
        .map_err(|e| format!("{}: {e}", plan.cluster.admin_url))?;
    let schema = Schema::create(
        &admin,
        &plan.cluster.admin_url,
        format!("hops_{}", std::process::id()),
    )
    .await?;
    let outcome = measure(plan, &schema.url).await;
    schema.drop(&admin).await;
    outcome
}

async fn measure(plan: &Plan, url: &str) -> Result<Report, String> {
    let cluster = Cluster::start(
        &plan.cluster.server_bin,
        &plan.cluster.haproxy_config,
        url,
        &plan.cluster.key,
        &[],
        None,
    )
    .await?;
    let front = Client::new(&cluster.front, Some(plan.cluster.key.clone()), 64)?;
    let owner = &cluster.nodes[0];
    let ids = served_by(&front, &owner.name, plan.instances).await?;
    eprintln!(
        "{} of {} instances are served by {}",
        ids.len(),
        plan.instances,
        owner.name
    );
    let targets = [
        format!("http://{}", owner.addr),
        format!("http://{}", cluster.nodes[1].addr),
        cluster.front.clone(),
    ];
    let mut pids: Vec<u32> = cluster.nodes.iter().filter_map(|n| n.pid()).collect();
    pids.extend(cluster.haproxy_pid());
    let work = Arc::new(scenarios::mix::Mix::new(
        &[(Kind::Process, 1)],
        ids,
        1,
        None,
        Duration::ZERO,
    ));
    let shape = Shape {
        stages: Stages::Closed(vec![(Duration::from_secs(plan.secs), plan.connections)]),
        think: Duration::ZERO,
        max_in_flight: plan.connections,
        requests: 100_000_000,
    };
    let mut totals: Vec<Totals> = WAYS.iter().map(|_| Totals::default()).collect();
    for pass in 0..plan.passes {
        for (way, target) in targets.iter().enumerate() {
            eprintln!("pass {}: {}…", pass + 1, WAYS[way]);
            let client = Client::new(target, Some(plan.cluster.key.clone()), plan.connections)?;
            let cluster_before = cpu_of(&pids);
            let postgres_before = cpu::of_postgres();
            let stats = driver::run(&client, &work, &shape).await;
            let total = &mut totals[way];
            total.cluster += cpu_of(&pids).saturating_sub(cluster_before);
            total.postgres += cpu::of_postgres()
                .zip(postgres_before)
                .map_or(Duration::ZERO, |(after, before)| {
                    after.saturating_sub(before)
                });
            total.stats.merge(&stats);
            // One after the other: their times add up.
            total.stats.elapsed += stats.elapsed;
        }
    }
    Ok(report(plan, &totals))
}

/// Every way's answers and CPU over all passes.
#[derive(Default)]
struct Totals {
    stats: Stats,
    cluster: Duration,
    postgres: Duration,
}

impl Totals {
    fn per_answer_us(&self, cpu: Duration) -> f64 {
        cpu.as_secs_f64() * 1e6 / self.stats.answered().max(1) as f64
    }
}

fn report(plan: &Plan, totals: &[Totals]) -> Report {
    let mut report = Report {
        scenario: "hops".into(),
        description: "What the cluster's hops cost: /process to the owner, forwarded by another node, through HAProxy.".into(),
        mode: format!(
            "closed loop, {} connections, {} × {} s per way",
            plan.connections, plan.passes, plan.secs
        ),
        lines: Vec::new(),
        ratios: Vec::new(),
        checks: Vec::new(),
        problems: Vec::new(),
        stage_ends_secs: Vec::new(),
            resources: Vec::new(),
        settings: Vec::new(),
    };
    let direct = &totals[0];
    for (way, total) in WAYS.iter().zip(totals) {
        report.lines.push(Line::new(way, &total.stats));
        report.checks.push(format!(
            "{way}: the nodes and HAProxy used {:.0} µs of CPU per answer, PostgreSQL {:.0} µs",
            total.per_answer_us(total.cluster),
            total.per_answer_us(total.postgres)
        ));
        for (why, n) in &total.stats.failures {
            report
                .problems
                .push(format!("{way}: {n} answers failed: {why}"));
        }
    }
    for (way, total) in WAYS.iter().zip(totals).skip(1) {
        report.ratios.push(Ratio {
            of: format!("{way} / direct"),
            value: total.stats.throughput() / direct.stats.throughput().max(1e-9),
        });
        report.checks.push(format!(
            "CPU per answer, {way} / direct: {:.2}× (nodes and HAProxy), {:.2}× (with PostgreSQL)",
            total.per_answer_us(total.cluster) / direct.per_answer_us(direct.cluster).max(1e-9),
            total.per_answer_us(total.cluster + total.postgres)
                / direct
                    .per_answer_us(direct.cluster + direct.postgres)
                    .max(1e-9)
        ));
    }
    report
}

/// Creates `count` instances through `front` and returns the ones `node` serves.
async fn served_by(front: &Client, node: &str, count: usize) -> Result<Vec<String>, String> {
    let ids = scenarios::create_instances(front, count).await?;
    let mut mine = Vec::new();
    for id in ids {
        let answer = front
            .send(&Call::get(format!("/v1/instances/{id}/snapshot")))
            .await?;
        let served = answer
            .headers
            .get("x-served-by")
            .and_then(|v| v.to_str().ok());
        if served == Some(node) {
            mine.push(id);
        }
    }
    if mine.is_empty() {
        return Err(format!("no instance landed on {node}"));
    }
    Ok(mine)
}

/// The CPU time of the processes `pids` together.
fn cpu_of(pids: &[u32]) -> Duration {
    pids.iter().filter_map(|pid| cpu::of_process(*pid)).sum()
}
