use hyper::{Method, StatusCode};

use crate::server::{Db, KEY, TestServer};

use super::support::{create, field, observation};

pub async fn bad_input_is_refused_with_the_field_named(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_SERVER__MAX_BODY_BYTES", "4096")]).await;
    let id = create(&server, r#"{"name":"limits"}"#).await;
    let process = format!("/v1/instances/{id}/process");
    for (body, expected) in [
        (r#"{"signal_strength":0.5}"#.to_owned(), "mode_target"),
        (r#"{"mode_target":"ORDER"}"#.to_owned(), "signal_strength"),
        (
            r#"{"mode_target":"Order","signal_strength":0.5}"#.to_owned(),
            "mode_target",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":"0.5"}"#.to_owned(),
            "signal_strength",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":1.0000001}"#.to_owned(),
            "signal_strength",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":0.5,"confidence":2}"#.to_owned(),
            "confidence",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":0.5,"context":"x"}"#.to_owned(),
            "context",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":0.5,"extra":1}"#.to_owned(),
            "extra",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":1e400}"#.to_owned(),
            "signal_strength",
        ),
    ] {
        let r = server.post(&process, &body).await;
        assert_eq!(
            (r.status, field(&r)),
            (StatusCode::BAD_REQUEST, Some(expected)),
            "{body}"
        );
        assert_eq!(r.body["error"], "invalid_request");
    }
    let big_context = format!(
        r#"{{"mode_target":"ORDER","signal_strength":0.5,"context":{{"x":"{}"}}}}"#,
        "a".repeat(3000)
    );
    let r = server.post(&process, &big_context).await;
    assert_eq!(r.status, StatusCode::OK, "3 KB of context is fine");
    let r = server
        .post(&process, &format!(r#"{{"name":"{}"}}"#, "a".repeat(5000)))
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let r = server.post(&process, "{not json").await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let r = server.call(Method::POST, &process, Some(KEY), None).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.body["error"], "unsupported_media_type");
    let r = server
        .post("/v1/instances/inst_XYZ/process", &observation("ORDER", 0.5))
        .await;
    assert_eq!((r.status, field(&r)), (StatusCode::NOT_FOUND, Some("id")));
    let r = server
        .post(
            "/v1/instances/inst_0000000000000000/process",
            &observation("ORDER", 0.5),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    for (query, expected) in [
        ("/v1/instances?limit=101", "limit"),
        ("/v1/instances?limit=0", "limit"),
        ("/v1/instances?limit=ten", "limit"),
        ("/v1/instances?sort=age", "sort"),
        ("/v1/instances?order=up", "order"),
        ("/v1/instances?status=sleeping", "status"),
        ("/v1/instances?colour=red", "colour"),
    ] {
        let r = server.get(query).await;
        assert_eq!(
            (r.status, field(&r)),
            (StatusCode::BAD_REQUEST, Some(expected)),
            "{query}"
        );
    }
    assert_eq!(
        server.get("/v1/instances?limit=100").await.status,
        StatusCode::OK
    );
    let r = server
        .get(&format!("/v1/instances/{id}/history?limit=1001"))
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    assert_eq!(
        server
            .get(&format!("/v1/instances/{id}/history?limit=1000"))
            .await
            .status,
        StatusCode::OK
    );
    let r = server
        .get(&format!("/v1/instances/{id}/drift?limit=1001"))
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let r = server
        .post(
            "/v1/instances",
            &format!(r#"{{"name":"{}"}}"#, "n".repeat(101)),
        )
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (StatusCode::BAD_REQUEST, Some("name"))
    );
    let r = server
        .post(
            "/v1/instances",
            r#"{"name":"x","initial_config":{"mode_strengths":{"order":-0.1}}}"#,
        )
        .await;
    assert_eq!(
        (r.status, field(&r)),
        (
            StatusCode::BAD_REQUEST,
            Some("initial_config.mode_strengths.order")
        )
    );
    server.terminate().await;
}

pub async fn rate_limits_and_quotas_answer_429(db: Db) {
    let server = TestServer::start(
        db,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_PLANS__INDIE__MONTHLY_CYCLES", "3"),
        ],
    )
    .await;
    let (_, free, _) = server.command(&["keys", "create", "--plan", "free"]).await;
    let free = free.trim().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let r = server
            .call(Method::GET, "/v1/personas", Some(&free), None)
            .await;
        statuses.push(r.status);
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.body["error"], "rate_limit_exceeded");
            assert!(
                r.body["retry_after"]
                    .as_u64()
                    .is_some_and(|s| (1..=60).contains(&s))
            );
            assert!(r.headers.contains_key("retry-after"));
            assert_eq!(
                r.headers
                    .get("x-ratelimit-remaining")
                    .and_then(|v| v.to_str().ok()),
                Some("0")
            );
        } else {
            assert_eq!(
                r.headers
                    .get("x-ratelimit-limit")
                    .and_then(|v| v.to_str().ok()),
                Some("10")
            );
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        10
    );
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);

    let (_, indie, _) = server.command(&["keys", "create", "--plan", "indie"]).await;
    let indie = indie.trim().to_owned();
    let r = server
        .call(
            Method::POST,
            "/v1/instances",
            Some(&indie),
            Some(r#"{"name":"q"}"#),
        )
        .await;
    let id = r.body["data"]["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/v1/instances/{id}/process");
    let body = observation("ORDER", 0.5);
    for _ in 0..3 {
        let r = server
            .call(Method::POST, &path, Some(&indie), Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = server
        .call(Method::POST, &path, Some(&indie), Some(&body))
        .await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("quota_exceeded"))
    );
    assert!(
        r.body["retry_after"]
            .as_u64()
            .is_some_and(|s| s > 0 && s <= 31 * 86_400)
    );
    let batch = format!(r#"{{"observations":[{body}]}}"#);
    let r = server
        .call(
            Method::POST,
            &format!("{path}/batch"),
            Some(&indie),
            Some(&batch),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    server.terminate().await;
}
