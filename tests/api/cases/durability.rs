use hyper::StatusCode;

use crate::server::{Db, TestServer};

use super::support::{create, data, observation};

pub async fn state_survives_a_graceful_restart_and_passivation(db: Db) {
    let mut server = TestServer::start(
        db,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_ACTORS__IDLE_TIMEOUT_MS", "200"),
        ],
    )
    .await;
    let id = create(&server, r#"{"name":"durable"}"#).await;
    let mut last = serde_json::Value::Null;
    for mode in ["ORDER", "EXPLORATION", "IDENTITY", "ORDER"] {
        last = data(
            &server
                .post(
                    &format!("/v1/instances/{id}/process"),
                    &observation(mode, 0.7),
                )
                .await,
        )["snapshot"]
            .clone();
    }
    // Idle: passivated, yet lists and reads show the latest state.
    let mut status = String::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = data(&server.get(&format!("/v1/instances/{id}")).await)["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status == "passivated" {
            break;
        }
    }
    assert_eq!(status, "passivated");
    let listed = server.get("/v1/instances").await;
    assert_eq!(listed.body["data"][0]["cycle_count"], 4);
    assert_eq!(listed.body["data"][0]["energy_level"], last["energy_level"]);
    let passive = server.get("/v1/instances?status=passivated").await;
    assert_eq!(passive.body["pagination"]["total"], 1);
    assert_eq!(
        server.get("/v1/instances?status=active").await.body["pagination"]["total"],
        0
    );

    server.restart(false).await;
    let snapshot = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(snapshot.status, StatusCode::OK);
    let mut snap = data(&snapshot).clone();
    for extra in ["cycle_count", "created_at", "updated_at"] {
        snap.as_object_mut().map(|o| o.remove(extra));
    }
    assert_eq!(snap, last);
    server.terminate().await;
}

/// What one client saw before the crash.
struct Seen {
    id: String,
    /// The snapshot of the last 200.
    acked: serde_json::Value,
    acked_count: u64,
    /// The observation sent when the server died, if any: it may have committed.
    in_flight: Option<(String, f64)>,
}

pub async fn nothing_acknowledged_is_lost_when_the_server_is_killed(db: Db) {
    let mut server = TestServer::start(
        db,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_ENGINE__SNAPSHOT_EVERY", "7"),
        ],
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(create(&server, &format!(r#"{{"name":"crash-{n}"}}"#)).await);
    }
    let drivers: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let caller = server.caller();
            let id = id.clone();
            tokio::spawn(async move {
                let modes = [
                    "ORDER",
                    "EXPLORATION",
                    "STRESS_RESPONSE",
                    "CONNECTION",
                    "IDENTITY",
                ];
                let mut seen = Seen {
                    id: id.clone(),
                    acked: serde_json::Value::Null,
                    acked_count: 0,
                    in_flight: None,
                };
                for k in 0.. {
                    let mode = modes[(k + n) % modes.len()].to_owned();
                    let signal = ((k * 7 + n) % 10) as f64 / 10.0;
                    let body = observation(&mode, signal);
                    match caller
                        .try_post(&format!("/v1/instances/{id}/process"), &body)
                        .await
                    {
                        Ok(r) if r.status == StatusCode::OK => {
                            seen.acked = r.body["data"]["snapshot"].clone();
                            seen.acked_count += 1;
                        }
                        Ok(r) => panic!("unexpected {}: {}", r.status, r.body),
                        Err(_) => {
                            seen.in_flight = Some((mode, signal));
                            break;
                        }
                    }
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    server.restart(true).await;
    let mut total_acked = 0;
    for driver in drivers {
        let seen = driver.await.unwrap_or_else(|e| panic!("{e}"));
        total_acked += seen.acked_count;
        let history = server
            .get(&format!("/v1/instances/{}/history?limit=1000", seen.id))
            .await;
        let entries = history.body["data"].as_array().cloned().unwrap_or_default();
        let seqs: Vec<u64> = entries
            .iter()
            .rev()
            .filter_map(|e| e["seq"].as_u64())
            .collect();
        let count = seqs.len() as u64;
        assert_eq!(
            seqs,
            (1..=count).collect::<Vec<_>>(),
            "gaps or duplicates in {}",
            seen.id
        );
        let snapshot = data(
            &server
                .get(&format!("/v1/instances/{}/snapshot", seen.id))
                .await,
        )
        .clone();
        assert_eq!(snapshot["cycle_count"].as_u64(), Some(count));
        let mut state = snapshot.clone();
        for extra in ["cycle_count", "created_at", "updated_at"] {
            state.as_object_mut().map(|o| o.remove(extra));
        }
        if count == seen.acked_count {
            assert_eq!(
                state, seen.acked,
                "{} lost or changed an acknowledged cycle",
                seen.id
            );
        } else {
            // Committed just before the kill, answered never: exactly the in-flight one.
            assert_eq!(count, seen.acked_count + 1, "{}", seen.id);
            let (mode, signal) = seen.in_flight.clone().unwrap_or_default();
            assert_eq!(entries[0]["mode_target"], mode.as_str());
            assert_eq!(entries[0]["signal_strength"].as_f64(), Some(signal));
        }
    }
    assert!(
        total_acked > 24,
        "the load was too light to mean anything: {total_acked}"
    );
    server.terminate().await;
}

pub async fn the_server_rides_out_a_database_outage() {
    let target = crate::server::postgres_host_port(&crate::server::postgres_url());
    let proxy = crate::proxy::Proxy::start(target)
        .await
        .unwrap_or_else(|e| panic!("proxy: {e}"));
    let server = TestServer::start(
        Db::PostgresVia(proxy.port),
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_DATABASE__ACQUIRE_TIMEOUT_MS", "500"),
        ],
    )
    .await;
    let id = create(&server, r#"{"name":"outage"}"#).await;
    let path = format!("/v1/instances/{id}/process");
    let mut acked = serde_json::Value::Null;
    for _ in 0..5 {
        let r = server.post(&path, &observation("ORDER", 0.6)).await;
        assert_eq!(r.status, StatusCode::OK);
        acked = data(&r)["snapshot"].clone();
    }
    proxy.cut();
    // Down: data routes and readiness answer 503 quickly; nothing hangs.
    for _ in 0..3 {
        let r = server.post(&path, &observation("ORDER", 0.6)).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
            "{}",
            r.body
        );
        assert!(r.headers.contains_key("retry-after"));
    }
    let ready = server.call(hyper::Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        server.get("/v1/instances").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let health = server
        .call(hyper::Method::GET, "/healthz", None, None)
        .await;
    assert_eq!(health.status, StatusCode::OK, "the process itself is fine");

    proxy.restore();
    // Back by itself, with every acknowledged cycle.
    let mut snapshot = serde_json::Value::Null;
    for _ in 0..100 {
        let r = server.get(&format!("/v1/instances/{id}/snapshot")).await;
        if r.status == StatusCode::OK {
            snapshot = data(&r).clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(snapshot["cycle_count"], 5);
    assert_eq!(snapshot["mode_strengths"], acked["mode_strengths"]);
    assert_eq!(
        server
            .call(hyper::Method::GET, "/readyz", None, None)
            .await
            .status,
        StatusCode::OK
    );
    let r = server.post(&path, &observation("ORDER", 0.6)).await;
    assert_eq!(
        (r.status, data(&r)["snapshot"]["cycle"].as_u64()),
        (StatusCode::OK, Some(6))
    );
    let history = server.get(&format!("/v1/instances/{id}/history")).await;
    assert_eq!(history.body["pagination"]["total"], 6);
    server.terminate().await;
}
