//! The `loadtest` tool against the real server: its scenarios pass their own checks
//! (the throttle holds under `hot`), and a report quotes the baseline ratio.
//! Bounded: a few hundred requests or two seconds each, to 127.0.0.1 only.

use std::path::PathBuf;
use std::process::Command;

use crate::server::{Db, KEY, TestServer};

/// `loadtest` sits beside this test's own binary's folder (`target/<profile>/`); the
/// workspace build makes it because the loadtest package has integration tests.
fn loadtest_binary() -> PathBuf {
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
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
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
