use hyper::{Method, StatusCode};
use serde_json::json;

use crate::server::{Db, KEY, TestServer};

use super::support::{create, data, field, observation};

pub async fn instances_are_created_read_listed_changed_and_deleted(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let r = server
        .post(
            "/v1/instances",
            r#"{"name":" Aria ","description":"research","persona":"persona_guardian",
                "initial_config":{"mode_strengths":{"exploration":0.2}},
                "user":"u-1","metadata":{"team":"a"},"cycle_cap":1000}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let inst = data(&r).clone();
    let fields = [
        "id",
        "name",
        "description",
        "created_at",
        "updated_at",
        "cycle_count",
        "energy_level",
        "stress_state",
        "stability_index",
        "status",
        "persona",
        "engine_version",
        "update_available",
        "user",
        "metadata",
        "cycle_cap",
    ];
    let mut keys: Vec<&str> = inst
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    let mut expected = fields.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let id = inst["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("inst_") && id.len() == 21);
    assert_eq!(inst["name"], "Aria");
    assert_eq!(
        (inst["cycle_count"].as_u64(), inst["persona"].as_str()),
        (Some(0), Some("persona_guardian"))
    );
    assert_eq!(
        (
            inst["engine_version"].as_u64(),
            inst["update_available"].as_bool()
        ),
        (Some(1), Some(false))
    );
    assert_eq!(inst["metadata"], json!({"team": "a"}));
    assert!(
        inst["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let got = server.get(&format!("/v1/instances/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(data(&got)["name"], "Aria");

    let second = create(&server, r#"{"name":"Bob","user":"u-2"}"#).await;
    let list = server.get("/v1/instances?limit=1").await;
    let cursor = list.body["pagination"]["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        list.body["pagination"],
        json!({"limit": 1, "offset": 0, "total": 2, "has_more": true, "next_cursor": cursor})
    );
    assert_eq!(list.body["data"][0]["id"], second.as_str());
    let rest = server
        .get(&format!("/v1/instances?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(data(&rest)[0]["id"], id.as_str());
    assert!(rest.body["pagination"]["next_cursor"].is_null());
    let by_user = server
        .get("/v1/instances?user=u-1&sort=name&order=asc")
        .await;
    assert_eq!(by_user.body["pagination"]["total"], 1);
    assert_eq!(by_user.body["data"][0]["id"], id.as_str());

    // Resident first: the snapshot after the patch then comes from a live actor that was
    // told of it, not from a fresh load of the row.
    let before = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(before.status, StatusCode::OK);
    let patched = server
        .call(
            Method::PATCH,
            &format!("/v1/instances/{id}"),
            Some(KEY),
            Some(r#"{"name":"Aria II","user":null}"#),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(
        (
            data(&patched)["name"].as_str(),
            data(&patched)["user"].is_null()
        ),
        (Some("Aria II"), true)
    );
    assert_ne!(data(&patched)["updated_at"], inst["updated_at"]);
    // The snapshot route reports the same times as the instance, the patch's included.
    let snap = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(
        (&data(&snap)["created_at"], &data(&snap)["updated_at"]),
        (&inst["created_at"], &data(&patched)["updated_at"])
    );
    // So does a stop, which changes the row too.
    let stopped = server.post_empty(&format!("/v1/instances/{id}/stop")).await;
    assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.body);
    assert_ne!(data(&stopped)["updated_at"], data(&patched)["updated_at"]);
    let snap = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(data(&snap)["updated_at"], data(&stopped)["updated_at"]);
    let started = server
        .post_empty(&format!("/v1/instances/{id}/start"))
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let engine_field = server
        .call(
            Method::PATCH,
            &format!("/v1/instances/{id}"),
            Some(KEY),
            Some(r#"{"energy_level":0.1}"#),
        )
        .await;
    assert_eq!(
        (engine_field.status, field(&engine_field)),
        (StatusCode::BAD_REQUEST, Some("energy_level"))
    );

    // Delete: gone everywhere at once; restore brings it back with its history.
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
    let deleted = server
        .call(
            Method::DELETE,
            &format!("/v1/instances/{id}"),
            Some(KEY),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(data(&deleted)["deleted"], true);
    assert!(data(&deleted)["restorable_until"].is_string());
    for path in ["", "/snapshot", "/history", "/contract"] {
        let r = server.get(&format!("/v1/instances/{id}{path}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.5),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        server.get("/v1/instances").await.body["pagination"]["total"],
        1
    );
    let restored = server
        .post_empty(&format!("/v1/instances/{id}/restore"))
        .await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(data(&restored)["cycle_count"], 1);
    assert_eq!(
        server
            .get(&format!("/v1/instances/{id}/history"))
            .await
            .body["pagination"]["total"],
        1
    );
    let never_deleted = server
        .post_empty(&format!("/v1/instances/{second}/restore"))
        .await;
    assert_eq!(never_deleted.status, StatusCode::NOT_FOUND);

    let purged = server
        .call(
            Method::DELETE,
            &format!("/v1/instances/{id}?purge=true"),
            Some(KEY),
            None,
        )
        .await;
    assert_eq!(purged.status, StatusCode::OK);
    assert!(data(&purged)["restorable_until"].is_null());
    assert_eq!(
        server
            .post_empty(&format!("/v1/instances/{id}/restore"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    server.terminate().await;
}

pub async fn another_accounts_instances_are_invisible(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let id = create(&server, r#"{"name":"mine"}"#).await;
    // Activate it, so that isolation is checked in the live actor too.
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
    let (ok, other, _) = server.command(&["keys", "create", "--plan", "pro"]).await;
    assert!(ok);
    let other = other.trim().to_owned();
    for (method, path, body) in [
        (Method::GET, String::new(), None),
        (Method::GET, "/snapshot".into(), None),
        (Method::GET, "/contract".into(), None),
        (Method::GET, "/history".into(), None),
        (Method::GET, "/drift".into(), None),
        (
            Method::POST,
            "/process".into(),
            Some(observation("ORDER", 0.5)),
        ),
        (
            Method::POST,
            "/reset".into(),
            Some(r#"{"mode":"default"}"#.to_owned()),
        ),
        (Method::POST, "/stop".into(), None),
        (Method::POST, "/restart".into(), None),
        (Method::DELETE, String::new(), None),
        (
            Method::PATCH,
            String::new(),
            Some(r#"{"name":"theirs"}"#.to_owned()),
        ),
    ] {
        let r = server
            .call(
                method.clone(),
                &format!("/v1/instances/{id}{path}"),
                Some(&other),
                body.as_deref(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.body
        );
    }
    let list = server
        .call(Method::GET, "/v1/instances", Some(&other), None)
        .await;
    assert_eq!(list.body["pagination"]["total"], 0);
    // Untouched for its owner.
    let mine = server.get(&format!("/v1/instances/{id}")).await;
    assert_eq!(
        (data(&mine)["name"].as_str(), data(&mine)["status"].as_str()),
        (Some("mine"), Some("active"))
    );
    server.terminate().await;
}
