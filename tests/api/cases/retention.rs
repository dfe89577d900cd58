//! History retention through the real server: old history goes, the instance's state
//! stays, and pages say where the kept record begins.

use std::time::Duration;

use crate::server::{Db, TestServer};

use super::support::{create, observation};

/// SQLite: a PostgreSQL partition ends at a midnight and the first one after the next,
/// so within a test only the storage conformance suite, with a clock of its own, sees one
/// dropped (tests/store).
pub async fn history_older_than_the_window_is_dropped_and_pages_say_where_it_begins() {
    let server = TestServer::start(
        Db::Sqlite,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_RETENTION__HISTORY_DAYS", "1"),
            ("IDENTITY_OS_RETENTION__PURGE_INTERVAL_MS", "1000"),
        ],
    )
    .await;
    let id = create(&server, r#"{"name":"aging"}"#).await;
    let process = format!("/v1/instances/{id}/process");
    for signal in [0.9, 0.2, 0.7] {
        let r = server.post(&process, &observation("ORDER", signal)).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    }
    let history = format!("/v1/instances/{id}/history");
    let before = server.get(&history).await.body;
    assert_eq!(before["pagination"]["total"], 3, "{before}");
    assert!(before["kept_since"].is_null(), "{before}");
    let snapshot_before = server
        .get(&format!("/v1/instances/{id}/snapshot"))
        .await
        .body;

    // As if the three cycles had been recorded two days ago (the actor keeps its state:
    // none of them is in a snapshot yet, so retention must pin one before dropping them).
    server
        .sql(
            "UPDATE history SET recorded_at = recorded_at - 172800000000;
             UPDATE drift_events SET recorded_at = recorded_at - 172800000000;",
        )
        .await;
    let mut after = before.clone();
    for _ in 0..100 {
        after = server.get(&history).await.body;
        if after["pagination"]["total"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after["pagination"]["total"], 0, "{after}");
    assert_eq!(after["data"], serde_json::json!([]), "{after}");
    let kept_since = after["kept_since"].as_str().unwrap_or_default();
    let kept_since = identity_os::timestamp::Timestamp::parse_rfc3339(kept_since)
        .unwrap_or_else(|| panic!("kept_since: {after}"));
    let day_ago =
        identity_os::timestamp::Timestamp::now().saturating_sub(Duration::from_secs(86_400));
    assert!(kept_since <= day_ago, "{after}");
    let drift = server.get(&format!("/v1/instances/{id}/drift")).await.body;
    assert_eq!(drift["kept_since"], after["kept_since"], "{drift}");

    // The state is the same, after a restart too (from the snapshot retention pinned),
    // and the next cycle is seq 4.
    let mut server = server;
    server.restart(false).await;
    let snapshot_after = server
        .get(&format!("/v1/instances/{id}/snapshot"))
        .await
        .body;
    assert_eq!(snapshot_after["data"], snapshot_before["data"]);
    let r = server.post(&process, &observation("ORDER", 0.5)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let last = server.get(&history).await.body;
    assert_eq!(last["pagination"]["total"], 1, "{last}");
    assert_eq!(last["data"][0]["seq"], 4, "{last}");
    server.terminate().await;
}
