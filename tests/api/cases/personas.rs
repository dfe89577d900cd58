use hyper::StatusCode;
use serde_json::Value;

use crate::server::{Db, TestServer};

pub async fn personas_are_the_documented_twelve(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let r = server.get("/v1/personas").await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 12);
    assert_eq!(r.body["pagination"]["total"], 12);
    assert_eq!(r.body["pagination"]["has_more"], false);
    let ids: Vec<&str> = list.iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids[0], "persona_analytical");
    assert_eq!(ids[11], "persona_catalyst");
    for p in &list {
        for field in [
            "id",
            "name",
            "summary",
            "dominant_modes",
            "mode_strengths",
            "energy_level",
            "expressions",
            "typical_contract",
        ] {
            assert!(!p[field].is_null(), "{field} missing in {p}");
        }
        assert!(p["expressions"].as_array().map_or(0, Vec::len) >= 2);
        assert_eq!(p["dominant_modes"].as_array().map(Vec::len), Some(2));
        assert!(p["typical_contract"]["allowed_actions"].is_array());
    }
    let one = server.get("/v1/personas/persona_scholar").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["data"]["name"], "Scholar");
    assert_eq!(
        one.body["data"]["dominant_modes"],
        serde_json::json!(["Perception", "Order"])
    );
    assert_eq!(one.body["data"], list[8]);
    server.terminate().await;
}

pub async fn the_questionnaire_is_served(db: Db) {
    let server = TestServer::start(db, &[]).await;
    for path in ["/v1/test/questions", "/v1/test/questions?version=v1"] {
        let r = server.get(path).await;
        assert_eq!(r.status, StatusCode::OK);
        let data = &r.body["data"];
        assert_eq!(
            (data["version"].as_str(), data["total"].as_u64()),
            (Some("v1"), Some(28))
        );
        let questions = data["questions"].as_array().cloned().unwrap_or_default();
        assert_eq!(questions.len(), 28);
        assert_eq!(questions[0]["id"], 1);
        let options = questions[0]["options"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let ids: Vec<&str> = options.iter().filter_map(|o| o["id"].as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert!(
            options
                .iter()
                .all(|o| o["mode"].as_str().is_some_and(|m| m == m.to_lowercase()))
        );
        assert!(
            options
                .iter()
                .all(|o| o["text"].as_str().is_some_and(|t| !t.is_empty()))
        );
        let _: &Value = &data["questions"];
    }
    server.terminate().await;
}
