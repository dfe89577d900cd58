use hyper::StatusCode;
use serde_json::json;

use crate::server::{Db, TestServer};

use super::support::{create, data, field, join_all, observation};

pub async fn process_and_batch_answer_the_spec_shapes(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let id = create(&server, r#"{"name":"shapes"}"#).await;
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            r#"{"mode_target":"EXPLORATION","signal_strength":0.8,"confidence":0.9,
                "context":{"task":"research"},"timestamp":"2026-03-24T10:15:30+01:00"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = data(&r);
    assert_eq!(d["throttled"], false);
    assert_eq!(
        (
            d["snapshot"]["instance_id"].as_str(),
            d["snapshot"]["cycle"].as_u64()
        ),
        (Some(id.as_str()), Some(1))
    );
    for key in [
        "dominant_modes",
        "suppressed_modes",
        "allowed_actions",
        "forbidden_actions",
        "decision_style",
        "energy_level",
        "stress_state",
        "recovery_profile",
    ] {
        assert!(!d["contract"][key].is_null(), "contract.{key}");
    }
    for key in ["level", "deviation", "affected_modes", "rolled_back"] {
        assert!(!d["drift"][key].is_null(), "drift.{key}");
    }

    let batch = format!(
        r#"{{"observations":[{},{},{}],"include_intermediate":true}}"#,
        observation("ORDER", 0.7),
        observation("assertion", 0.6),
        observation("CONNECTION", 0.5)
    );
    let r = server
        .post(&format!("/v1/instances/{id}/process/batch"), &batch)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let states = data(&r)["states"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        (states.len(), data(&r)["processed_count"].as_u64()),
        (3, Some(3))
    );
    let cycles: Vec<u64> = states
        .iter()
        .filter_map(|s| s["snapshot"]["cycle"].as_u64())
        .collect();
    assert_eq!(cycles, [2, 3, 4]);
    let final_only = server
        .post(
            &format!("/v1/instances/{id}/process/batch"),
            &format!(r#"{{"observations":[{}]}}"#, observation("ORDER", 0.1)),
        )
        .await;
    assert_eq!(data(&final_only)["snapshot"]["cycle"], 5);
    assert!(data(&final_only)["states"].is_null());

    let history = server
        .get(&format!("/v1/instances/{id}/history?limit=2&offset=3"))
        .await;
    assert_eq!(
        history.body["pagination"],
        json!({"limit": 2, "offset": 3, "total": 5, "has_more": false, "next_cursor": null})
    );
    let entries = history.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0]["seq"].as_u64(), entries[1]["seq"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(entries[1]["mode_target"], "EXPLORATION");
    assert_eq!(entries[1]["context"], json!({"task": "research"}));
    assert_eq!(entries[1]["observed_at"], "2026-03-24T09:15:30Z");
    assert_eq!(entries[0]["mode_target"], "ORDER");

    let snapshot = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(
        (
            data(&snapshot)["cycle"].as_u64(),
            data(&snapshot)["cycle_count"].as_u64()
        ),
        (Some(5), Some(5))
    );
    let contract = server.get(&format!("/v1/instances/{id}/contract")).await;
    assert_eq!(data(&contract), &data(&final_only)["contract"]);
    let listed = server.get("/v1/instances").await;
    assert_eq!(listed.body["data"][0]["cycle_count"], 5);
    assert_eq!(
        listed.body["data"][0]["energy_level"],
        data(&snapshot)["energy_level"]
    );
    server.terminate().await;
}

pub async fn a_bad_batch_item_applies_nothing(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let id = create(&server, r#"{"name":"atomic"}"#).await;
    let ok = observation("ORDER", 0.5);
    for (bad, expected) in [
        (
            r#"{"mode_target":"ORDER","signal_strength":1.5}"#,
            "observations[3].signal_strength",
        ),
        (
            r#"{"mode_target":"COURAGE","signal_strength":0.5}"#,
            "observations[3].mode_target",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":0.5,"confidence":-1}"#,
            "observations[3].confidence",
        ),
        (r#"{"signal_strength":0.5}"#, "observations[3].mode_target"),
        (
            r#"{"mode_target":"ORDER","signal_strength":0.5,"timestamp":"soon"}"#,
            "observations[3].timestamp",
        ),
    ] {
        let body = format!(r#"{{"observations":[{ok},{ok},{ok},{bad}]}}"#);
        let r = server
            .post(&format!("/v1/instances/{id}/process/batch"), &body)
            .await;
        assert_eq!(
            (r.status, field(&r)),
            (StatusCode::BAD_REQUEST, Some(expected)),
            "{bad}"
        );
    }
    let too_many = format!(
        r#"{{"observations":[{}]}}"#,
        vec![ok.as_str(); 101].join(",")
    );
    let r = server
        .post(&format!("/v1/instances/{id}/process/batch"), &too_many)
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("observations"))
    );
    let r = server
        .post(
            &format!("/v1/instances/{id}/process/batch"),
            r#"{"observations":[]}"#,
        )
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("observations"))
    );
    assert_eq!(
        server
            .get(&format!("/v1/instances/{id}/history"))
            .await
            .body["pagination"]["total"],
        0
    );
    assert_eq!(
        data(&server.get(&format!("/v1/instances/{id}")).await)["cycle_count"],
        0
    );
    let hundred = format!(
        r#"{{"observations":[{}]}}"#,
        vec![ok.as_str(); 100].join(",")
    );
    let r = server
        .post(&format!("/v1/instances/{id}/process/batch"), &hundred)
        .await;
    assert_eq!(data(&r)["processed_count"], 100);
    server.terminate().await;
}

pub async fn concurrent_calls_inside_the_interval_make_one_cycle(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "60000")]).await;
    let id = create(&server, r#"{"name":"hot"}"#).await;
    let path = format!("/v1/instances/{id}/process");
    let body = observation("ORDER", 0.9);
    let calls: Vec<_> = (0..24).map(|_| server.post(&path, &body)).collect();
    let replies = join_all(calls).await;
    let fresh: Vec<_> = replies
        .iter()
        .filter(|r| data(r)["throttled"] == false)
        .collect();
    assert_eq!(fresh.len(), 1);
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            data(r)["snapshot"]["cycle"],
            1,
            "throttled answers carry the state of the one cycle"
        );
        assert_eq!(data(r)["snapshot"], data(fresh[0])["snapshot"]);
    }
    assert_eq!(
        server
            .get(&format!("/v1/instances/{id}/history"))
            .await
            .body["pagination"]["total"],
        1
    );
    // A batch counts as one call for the throttle too.
    let batch = format!(r#"{{"observations":[{body},{body}]}}"#);
    let r = server.post(&format!("{path}/batch"), &batch).await;
    assert_eq!(
        (
            data(&r)["throttled"].as_bool(),
            data(&r)["processed_count"].as_u64()
        ),
        (Some(true), Some(0))
    );
    assert_eq!(
        data(&server.get(&format!("/v1/instances/{id}")).await)["cycle_count"],
        1
    );
    server.terminate().await;
}

