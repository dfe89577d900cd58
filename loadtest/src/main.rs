//! `loadtest`: drives an Identity OS server with scenario files (`loadtest/scenarios/`:
//! a weighted mix of request kinds, an instance pool, stages, thresholds) and reports
//! throughput and HDR latencies, with a bare axum baseline measured in the same run.
//!
//! `loadtest run process --key idos_sk_… --connections 128 --duration-secs 20 --baseline`
//! `loadtest run my-scenario.toml --key idos_sk_…`
//! `loadtest baseline --bind 127.0.0.1:9000` serves the baseline alone.
//! Load goes to 127.0.0.1 only, and every run is bounded in requests and time.

mod baseline;
// The server's admin page draws its charts with the same code.
#[path = "../../src/admin/chart.rs"]
mod chart;
mod client;
mod compare;
mod cpu;
mod driver;
mod each;
mod faults;
mod hops;
mod html;
mod kinds;
mod plan;
mod proxy;
mod recovery;
mod report;
mod scenarios;
mod server;
mod soak;
mod stats;
mod thresholds;
mod workload;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use client::Client;
use driver::Shape;
use plan::{Overrides, Plan, ScenarioKind, Stages, Verify};
use report::{Line, Ratio, Report};
use stats::Stats;
use workload::Workload;

#[derive(Parser)]
#[command(version, about = "Load generator for Identity OS")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a scenario against a server.
    Run(RunArgs),
    /// Fault rounds on a cluster it starts itself (three nodes and HAProxy on loopback):
    /// one fault a round under load, then the history checked (docs/cluster.md).
    Faults(FaultArgs),
    /// Two runs' JSON reports (`--json`) side by side: fails when NEW is worse than OLD by
    /// more than `--max-regression` in throughput, p50, p90 or p99 of any line.
    Compare {
        old: std::path::PathBuf,
        new: std::path::PathBuf,
        /// The worsening allowed, as a fraction (0.1: 10 %).
        #[arg(long, default_value_t = 0.1)]
        max_regression: f64,
    },
    /// What the cluster's hops cost: `/process` straight to an instance's owner, through
    /// another node that forwards it, and through HAProxy, on a cluster it starts itself.
    Hops(HopsArgs),
    /// Serves the baseline target alone (a bare axum JSON handler); `run --baseline`
    /// starts one of these itself.
    Baseline {
        #[arg(long, default_value = "127.0.0.1:9000")]
        bind: String,
        /// Size in bytes of the JSON it answers with…
        #[arg(long, default_value_t = 1024)]
        bytes: usize,
        /// …or answer with this file's bytes.
        #[arg(long)]
        reply: Option<std::path::PathBuf>,
    },
}

/// The cluster `faults` and `hops` start on loopback.
#[derive(clap::Args)]
struct ClusterArgs {
    /// The `identity-os` binary the nodes run.
    #[arg(long)]
    server_bin: String,
    /// HAProxy's configuration (Debian's `haproxy` runs it).
    #[arg(long, default_value = "config/haproxy/haproxy.cfg")]
    haproxy_config: String,
    /// A PostgreSQL database where each run (each round) creates and drops a schema of
    /// its own.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    database_url: String,
    #[arg(long, default_value = "idos_sk_faultsfaultsfaultsfaultsfaults")]
    key: String,
}

impl From<ClusterArgs> for faults::Setup {
    fn from(args: ClusterArgs) -> faults::Setup {
        faults::Setup {
            server_bin: args.server_bin,
            haproxy_config: args.haproxy_config,
            admin_url: args.database_url,
            key: args.key,
        }
    }
}

