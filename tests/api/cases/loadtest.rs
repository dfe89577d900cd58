//! The `loadtest` tool against the real server: its scenarios pass their own checks
//! (the throttle holds under `hot`), and a report quotes the baseline ratio.
//! Bounded: a few hundred requests or two seconds each, to 127.0.0.1 only.

use std::path::PathBuf;
use std::process::Command;

use crate::server::{Db, KEY, TestServer};

/// `loadtest` sits beside this test's own binary's folder (`target/<profile>/`); the
/// workspace build makes it because the loadtest package has integration tests.
pub fn loadtest_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap_or_else(|| panic!("unexpected test binary path {}", exe.display()));
    let path = profile_dir.join("loadtest");
    assert!(path.exists(), "{} is not built", path.display());
    path
}

fn loadtest(server: &TestServer, args: &[&str]) -> (bool, String) {
    let out = Command::new(loadtest_binary())
        .args(["run"])
        .args(args)
        .args(["--target", &server.base, "--key", KEY])
        .output()
        .unwrap_or_else(|e| panic!("run loadtest: {e}"));
    // The report on stdout, then what went wrong (a refused file, an unreachable server)
    // from stderr.
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

pub async fn the_load_scenarios_pass_their_checks(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "200")]).await;
    let (ok, report) = loadtest(
        &server,
        &[
            "hot",
            "--interval-ms",
            "200",
            "--duration-secs",
            "2",
            "--connections",
            "32",
        ],
    );
    assert!(ok, "{report}");
    assert!(
        report.contains("acknowledged; at most one per 200 ms"),
        "{report}"
    );
    for scenario in ["process", "batch", "mixed", "activation", "create"] {
        let (ok, report) = loadtest(
            &server,
            &[
                scenario,
                "--requests",
                "200",
                "--instances",
                "20",
                "--connections",
                "8",
                "--duration-secs",
                "5",
            ],
        );
        assert!(ok, "{scenario}: {report}");
    }
    let (ok, report) = loadtest(
        &server,
        &[
            "process",
            "--requests",
            "300",
            "--instances",
            "10",
            "--baseline",
        ],
    );
    assert!(ok, "{report}");
    assert!(
        report.contains("Throughput / baseline (same run)"),
        "{report}"
    );
    // The baseline ran as a process of its own (its CPU is read from /proc).
    assert!(
        report.contains("the baseline used") && report.contains("µs of CPU per answer"),
        "{report}"
    );
    // `recovery` starts a server of its own (on a fresh SQLite file, or beside this one on
    // its PostgreSQL schema), fills history, kills and restarts it.
    let dir = std::env::temp_dir().join(format!("loadtest-recovery-{}", std::process::id()));
    let url = match db {
        Db::Sqlite => format!("sqlite://{}/recovery.db", dir.display()),
        _ => server.database_url().to_owned(),
    };
    let (ok, report) = loadtest(
        &server,
        &[
            "recovery",
            "--server-bin",
            env!("CARGO_BIN_EXE_identity-os"),
            "--database-url",
            &url,
            "--history",
            "300",
            "--instances",
            "10",
            "--connections",
            "8",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{report}");
    assert!(
        report.contains("every instance serving its pre-crash state after"),
        "{report}"
    );
    a_run_compares_with_itself_and_not_with_a_worse_one(&server);
    scenario_files_run_every_kind_in_stages_and_judge_thresholds(&server).await;
    server.terminate().await;

    // A wrong key: every answer fails the check, and the tool says so by its exit code.
    let server = TestServer::start(db, &[]).await;
    let out = Command::new(loadtest_binary())
        .args(["run", "create", "--requests", "5", "--target", &server.base])
        .args(["--key", "idos_sk_wrongwrongwrongwrongwrongwrong"])
        .output()
        .unwrap_or_else(|e| panic!("run loadtest: {e}"));
    assert!(!out.status.success());
    server.terminate().await;
}

/// A scenario file by path: every request kind in one mix, a closed-loop ramp in two
/// stages, each kind in the report; the same file with an impossible threshold fails
/// naming it; an open-loop file runs at its rate; a bad file is refused before any
/// request (its target does not even listen).
async fn scenario_files_run_every_kind_in_stages_and_judge_thresholds(server: &TestServer) {
    let dir = std::env::temp_dir().join(format!("loadtest-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.to_string_lossy().into_owned()
    };
    let every_kind = "description = \"every kind\"\n\
        [pool]\ninstances = 6\npersona = \"persona_explorer\"\n\
        [mix]\nprocess = 4\nbatch = 1\nsnapshot = 1\ncontract = 1\nhistory = 1\ndrift = 1\n\
        list = 1\nget = 1\ncreate = 1\nreset = 1\nstop_start = 1\ntest_submit = 1\n\
        [load]\nbatch_size = 3\nthink_time_ms = 5\n\
        [[stages]]\nduration_secs = 1\nconnections = 1\n\
        [[stages]]\nduration_secs = 2\nconnections = 6\n\
        [thresholds.all]\nerror_rate = 0.0\n";
    let file = write("every-kind.toml", every_kind);
    let (ok, report) = loadtest(server, &[&file]);
    assert!(ok, "{report}");
    assert!(report.contains("## loadtest `every-kind` (closed loop, 1 s at 1 connections, then 2 s at 6 connections)"), "{report}");
    for kind in [
        "process",
        "batch",
        "snapshot",
        "contract",
        "history",
        "drift",
        "list",
        "get",
        "create",
        "reset",
        "stop_start",
        "test_submit",
    ] {
        assert!(
            report.contains(&format!("\n| {kind} | ")),
            "no {kind} row: {report}"
        );
    }
    assert!(
        report.contains("threshold all.error_rate ≤ 0: measured 0.000"),
        "{report}"
    );

    let tight = write(
        "tight.toml",
        &every_kind.replace(
            "error_rate = 0.0",
            "p50_ms = 0.000001\n[thresholds.get]\nmax_ms = 0.000001",
        ),
    );
    let (ok, report) = loadtest(server, &[&tight]);
    assert!(!ok, "{report}");
    assert!(
        report.contains("threshold all.p50_ms ≤ 0.000001: measured"),
        "{report}"
    );
    assert!(
        report.contains("threshold get.max_ms ≤ 0.000001: measured"),
        "{report}"
    );

    let open = write(
        "open.toml",
        "description = \"open loop\"\n[pool]\ninstances = 4\n[mix]\nsnapshot = 1\n\
         [[stages]]\nduration_secs = 2\nrate = 20\n[[stages]]\nduration_secs = 2\nrate = 60\n",
    );
    let (ok, report) = loadtest(server, &[&open]);
    assert!(ok, "{report}");
    // 40 in the first stage, a ramp from 20/s to 60/s (80) in the second.
    let answered: u64 = report
        .lines()
        .find(|l| l.starts_with("| http"))
        .and_then(|l| l.split('|').nth(2))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        (110..=130).contains(&answered),
        "{answered} answered: {report}"
    );

    // `reuse`: the account's instances, none created.
    let total = || async {
        server.get("/v1/instances?limit=1").await.body["pagination"]["total"]
            .as_u64()
            .unwrap_or_default()
    };
    let before = total().await;
    let reuse = write(
        "reuse.toml",
        "description = \"reuse\"\n[pool]\ninstances = 5\nreuse = true\n[mix]\nget = 1\n\
         [[stages]]\nduration_secs = 1\nconnections = 2\n",
    );
    let (ok, report) = loadtest(server, &[&reuse]);
    assert!(ok, "{report}");
    assert_eq!(total().await, before, "a reusing run created instances");

    let bad = write(
        "bad.toml",
        "[mix]\nprocess = 1\nteleport = 2\n[[stages]]\nduration_secs = 1\nconnections = 1\n",
    );
    let out = Command::new(loadtest_binary())
        .args(["run", &bad, "--target", "http://127.0.0.1:9", "--key", KEY])
        .output()
        .unwrap_or_else(|e| panic!("run loadtest: {e}"));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        text.contains("bad.toml: line 3") && text.contains("teleport"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `loadtest compare`: a real run's report against itself passes; against a copy whose
/// p99 is made twice as bad, fails naming it; against another scenario, is refused.
fn a_run_compares_with_itself_and_not_with_a_worse_one(server: &TestServer) {
    let dir = std::env::temp_dir().join(format!("loadtest-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let report = |name: &str, scenario: &str| {
        let path = dir.join(name);
        let path_text = path.to_string_lossy().into_owned();
        let (ok, out) = loadtest(
            server,
            &[
                scenario,
                "--requests",
                "200",
                "--instances",
                "10",
                "--json",
                &path_text,
            ],
        );
        assert!(ok, "{out}");
        path
    };
    let run = report("run.json", "process");
    let compare = |old: &PathBuf, new: &PathBuf| {
        let out = Command::new(loadtest_binary())
            .arg("compare")
            .args([old, new])
            .output()
            .unwrap_or_else(|e| panic!("run loadtest: {e}"));
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = compare(&run, &run);
    assert!(ok && text.contains("| p99 ms |"), "{text}");

    let mut worse: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&run).unwrap_or_default()).unwrap_or_default();
    let p99 = worse["lines"][0]["p99_ms"].as_f64().unwrap_or_default();
    worse["lines"][0]["p99_ms"] = serde_json::json!(p99 * 2.0 + 1.0);
    let worse_path = dir.join("worse.json");
    std::fs::write(&worse_path, worse.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let (ok, text) = compare(&run, &worse_path);
    assert!(
        !ok && text.contains("WORSE") && text.contains("p99 ms went from"),
        "{text}"
    );

    let other = report("other.json", "batch");
    let (ok, text) = compare(&run, &other);
    assert!(
        !ok && text.contains("only runs of the same scenario"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--compare` starts the server itself, durable then write-behind, on the same
/// database, and quotes each against the baseline and the two against each other.
pub async fn durable_and_write_behind_compare_back_to_back(db: Db) {
    let mut server = TestServer::start(db, &[]).await;
    server.stop().await;
    let out = Command::new(loadtest_binary())
        .args(["run", "process", "--compare", "--baseline"])
        .args(["--server-bin", env!("CARGO_BIN_EXE_identity-os")])
        .args(["--database-url", server.database_url(), "--key", KEY])
        .args([
            "--requests",
            "200",
            "--instances",
            "10",
            "--connections",
            "8",
        ])
        .args(["--duration-secs", "5"])
        .output()
        .unwrap_or_else(|e| panic!("run loadtest: {e}"));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    for quoted in [
        "Throughput durable / baseline (same run)",
        "Throughput write-behind / baseline (same run)",
        "Throughput write-behind / durable (same run)",
    ] {
        assert!(report.contains(quoted), "{quoted}: {report}");
    }
    // Every answer of both runs passed the scenario's checks, and both made cycles.
    assert_eq!(report.matches("| durable: http").count(), 1, "{report}");
    assert_eq!(
        report.matches("| write-behind: http").count(),
        1,
        "{report}"
    );
    assert!(!report.contains("FAILED"), "{report}");
    server.terminate().await;
}