pub async fn reset_restarts_the_cycle_and_keeps_the_record(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let id = create(
        &server,
        r#"{"name":"reset","initial_config":{"energy_level":0.55}}"#,
    )
    .await;
    for _ in 0..4 {
        server
            .post(
                &format!("/v1/instances/{id}/process"),
                &observation("STRESS_RESPONSE", 1.0),
            )
            .await;
    }
    for (mode, energy) in [("default", json!(0.8)), ("initial", json!(0.55))] {
        let r = server
            .post(
                &format!("/v1/instances/{id}/reset"),
                &format!(r#"{{"mode":"{mode}"}}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            data(&r),
            &json!({"id": id, "reset_to": mode, "cycle": 0, "energy_level": energy, "stress_state": "LOW"})
        );
    }
    let r = server
        .post(
            &format!("/v1/instances/{id}/reset"),
            r#"{"mode":"last_stable"}"#,
        )
        .await;
    assert_eq!(
        (r.status, data(&r)["cycle"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    let snapshot = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(
        (
            data(&snapshot)["cycle"].as_u64(),
            data(&snapshot)["cycle_count"].as_u64()
        ),
        (Some(0), Some(4))
    );
    assert_eq!(
        server
            .get(&format!("/v1/instances/{id}/history"))
            .await
            .body["pagination"]["total"],
        4
    );
    let r = server
        .post(
            &format!("/v1/instances/{id}/reset"),
            r#"{"mode":"yesterday"}"#,
        )
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("mode"))
    );
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.5),
        )
        .await;
    assert_eq!(data(&r)["snapshot"]["cycle"], 1);
    server.terminate().await;
}

pub async fn a_stopped_instance_refuses_processing_until_started(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let id = create(&server, r#"{"name":"stoppable"}"#).await;
    server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.5),
        )
        .await;
    let stopped = server.post_empty(&format!("/v1/instances/{id}/stop")).await;
    assert_eq!(data(&stopped)["status"], "stopped");
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.5),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["details"]["reason"], "instance_stopped");
    let batch = format!(r#"{{"observations":[{}]}}"#, observation("ORDER", 0.5));
    assert_eq!(
        server
            .post(&format!("/v1/instances/{id}/process/batch"), &batch)
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Reads still work.
    assert_eq!(
        data(&server.get(&format!("/v1/instances/{id}/snapshot")).await)["cycle"],
        1
    );
    let started = server
        .post_empty(&format!("/v1/instances/{id}/start"))
        .await;
    assert_ne!(data(&started)["status"], "stopped");
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.5),
        )
        .await;
    assert_eq!(
        (r.status, data(&r)["snapshot"]["cycle"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    let restarted = server
        .post_empty(&format!("/v1/instances/{id}/restart"))
        .await;
    assert_eq!(
        (
            data(&restarted)["status"].as_str(),
            data(&restarted)["cycle_count"].as_u64()
        ),
        (Some("active"), Some(2))
    );
    let updated = server
        .post_empty(&format!("/v1/instances/{id}/update"))
        .await;
    assert_eq!(data(&updated)["engine_version"], 1);
    // A cycle cap is a conflict once reached.
    server
        .call(
            hyper::Method::PATCH,
            &format!("/v1/instances/{id}"),
            Some(crate::server::KEY),
            Some(r#"{"cycle_cap":3}"#),
        )
        .await;
    assert_eq!(
        server
            .post(
                &format!("/v1/instances/{id}/process"),
                &observation("ORDER", 0.5)
            )
            .await
            .status,
        StatusCode::OK
    );
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.5),
        )
        .await;
    assert_eq!(
        (r.status, r.body["details"]["reason"].as_str()),
        (StatusCode::CONFLICT, Some("cycle_cap_reached"))
    );
    server.terminate().await;
}
