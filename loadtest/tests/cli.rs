//! The tool's own guard rails (its scenarios run against the real server in the
//! workspace's API tests, `tests/api/cases/loadtest.rs`).

use std::process::Command;

fn loadtest(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loadtest"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run loadtest: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn load_is_sent_to_loopback_only() {
    let (ok, text) = loadtest(&[
        "run",
        "process",
        "--key",
        "idos_sk_x",
        "--target",
        "http://10.1.2.3:8000",
    ]);
    assert!(!ok);
    assert!(text.contains("loopback only"), "{text}");
    // Any loopback address is a target (cluster nodes take 127.0.0.2, …): refused
    // only for want of a server, not as a target.
    let (ok, text) = loadtest(&[
        "run",
        "process",
        "--key",
        "idos_sk_x",
        "--target",
        "http://127.0.0.9:9",
        "--instances",
        "1",
    ]);
    assert!(!ok);
    assert!(!text.contains("loopback only"), "{text}");
}

#[test]
fn every_shipped_scenario_is_offered() {
    let (ok, text) = loadtest(&["run", "--help"]);
    assert!(ok, "{text}");
    // A name that is neither shipped nor a file is refused, listing the shipped ones.
    let (ok, refused) = loadtest(&["run", "no-such-scenario", "--key", "idos_sk_x"]);
    assert!(!ok);
    for scenario in [
        "create",
        "process",
        "hot",
        "batch",
        "mixed",
        "activation",
        "recovery",
    ] {
        assert!(text.contains(scenario), "{scenario} missing from:\n{text}");
        assert!(
            refused.contains(scenario),
            "{scenario} missing from:\n{refused}"
        );
    }
}
