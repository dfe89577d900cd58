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
