//! The admin listener and live reload (docs/operations.md): settings changed in the
//! config file take effect on SIGHUP or `POST /admin/reload` without a restart, bad
//! reloads change nothing and name the key, and admin routes need their token and
//! never appear on the data API.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::Value;

use super::loadtest::loadtest_binary;
use super::support::{create, data, field, join_all, observation};
use crate::server::{Db, KEY, Reply, TestServer};

/// A config file in a fresh folder; rewritten by [`ConfigFile::write`].
struct ConfigFile {
    dir: PathBuf,
    path: PathBuf,
}

impl ConfigFile {
    fn new(text: &str) -> ConfigFile {
        let dir = std::env::temp_dir().join(format!(
            "identity-os-admin-{}",
            identity_os::ids::InstanceId::generate().as_str()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = ConfigFile {
            path: dir.join("identity-os.toml"),
            dir,
        };
        file.write(text);
        file
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.path, text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn path(&self) -> &str {
        self.path.to_str().unwrap_or_default()
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The setting `key` as `GET /admin/config` shows it: (value, origin).
async fn setting(server: &TestServer, key: &str) -> (Value, String) {
    let r = server.admin_call(Method::GET, "/admin/config", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let settings = data(&r)["settings"].as_array().cloned().unwrap_or_default();
    let s = settings
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no setting {key}"));
    (
        s["value"].clone(),
        s["origin"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn resident(server: &TestServer) -> u64 {
    let r = server.admin_call(Method::GET, "/admin/actors", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    data(&r)["resident"].as_u64().unwrap_or_default()
}

async fn reload(server: &TestServer) -> Reply {
    server.admin_call(Method::POST, "/admin/reload", None).await
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The `process` scenario runs while the resident cap drops from 10 000 to 1 000 by
/// SIGHUP: the resident set falls to the new cap, and not one request fails.
pub async fn a_reload_under_load_lowers_the_cap_and_fails_no_request(db: Db) {
    const INSTANCES: u64 = 1500;
    let file = ConfigFile::new("[actors]\nmax_resident = 10000\n[admin]\nbind = \"127.0.0.1:0\"\n");
    let server = TestServer::start(db, &[("IDENTITY_OS_CONFIG", file.path())]).await;
    let load = tokio::process::Command::new(loadtest_binary())
        .args(["run", "process", "--instances", &INSTANCES.to_string()])
        .args(["--duration-secs", "12", "--connections", "16"])
        .args(["--target", &server.base, "--key", KEY])
        .kill_on_drop(true)
        .output();
    let load = tokio::spawn(load);
    // The scenario creates its instances and reads each once (resident), then runs.
    let started = Instant::now();
    while resident(&server).await < INSTANCES {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the load never made {INSTANCES} instances resident"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    file.write("[actors]\nmax_resident = 1000\n[admin]\nbind = \"127.0.0.1:0\"\n");
    server.signal("HUP");
    let reloaded = Instant::now();
    loop {
        let now = resident(&server).await;
        if now <= 1000 {
            break;
        }
        assert!(
            reloaded.elapsed() < Duration::from_secs(30),
            "still {now} resident 30 s after the cap fell to 1 000"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "resident set at the new cap {:?} after SIGHUP",
        reloaded.elapsed()
    );
    let (value, origin) = setting(&server, "actors.max_resident").await;
    assert_eq!(value, 1000);
    assert_eq!(origin, format!("file {}", file.path()));
    let out = load
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("loadtest: {e}"));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "a request failed under the reload:\n{report}"
    );
    let metrics = server.get("/metrics").await;
    let text = metrics.body.as_str().unwrap_or_default();
    assert_eq!(
        metric(
            text,
            "identity_os_config_reloads_total{outcome=\"applied\"}"
        ),
        Some(1.0)
    );
    // Still serving every instance: the passivated come back on their next call.
    assert_eq!(
        server.get("/v1/instances?limit=1").await.status,
        StatusCode::OK
    );
    server.terminate().await;
}

/// Process calls to one instance from `n` clients at once: the statuses.
async fn burst(server: &TestServer, id: &str, n: usize) -> Vec<u16> {
    let path = format!("/v1/instances/{id}/process");
    let body = observation("EXPLORATION", 0.5);
    let calls = (0..n).map(|_| server.post(&path, &body)).collect();
    join_all(calls)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect()
}

/// A mailbox bound, a throttle interval, a batch bound and a rate limit changed in the
/// file apply to the next calls; a reload with a bad value or a non-live change changes nothing and
/// names the key.
pub async fn live_settings_apply_to_the_next_calls_and_bad_reloads_change_nothing(db: Db) {
    let base = |mailbox: u32, interval: u32, per_minute: u32, extra: &str| {
        let batch = if per_minute == 2 { 2 } else { 100 };
        format!(
            "[engine]\nmin_cycle_interval_ms = {interval}\nbatch_max = {batch}\n\
             [actors]\nmailbox_capacity = {mailbox}\n{extra}\n\
             [admin]\nbind = \"127.0.0.1:0\"\n\
             [plans.free]\nrequests_per_minute = {per_minute}\n"
        )
    };
    let file = ConfigFile::new(&base(1024, 0, 1000, ""));
    // The harness sets the interval by environment, which would outrank the file.
    let server = TestServer::start(db, &[("IDENTITY_OS_CONFIG", file.path())]).await;
    let id = create(&server, r#"{"name":"tuned"}"#).await;
    assert!(burst(&server, &id, 20).await.iter().all(|s| *s == 200));

    // A mailbox of one: concurrent cycles (each waits for its commit) overflow it.
    file.write(&base(1, 0, 1000, ""));
    let r = reload(&server).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        data(&r)["changes"],
        serde_json::json!([{"key": "actors.mailbox_capacity", "from": 1024, "to": 1}])
    );
    let statuses = burst(&server, &id, 20).await;
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );

    // Bad reloads: nothing changes, the key is named.
    for (text, key, reason) in [
        (
            base(1, 0, 1000, "max_resident = \"lots\""),
            "config",
            "unparsable",
        ),
        (
            base(1, 0, 1000, "max_resident = 0"),
            "actors.max_resident",
            "invalid",
        ),
        (
            format!(
                "{}[server]\nmax_body_bytes = 1000\n",
                base(1024, 0, 1000, "")
            ),
            "server.max_body_bytes",
            "not_live",
        ),
    ] {
        file.write(&text);
        let r = reload(&server).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(field(&r), Some(key), "{}", r.body);
        assert_eq!(r.body["details"]["reason"], reason);
        if key == "config" {
            let message = r.body["message"].as_str().unwrap_or_default();
            assert!(message.contains("max_resident"), "{message}");
        }
        assert_eq!(setting(&server, "actors.mailbox_capacity").await.0, 1);
    }
    // SIGHUP refuses the same way: the one-slot mailbox still holds.
    server.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(setting(&server, "actors.mailbox_capacity").await.0, 1);

    // Back to a deep mailbox, a one-minute throttle, batches of two, two requests a minute.
    file.write(&base(1024, 60_000, 2, ""));
    let r = reload(&server).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let three = format!(
        r#"{{"observations":[{o},{o},{o}]}}"#,
        o = observation("EXPLORATION", 0.5)
    );
    let r = server
        .post(&format!("/v1/instances/{id}/process/batch"), &three)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(field(&r), Some("observations"), "{}", r.body);
    let document = server.get("/openapi.json").await;
    assert!(
        document.body.to_string().contains(r#""maxItems":2"#),
        "the served document kept the old batch bound"
    );
    assert!(burst(&server, &id, 20).await.iter().all(|s| *s == 200));
    let path = format!("/v1/instances/{id}/process");
    let body = observation("EXPLORATION", 0.5);
    let first = server.post(&path, &body).await;
    assert_eq!(data(&first)["throttled"], true, "{}", first.body);

    let (_, free, _) = server.command(&["keys", "create", "--plan", "free"]).await;
    let free = free.trim().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = server
            .call(Method::GET, "/v1/personas", Some(&free), None)
            .await;
        statuses.push(r.status.as_u16());
        if r.status == StatusCode::OK {
            assert_eq!(r.headers["x-ratelimit-limit"], "2");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    let metrics = server.get("/metrics").await;
    let text = metrics.body.as_str().unwrap_or_default();
    assert_eq!(
        metric(
            text,
            "identity_os_config_reloads_total{outcome=\"refused\"}"
        ),
        Some(4.0)
    );
    server.terminate().await;
}

/// The listener's token, its absence from the data API, its instance routes, and the
/// command line's `config check` and `config show`.
pub async fn the_admin_listener_needs_its_token_and_stays_off_the_data_api(db: Db) {
    const TOKEN: &str = "admin-token-0123456789";
    let server = TestServer::start(
        db,
        &[
            ("IDENTITY_OS_ADMIN__BIND", "127.0.0.1:0"),
            ("IDENTITY_OS_ADMIN__TOKEN", TOKEN),
        ],
    )
    .await;
    for token in [None, Some("wrong-token-0123456789")] {
        let r = server.admin_call(Method::GET, "/admin/actors", token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(field(&r), Some("authorization"));
    }
    let r = server
        .admin_call(Method::GET, "/admin/actors", Some(TOKEN))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(data(&r)["max_resident"], 100_000);
    // The data API never serves admin routes, whatever the credentials.
    for path in ["/admin/actors", "/admin/config", "/admin/"] {
        assert_eq!(
            server.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        server
            .call(Method::POST, "/admin/reload", Some(TOKEN), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Passivate and restart one instance on this node.
    let id = create(&server, r#"{"name":"admin"}"#).await;
    let path = format!("/v1/instances/{id}/process");
    assert_eq!(
        server
            .post(&path, &observation("EXPLORATION", 0.7))
            .await
            .status,
        StatusCode::OK
    );
    for (action, resident) in [("passivate", false), ("restart", true)] {
        let path = format!("/admin/instances/{id}/{action}");
        let r = server.admin_call(Method::POST, &path, Some(TOKEN)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
        assert_eq!(data(&r)["resident"], resident, "{action}");
    }
    assert_eq!(
        data(&server.get(&format!("/v1/instances/{id}")).await)["cycle_count"],
        1
    );
    for (id, status) in [("nonsense", 404), ("inst_00000000000000000000000000", 404)] {
        let r = server
            .admin_call(
                Method::POST,
                &format!("/admin/instances/{id}/restart"),
                Some(TOKEN),
            )
            .await;
        assert_eq!(r.status.as_u16(), status, "{id}: {}", r.body);
    }

    // `config show`: each value with its origin, secrets redacted.
    let (ok, shown, _) = server.command(&["config", "show"]).await;
    assert!(ok);
    assert!(
        shown.contains("admin.bind = \"127.0.0.1:0\"  # environment\n"),
        "{shown}"
    );
    assert!(
        shown.contains("admin.token = \"<redacted>\"  # environment"),
        "{shown}"
    );
    assert!(!shown.contains(TOKEN));
    assert!(
        shown.contains("actors.max_resident = 100000  # "),
        "{shown}"
    );
    assert!(shown.contains(", live\n"), "{shown}");
    server.terminate().await;
}

/// Off the loopback interface the admin listener needs a token: the server refuses to
/// start, naming the key; `config check` judges a file the same way without starting.
pub async fn a_public_admin_listener_without_a_token_refuses_to_start() {
    let binary = env!("CARGO_BIN_EXE_identity-os");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let out = std::process::Command::new(binary)
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, stderr, _) = run(&["serve"], &[("IDENTITY_OS_ADMIN__BIND", "0.0.0.0:0")]);
    assert!(!ok);
    assert!(stderr.contains("admin.token"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");

    let file = ConfigFile::new("[admin]\nbind = \"0.0.0.0:9999\"\n");
    let (ok, stderr, _) = run(&["config", "check", file.path()], &[]);
    assert!(!ok);
    assert!(stderr.contains("admin.token"), "{stderr}");
    file.write("[admin]\nbind = \"0.0.0.0:9999\"\ntoken = \"a-long-enough-admin-token\"\n");
    let (ok, _, stdout) = run(&["config", "check", file.path()], &[]);
    assert!(ok);
    assert!(
        stdout.starts_with(&format!("{}: ok (", file.path())),
        "{stdout}"
    );
    file.write("[actors]\nmax_resident = \"many\"\n");
    let (ok, stderr, _) = run(&["config", "check", file.path()], &[]);
    assert!(!ok);
    assert!(stderr.contains("actors.max_resident"), "{stderr}");
}

/// An instance whose cycles cannot be stored fails, is restarted by the policy, and is
/// then marked failed: it reads as `status: "failed"`, refuses calls naming the restart
/// route, shows on the admin port with the reason, and comes back with its stored state
/// on `POST /v1/instances/{id}/restart`. PostgreSQL: a trigger refuses its history rows.
pub async fn a_failing_instance_reads_as_failed_until_restarted() {
    let server = TestServer::start(
        Db::Postgres,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_ACTORS__RESTART_MAX", "1"),
            ("IDENTITY_OS_ACTORS__RESTART_BACKOFF_MS", "100"),
            ("IDENTITY_OS_ADMIN__BIND", "127.0.0.1:0"),
        ],
    )
    .await;
    let id = create(&server, r#"{"name":"fragile"}"#).await;
    let other = create(&server, r#"{"name":"steady"}"#).await;
    let process = |id: &str| format!("/v1/instances/{id}/process");
    let body = observation("EXPLORATION", 0.6);
    assert_eq!(
        server.post(&process(&id), &body).await.status,
        StatusCode::OK
    );
    server
        .sql(&format!(
            "CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'history refused by the test'; END $$; \
             CREATE TRIGGER refuse BEFORE INSERT ON history FOR EACH ROW \
             WHEN (NEW.instance_id = '{id}') EXECUTE FUNCTION refuse_history()"
        ))
        .await;
    let mut status = Value::Null;
    for _ in 0..100 {
        let r = server.post(&process(&id), &body).await;
        assert!(r.status.is_server_error(), "{}", r.body);
        status = data(&server.get(&format!("/v1/instances/{id}")).await)["status"].clone();
        if status == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "failed");
    let r = server.post(&process(&id), &body).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("/restart"),
        "{}",
        r.body
    );
    let listed = server.get("/v1/instances?status=failed").await;
    let ids: Vec<&str> = data(&listed)
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, [id.as_str()]);
    assert_eq!(listed.body["pagination"]["total"], 1);
    // Others are untouched.
    assert_eq!(
        server.post(&process(&other), &body).await.status,
        StatusCode::OK
    );
    let actors = server.admin_call(Method::GET, "/admin/actors", None).await;
    assert_eq!(data(&actors)["failed"], serde_json::json!([id]));
    let incidents = data(&actors)["incidents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(incidents[0]["kind"], "marked_failed");
    assert_eq!(incidents[0]["id"], id.as_str());
    assert!(
        incidents[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("history refused by the test"),
        "{incidents:?}"
    );

    server.sql("DROP TRIGGER refuse ON history").await;
    let r = server
        .post_empty(&format!("/v1/instances/{id}/restart"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(data(&r)["status"], "active");
    assert_eq!(data(&r)["cycle_count"], 1);
    let r = server.post(&process(&id), &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    server.terminate().await;
}
