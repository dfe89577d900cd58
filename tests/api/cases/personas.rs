use hyper::StatusCode;
use identity_os::engine::personas;
use identity_os::engine::questionnaire::{self, TestVersion};
use serde_json::{Value, json};

use super::support::{create, data, field, observation};
use crate::server::{Db, Reply, TestServer};

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

/// The answers `persona` would give, as a `responses` array, minus `skip`ped questions.
fn answers_of(persona: &str, skip: &[u64]) -> Value {
    let persona = personas::get(persona).unwrap_or_else(|| panic!("no {persona}"));
    let answers = questionnaire::implied_answers(TestVersion::V1, persona);
    (1u64..)
        .zip(answers)
        .filter(|(q, _)| !skip.contains(q))
        .map(|(q, option)| json!({"question_id": q, "selected_option_id": option}))
        .collect()
}

async fn submit(server: &TestServer, body: Value) -> Reply {
    server.post("/v1/test/submit", &body.to_string()).await
}

pub async fn a_submitted_test_is_scored_applied_and_created_from(db: Db) {
    let server = TestServer::start(db, &[]).await;

    // Scored only: the persona whose answers these are matches best, exactly.
    let r = submit(
        &server,
        json!({"responses": answers_of("persona_analytical", &[])}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let result = data(&r).clone();
    assert_eq!(result["version"], "v1");
    let matches = result["matched_personas"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(matches.len(), 3);
    assert_eq!(matches[0]["id"], "persona_analytical");
    assert_eq!(matches[0]["match_score"], 1.0);
    let scores: Vec<f64> = matches
        .iter()
        .filter_map(|m| m["match_score"].as_f64())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]) && scores[2] >= 0.0,
        "{scores:?}"
    );
    let strengths = result["mode_strengths"].clone();
    assert_eq!(strengths.as_object().map(|m| m.len()), Some(7));
    assert_eq!(result["initial_config"]["mode_strengths"], strengths);
    assert_eq!(result["instance"], Value::Null);
    assert_eq!(result["snapshot"]["mode_strengths"], strengths);
    assert_eq!(result["snapshot"]["cycle"], 0);
    assert!(result["contract"]["allowed_actions"].is_array());

    // `initial_config` is ready for POST /instances.
    let body = json!({"name": "from-config", "initial_config": result["initial_config"]});
    let id = create(&server, &body.to_string()).await;
    let r = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(data(&r)["mode_strengths"], strengths);

    // Created from the result.
    let r = submit(
        &server,
        json!({"responses": answers_of("persona_analytical", &[]),
        "create_instance": true, "instance_name": " tested "}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let created = data(&r)["instance"].clone();
    assert_eq!(created["name"], "tested");
    let created_id = created["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(data(&r)["snapshot"]["instance_id"], created_id.as_str());
    let r = server
        .get(&format!("/v1/instances/{created_id}/snapshot"))
        .await;
    assert_eq!(data(&r)["mode_strengths"], strengths);

    // Applied to a running instance: like a reset — cycle 0, lifetime count and history kept.
    let id = create(&server, r#"{"name":"applied"}"#).await;
    let r = server
        .post(
            &format!("/v1/instances/{id}/process"),
            &observation("ORDER", 0.9),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = submit(
        &server,
        json!({"responses": answers_of("persona_analytical", &[]), "instance_id": id}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(data(&r)["instance"]["cycle_count"], 1);
    assert_eq!(data(&r)["snapshot"]["cycle"], 0);
    assert_eq!(data(&r)["snapshot"]["mode_strengths"], strengths);
    let r = server.get(&format!("/v1/instances/{id}/snapshot")).await;
    assert_eq!(data(&r)["mode_strengths"], strengths);
    let r = server.get(&format!("/v1/instances/{id}/history")).await;
    assert_eq!(r.body["pagination"]["total"], 1);

    // Errors name the field; none of them changes anything.
    let r = submit(
        &server,
        json!({"responses": answers_of("persona_analytical", &[5, 9])}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body["details"],
        json!({"field": "responses", "reason": "incomplete_test", "missing": [5, 9]})
    );
    let mut twice = answers_of("persona_analytical", &[]);
    if let Some(list) = twice.as_array_mut() {
        list.push(json!({"question_id": 3, "selected_option_id": "a"}));
    }
    let r = submit(&server, json!({ "responses": twice })).await;
    assert_eq!(field(&r), Some("responses[28].question_id"));
    let mut bad_option = answers_of("persona_analytical", &[]);
    bad_option[0]["selected_option_id"] = json!("e");
    let r = submit(&server, json!({ "responses": bad_option })).await;
    assert_eq!(field(&r), Some("responses[0].selected_option_id"));
    let mut bad_question = answers_of("persona_analytical", &[]);
    bad_question[27]["question_id"] = json!(29);
    let r = submit(&server, json!({ "responses": bad_question })).await;
    assert_eq!(field(&r), Some("responses[27].question_id"));
    let all = answers_of("persona_analytical", &[]);
    let r = submit(
        &server,
        json!({"responses": all, "instance_id": id, "create_instance": true,
        "instance_name": "x"}),
    )
    .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("create_instance"))
    );
    let r = submit(&server, json!({"responses": all, "create_instance": true})).await;
    assert_eq!(field(&r), Some("instance_name"));
    let r = submit(&server, json!({"responses": all, "version": "v9"})).await;
    assert_eq!(field(&r), Some("version"));
    let r = submit(
        &server,
        json!({"responses": all, "instance_id": "inst_0000000000000000"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = server.get("/v1/instances?limit=100").await;
    assert_eq!(
        r.body["pagination"]["total"], 3,
        "no instance was created by a failure"
    );
    server.terminate().await;
}