#[derive(clap::Args)]
struct FaultArgs {
    #[arg(long, value_enum)]
    fault: faults::Fault,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[arg(long, default_value_t = 1)]
    rounds: u32,
    #[arg(long, default_value_t = 200)]
    instances: usize,
    /// Requests a second, through HAProxy.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// Length of a round's traffic; the fault comes a third of the way in.
    #[arg(long, default_value_t = 30)]
    secs: u64,
    /// How long `pause` keeps the node stopped.
    #[arg(long, default_value_t = 15)]
    pause_secs: u64,
    /// How long `pg-cut` keeps PostgreSQL away.
    #[arg(long, default_value_t = 5)]
    cut_secs: u64,
    /// The nodes' activations per second (`storm`); default: theirs.
    #[arg(long)]
    activations_per_second: Option<u32>,
    /// Append every request of every round here, as JSON lines.
    #[arg(long)]
    log: Option<std::path::PathBuf>,
    /// Keep the nodes' logs (at `info`) in this directory, as `round<N>-<node>.log`.
    #[arg(long)]
    node_logs: Option<std::path::PathBuf>,
    /// Write the rounds as JSON here too.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
struct HopsArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Instances created; about a third are served by the node measured.
    #[arg(long, default_value_t = 600)]
    instances: usize,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds per way and pass.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// The three ways are measured in turn, this many times.
    #[arg(long, default_value_t = 2)]
    passes: u32,
    /// Write the report as JSON here too.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[derive(Clone, clap::Args)]
struct RunArgs {
    /// A shipped scenario by name (create, process, hot, batch, mixed, activation,
    /// recovery: `loadtest/scenarios/NAME.toml`) or the path of a scenario file.
    scenario: String,
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    target: String,
    /// API key (`idos_sk_…`); or set LOADTEST_KEY.
    #[arg(long, env = "LOADTEST_KEY")]
    key: String,
    /// Closed loop: this many connections, each sending when answered, for the whole run
    /// (replaces the file's stages).
    #[arg(long)]
    connections: Option<usize>,
    /// Open loop: requests per second, whatever the answers do, for the whole run
    /// (replaces the file's stages).
    #[arg(long)]
    rate: Option<u64>,
    /// Stop after this many requests…
    #[arg(long, default_value_t = 1_000_000)]
    requests: u64,
    /// …or after this long (default: the file's stages; with neither --connections nor
    /// --rate, one stage at the file's peak).
    #[arg(long)]
    duration_secs: Option<u64>,
    /// Instances in the pool (the file's `pool.instances`).
    #[arg(long)]
    instances: Option<usize>,
    /// The pool: the instance ids in this file (one a line; the account's own, e.g. a
    /// random sample taken in SQL), instead of the file's pool; `--instances` then takes
    /// the first that many.
    #[arg(long)]
    ids: Option<std::path::PathBuf>,
    /// Observations per batch (the file's `load.batch_size`).
    #[arg(long)]
    batch_size: Option<u64>,
    /// The server's throttle interval, for the `hot` check.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// `recovery`, `--compare`: the server binary to start (and stop, and start again).
    #[arg(long)]
    server_bin: Option<String>,
    /// `recovery`, `--compare`: the database the started server uses.
    #[arg(long, default_value = "sqlite://data/loadtest.db")]
    database_url: String,
    /// `recovery`: history rows to write before the crash (the file's
    /// `recovery.history`).
    #[arg(long)]
    history: Option<u64>,
    /// Also run the same requests against the baseline, in this run.
    #[arg(long)]
    baseline: bool,
    /// Start `--server-bin` twice, durable then write-behind, and run the scenario (and
    /// the baseline) against each: the price of durability, measured back to back.
    #[arg(long, requires = "server_bin")]
    compare: bool,
    /// Write the report as JSON here too.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Write the report as one self-contained HTML page here too (charts inline).
    #[arg(long)]
    html: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Baseline { bind, bytes, reply } => {
            let reply = match reply {
                Some(path) => match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) => return fail(&format!("{}: {e}", path.display())),
                },
                None => {
                    format!(r#"{{"data":"{}"}}"#, "x".repeat(bytes.saturating_sub(11))).into_bytes()
                }
            };
            match baseline::start(&bind, reply.into()).await {
                Ok(addr) => {
                    // The address line `server::launch_baseline` waits for.
                    eprintln!("baseline listening address={addr}");
                    let _ = tokio::signal::ctrl_c().await;
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Command::Compare {
            old,
            new,
            max_regression,
        } => {
            let read = |path: &std::path::Path| -> Result<Report, String> {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
            };
            let compared = read(&old)
                .and_then(|o| read(&new).map(|n| (o, n)))
                .and_then(|(o, n)| compare::figures(&o, &n));
            match compared {
                Ok(figures) => {
                    let (table, worse) = compare::verdict(&figures, max_regression);
                    println!("{table}");
                    for w in &worse {
                        println!("- WORSE: {w}");
                    }
                    if worse.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => fail(&e),
            }
        }
        Command::Hops(args) => {
            let plan = hops::Plan {
                cluster: args.cluster.into(),
                instances: args.instances,
                connections: args.connections,
                secs: args.secs,
                passes: args.passes,
            };
            conclude(hops::run(&plan).await, args.json.as_deref())
        }
        Command::Faults(args) => {
            let plan = faults::Plan {
                cluster: args.cluster.into(),
                fault: args.fault,
                rounds: args.rounds,
                instances: args.instances,
                rate: args.rate,
                secs: args.secs,
                pause_secs: args.pause_secs,
                cut_secs: args.cut_secs,
                activations_per_second: args.activations_per_second,
                log: args.log,
                node_logs: args.node_logs,
            };
            match faults::run(&plan).await {
                Ok(rounds) => {
                    println!("{}", faults::markdown(&rounds));
                    if let Some(path) = &args.json
                        && let Err(e) = serde_json::to_string_pretty(&rounds)
                            .map_err(|e| e.to_string())
                            .and_then(|t| std::fs::write(path, t).map_err(|e| e.to_string()))
                    {
                        return fail(&format!("{}: {e}", path.display()));
                    }
                    if rounds.iter().all(|r| r.failures.is_empty()) {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => fail(&e),
            }
        }
        Command::Run(args) => {
            let (json, html) = (args.json.clone(), args.html.clone());
            let report = if args.compare {
                compare(args).await
            } else {
                run(args).await
            };
            if let (Ok(report), Some(path)) = (&report, &html)
                && let Err(e) = std::fs::write(path, html::render(report))
            {
                return fail(&format!("{}: {e}", path.display()));
            }
            conclude(report, json.as_deref())
        }
    }
}

/// Publishes a run's report; success only if it found no problem.
fn conclude(report: Result<Report, String>, json: Option<&std::path::Path>) -> ExitCode {
    match report.and_then(|r| publish(&r, json).map(|()| r)) {
        Ok(report) if report.problems.is_empty() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => fail(&e),
    }
}

/// Prints the report, and writes it as JSON to `json` when asked.
fn publish(report: &Report, json: Option<&std::path::Path>) -> Result<(), String> {
    println!("{}", report.markdown());
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The scenario against a server started in durable mode, then one in write-behind
/// mode, each with its own baseline run right after it when `--baseline` is given.
async fn compare(args: RunArgs) -> Result<Report, String> {
    let plan = plan::load(&args.scenario)?;
    if plan.kind == ScenarioKind::Recovery {
        return Err("--compare runs the load scenarios, not recovery".into());
    }
    let bin = args
        .server_bin
        .clone()
        .ok_or("--compare needs --server-bin")?;
    // The throttle stays out of the way except where it is what the scenario checks.
    let interval = match plan.verify {
        Some(Verify::Throttle) => args.interval_ms.to_string(),
        _ => "0".to_owned(),
    };
    let mut merged: Option<Report> = None;
    let mut throughput = Vec::new();
    for (label, durability) in [("durable", "durable"), ("write-behind", "write_behind")] {
        eprintln!("starting {bin} ({label})…");
        let settings = [
            ("IDENTITY_OS_DATABASE__DURABILITY", durability),
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", interval.as_str()),
        ];
        let server = server::launch(&bin, &args.database_url, &args.key, &settings).await?;
        let cpu_before = server.cpu_time();
        let mut report = run(RunArgs {
            target: server.base.clone(),
            compare: false,
            ..args.clone()
        })
        .await?;
        // Measured around the whole run: setting up the instances is included, and the
        // baseline run (another process) is not.
        let answered = report.lines.first().map_or(0, |l| l.answered);
        if let Some(per_answer) = cpu::per_answer(cpu_before, server.cpu_time(), answered) {
            report.checks.push(format!(
                "{label}: the server used {per_answer:.0} µs of CPU per answer (/proc, \
                 instance setup included)"
            ));
        }
        drop(server);
        throughput.push(report.lines.first().map_or(0.0, |l| l.per_second));
        for line in &mut report.lines {
            line.target = format!("{label}: {}", line.target);
        }
        for ratio in &mut report.ratios {
            ratio.of = format!("{label} / baseline");
        }
        merged = Some(match merged {
            None => report,
            Some(mut all) => {
                all.lines.append(&mut report.lines);
                all.ratios.append(&mut report.ratios);
                all.checks.append(&mut report.checks);
                all.problems.append(&mut report.problems);
                all
            }
        });
    }
    let mut report = merged.ok_or("nothing ran")?;
    if let [durable, behind] = throughput[..] {
        report.ratios.push(Ratio {
            of: "write-behind / durable".into(),
            value: behind / durable.max(1e-9),
        });
    }
    Ok(report)
}

fn fail(e: &str) -> ExitCode {
    eprintln!("loadtest: {e}");
    ExitCode::FAILURE
}

impl RunArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            connections: self.connections,
            rate: self.rate,
            duration_secs: self.duration_secs,
            instances: self.instances,
            batch_size: self.batch_size,
        }
    }

    /// Connections of the client's pool, and requests in flight in open loop.
    fn pool_size(&self, plan: &Plan) -> usize {
        match &plan.stages {
            Stages::Closed(_) => (plan.stages.peak() as usize).max(1),
            Stages::Open(_) => self.connections.unwrap_or(128),
        }
    }
}

async fn run(args: RunArgs) -> Result<Report, String> {
    let plan = plan::load(&args.scenario)?.with(&args.overrides());
    if plan.kind == ScenarioKind::Recovery {
        return recover(&args, &plan).await;
    }
    let client = Client::new(&args.target, Some(args.key.clone()), args.pool_size(&plan))?;
    let mut needs = if plan.mix.iter().any(|(k, _)| k.needs_instance()) {
        plan.pool.instances
    } else {
        0
    };
    eprintln!("preparing {needs} instances…");
    let mut ids = if let Some(path) = &args.ids {
        let listed = ids_from(path, args.instances)?;
        needs = listed.len();
        listed
    } else if plan.pool.reuse {
        scenarios::existing_instances(&client, needs).await?
    } else {
        Vec::new()
    };
    let missing = needs - ids.len();
    ids.extend(scenarios::create_pool(&client, missing, plan.pool.persona.as_deref()).await?);
    if plan.pool.warm {
        scenarios::warm(&client, &ids).await?;
    }
    // Each instance read once: every request is an activation.
    let requests = match plan.verify {
        Some(Verify::EachOnce) => args.requests.min(ids.len() as u64),
        _ => args.requests,
    };
    let work = scenarios::mix::Mix::new(
        &plan.mix,
        ids,
        plan.load.batch_size,
        plan.verify,
        Duration::from_millis(args.interval_ms),
    );
    let shape = Shape {
        stages: plan.stages.clone(),
        think: Duration::from_millis(plan.load.think_time_ms),
        max_in_flight: args.pool_size(&plan) * 8,
        requests,
    };
    measure(&args, &plan, &client, work, &shape).await
}

/// The ids listed in `path`, one a line (blank lines skipped), the first `most` of them.
fn ids_from(path: &std::path::Path, most: Option<usize>) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ids: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(most.unwrap_or(usize::MAX))
        .map(str::to_owned)
        .collect();
    match ids.iter().find(|id| !id.starts_with("inst_")) {
        Some(bad) => Err(format!("{}: {bad:?} is not an instance id", path.display())),
        None if ids.is_empty() => Err(format!("{}: no instance ids", path.display())),
        None => Ok(ids),
    }
}

/// Runs `run` and says how much CPU the load generator, and with `database` PostgreSQL
/// (every process of that name on this machine), spent per answer meanwhile.
async fn with_cpu(run: impl Future<Output = Stats>, database: bool) -> (Stats, Vec<String>) {
    let postgres = || database.then(cpu::of_postgres).flatten();
    let (own, database) = (cpu::of_self(), postgres());
    let outcome = run.await;
    let answered = outcome.answered();
    let mut checks = Vec::new();
    if let Some(us) = cpu::per_answer(own, cpu::of_self(), answered) {
        checks.push(format!(
            "the load generator used {us:.0} µs of CPU per answer (/proc)"
        ));
    }
    if let Some(us) = cpu::per_answer(database, postgres(), answered) {
        checks.push(format!(
            "PostgreSQL used {us:.0} µs of CPU per answer (/proc, all its processes)"
        ));
    }
    (outcome, checks)
}

async fn measure<W: Workload>(
    args: &RunArgs,
    plan: &Plan,
    client: &Client,
    work: W,
    shape: &Shape,
) -> Result<Report, String> {
    let work = Arc::new(work);
    let resources = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler =
        target_port(&args.target).map(|port| tokio::spawn(soak::sample(port, resources.clone())));
    let (ours, mut checks) = with_cpu(driver::run(client, &work, shape), true).await;
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    let resources: Vec<soak::Sample> = resources.lock().map(|r| r.clone()).unwrap_or_default();
    let mut problems: Vec<String> = ours
        .failures
        .iter()
        .map(|(why, n)| format!("{n} answers failed the check: {why}"))
        .collect();
    match work.verify(client, &ours).await {
        Ok(mut verified) => checks.append(&mut verified),
        Err(e) => problems.push(e),
    }
    let mut lines = vec![Line::new(&args.target, &ours)];
    let mut ratios = Vec::new();
    if args.baseline {
        // One more answer, after the checks: the baseline answers with it.
        let sample = client.send(&work.call(0)).await?;
        let reply = std::env::temp_dir().join(format!("loadtest-{}.json", std::process::id()));
        std::fs::write(&reply, &sample.body).map_err(|e| format!("{}: {e}", reply.display()))?;
        let launched = server::launch_baseline(&reply).await;
        let _ = std::fs::remove_file(&reply);
        let baseline = launched?;
        let base_client = Client::new(&baseline.base, None, args.pool_size(plan))?;
        let against = Arc::new(baseline::Against(work.clone()));
        let cpu_before = baseline.cpu_time();
        let (base, mut base_checks) =
            with_cpu(driver::run(&base_client, &against, shape), false).await;
        for check in &mut base_checks {
            *check = format!("against the baseline, {check}");
        }
        checks.append(&mut base_checks);
        if let Some(per_answer) = cpu::per_answer(cpu_before, baseline.cpu_time(), base.answered())
        {
            checks.push(format!(
                "the baseline used {per_answer:.0} µs of CPU per answer (/proc)"
            ));
        }
        ratios.push(Ratio {
            of: "/ baseline".into(),
            value: ours.throughput() / base.throughput().max(1e-9),
        });
        lines.push(Line::new(
            &format!("baseline ({} B answers)", sample.body.len()),
            &base,
        ));
    }
    let (mut met, mut broken) =
        thresholds::judge(&plan.thresholds, &lines[0], ratios.first().map(|r| r.value));
    checks.append(&mut met);
    problems.append(&mut broken);
    match soak::judge(&resources) {
        Some(Ok(check)) => checks.push(check),
        Some(Err(problem)) => problems.push(problem),
        None => {}
    }
    Ok(Report {
        scenario: plan.name.clone(),
        description: plan.description.clone(),
        mode: shape.describe(),
        lines,
        ratios,
        checks,
        problems,
        stage_ends_secs: stage_ends(&shape.stages),
        settings: settings(args, plan, shape),
        resources,
    })
}

async fn recover(args: &RunArgs, scenario: &Plan) -> Result<Report, String> {
    let connections = args.connections.unwrap_or(128);
    let plan = recovery::Plan {
        server_bin: args
            .server_bin
            .clone()
            .ok_or("recovery needs --server-bin (the identity-os binary)")?,
        database_url: args.database_url.clone(),
        key: args.key.clone(),
        instances: scenario.pool.instances,
        history: args.history.unwrap_or(scenario.history),
        connections,
    };
    let (checks, problems) = match recovery::run(&plan).await {
        Ok(o) => (
            vec![
                format!(
                    "{} history rows over {} instances written in {:.1} s",
                    o.history_rows,
                    plan.instances,
                    o.fill.as_secs_f64()
                ),
                format!(
                    "killed (SIGKILL); ready again after {:.2} s",
                    o.to_ready.as_secs_f64()
                ),
                format!(
                    "every instance serving its pre-crash state after {:.2} s \
                     (the same reads before the crash, all resident: {:.2} s)",
                    o.to_all_serving.as_secs_f64(),
                    o.resident_read.as_secs_f64()
                ),
            ],
            Vec::new(),
        ),
        Err(e) => (Vec::new(), vec![e]),
    };
    let report = Report {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        mode: format!("{connections} connections"),
        lines: Vec::new(),
        ratios: Vec::new(),
        checks,
        problems,
        stage_ends_secs: Vec::new(),
        resources: Vec::new(),
        settings: vec![
            ["history rows".into(), plan.history.to_string()],
            ["instances".into(), plan.instances.to_string()],
            ["database".into(), plan.database_url.clone()],
        ],
    };
    Ok(report)
}

/// The port of a `http://host:port` target.
fn target_port(target: &str) -> Option<u16> {
    target
        .rsplit(':')
        .next()?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// Where each stage ends, in seconds from the start.
fn stage_ends(stages: &Stages) -> Vec<f64> {
    let lengths: Vec<Duration> = match stages {
        Stages::Closed(s) => s.iter().map(|(d, _)| *d).collect(),
        Stages::Open(s) => s.iter().map(|(d, _)| *d).collect(),
    };
    lengths
        .iter()
        .scan(Duration::ZERO, |end, d| {
            *end += *d;
            Some(end.as_secs_f64())
        })
        .collect()
}

/// The run's settings for the report.
fn settings(args: &RunArgs, plan: &Plan, shape: &Shape) -> Vec<[String; 2]> {
    let mix: Vec<String> = plan
        .mix
        .iter()
        .map(|(k, w)| format!("{} {w}", k.name()))
        .collect();
    let persona = plan.pool.persona.as_deref().unwrap_or("none");
    vec![
        ["target".into(), args.target.clone()],
        ["mix (weights)".into(), mix.join(", ")],
        [
            "pool".into(),
            format!(
                "{} instances, {}, persona {persona}",
                plan.pool.instances,
                if plan.pool.warm { "warm" } else { "cold" }
            ),
        ],
        ["stages".into(), shape.describe()],
        [
            "think time".into(),
            format!("{} ms", plan.load.think_time_ms),
        ],
        ["batch size".into(), plan.load.batch_size.to_string()],
        ["request limit".into(), shape.requests.to_string()],
        ["baseline".into(), args.baseline.to_string()],
    ]
}
