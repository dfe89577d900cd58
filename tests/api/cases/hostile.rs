//! Hostile input and hostile clients: refused in the envelope with the field named,
//! never a 500, a clamped value or a connection held forever.

use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::raw;
use crate::server::{Db, KEY, TestServer};

use super::support::{create, data, field, observation};

/// The status, `error` and `details.field` of a reply, to compare in one line.
fn verdict(r: &crate::server::Reply) -> (u16, String, String) {
    (
        r.status.as_u16(),
        r.body["error"].as_str().unwrap_or_default().to_owned(),
        field(r).unwrap_or_default().to_owned(),
    )
}

fn refused(field: &str) -> (u16, String, String) {
    (400, "invalid_request".into(), field.into())
}

pub async fn stored_text_with_a_nul_is_refused_alike(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let id = create(&server, r#"{"name":"clean"}"#).await;
    let nul = r"a\u0000b";
    for (body, at) in [
        (format!(r#"{{"name":"{nul}"}}"#), "name"),
        (
            format!(r#"{{"name":"n","description":"{nul}"}}"#),
            "description",
        ),
        (format!(r#"{{"name":"n","user":"{nul}"}}"#), "user"),
        (
            format!(r#"{{"name":"n","metadata":{{"k":"{nul}"}}}}"#),
            "metadata.k",
        ),
        (
            format!(r#"{{"name":"n","metadata":{{"{nul}":"v"}}}}"#),
            "metadata.a\u{0}b",
        ),
    ] {
        let r = server.post("/v1/instances", &body).await;
        assert_eq!(verdict(&r), refused(at), "{body}: {}", r.body);
        let patch = body.replace(r#""name":"n","#, "");
        let r = server
            .call(
                Method::PATCH,
                &format!("/v1/instances/{id}"),
                Some(KEY),
                Some(&patch),
            )
            .await;
        assert_eq!(verdict(&r), refused(at), "PATCH {patch}: {}", r.body);
    }
    let r = server
        .post(
            "/v1/test/submit",
            &format!(r#"{{"responses":[],"create_instance":true,"instance_name":"{nul}"}}"#),
        )
        .await;
    assert_eq!(verdict(&r), refused("instance_name"), "{}", r.body);
    let r = server.get("/v1/instances?user=a%00b").await;
    assert_eq!(verdict(&r), refused("user"), "{}", r.body);
    let r = server
        .post("/sdk/v1/instances", &format!(r#"{{"name":"{nul}"}}"#))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Nothing was written by any of them.
    let listed = server.get("/v1/instances").await;
    assert_eq!(listed.body["pagination"]["total"], 1, "{}", listed.body);
    assert_eq!(
        data(&server.get(&format!("/v1/instances/{id}")).await)["name"],
        "clean"
    );
    server.terminate().await;
}

pub async fn context_is_json_every_client_reads_back(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let id = create(&server, r#"{"name":"context"}"#).await;
    let process = format!("/v1/instances/{id}/process");
    let with = |context: &str| {
        format!(r#"{{"mode_target":"ORDER","signal_strength":0.5,"context":{context}}}"#)
    };
    let deep = |levels: usize| {
        format!(
            r#"{{"a":{}{}}}"#,
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    };
    for context in [
        deep(4000),
        deep(33),
        r#"{"x":1e400}"#.to_owned(),
        r#"{"x":1,"x":2}"#.to_owned(),
        r#"{"o":{"k":true,"k":false}}"#.to_owned(),
    ] {
        let r = server.post(&process, &with(&context)).await;
        assert_eq!(verdict(&r), refused("context"), "{}", r.body);
    }
    let batch = format!(
        r#"{{"observations":[{},{}]}}"#,
        observation("ORDER", 0.5),
        with(r#"{"x":1,"x":1}"#)
    );
    let r = server.post(&format!("{process}/batch"), &batch).await;
    assert_eq!(
        verdict(&r),
        refused("observations[1].context"),
        "{}",
        r.body
    );
    // What is accepted reads back as the same JSON, 32 levels deep at most.
    let kept = deep(32);
    assert_eq!(
        server.post(&process, &with(&kept)).await.status,
        StatusCode::OK
    );
    let history = server.get(&format!("/v1/instances/{id}/history")).await;
    let entries = data(&history).as_array().cloned().unwrap_or_default();
    assert_eq!(
        entries.len(),
        1,
        "only the accepted cycle: {}",
        history.body
    );
    let expected: Value = serde_json::from_str(&kept).unwrap_or_default();
    assert_eq!(entries[0]["context"], expected);
    server.terminate().await;
}

pub async fn integers_are_refused_never_clamped(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let over = "9223372036854775808";
    let r = server
        .post(
            "/v1/instances",
            &format!(r#"{{"name":"cap","cycle_cap":{over}}}"#),
        )
        .await;
    assert_eq!(verdict(&r), refused("cycle_cap"), "{}", r.body);
    let r = server
        .post(
            "/v1/instances",
            r#"{"name":"cap","cycle_cap":9223372036854775807}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(data(&r)["cycle_cap"], 9_223_372_036_854_775_807u64);
    let id = data(&r)["id"].as_str().unwrap_or_default().to_owned();
    let r = server
        .call(
            Method::PATCH,
            &format!("/v1/instances/{id}"),
            Some(KEY),
            Some(&format!(r#"{{"cycle_cap":{over}}}"#)),
        )
        .await;
    assert_eq!(verdict(&r), refused("cycle_cap"), "{}", r.body);
    for path in [
        format!("/v1/instances?offset={over}"),
        format!("/v1/instances/{id}/history?offset={over}"),
        format!("/v1/instances/{id}/drift?offset={over}"),
    ] {
        let r = server.get(&path).await;
        assert_eq!(verdict(&r), refused("offset"), "{path}: {}", r.body);
    }
    server.terminate().await;
}

pub async fn every_v1_answer_is_an_envelope_naming_its_field(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let id = create(&server, r#"{"name":"envelope"}"#).await;
    let process = format!("/v1/instances/{id}/process");
    let r = server.get("/v1/instances/%FF").await;
    assert_eq!(
        verdict(&r),
        (404, "not_found".into(), "id".into()),
        "{}",
        r.body
    );
    for (body, at) in [
        (
            r#"{"mode_target":"ORDER","signal_strength":NaN}"#,
            "signal_strength",
        ),
        (
            r#"{"mode_target":"ORDER","signal_strength":0.5,"confidence":Infinity}"#,
            "confidence",
        ),
        (
            r#"{"mode_target":"ORDER","mode_target":"ORDER","signal_strength":0.5}"#,
            "mode_target",
        ),
        (r#"{"mode_target":"ORDER","signal_strength":0.5"#, "body"),
    ] {
        let r = server.post(&process, body).await;
        assert_eq!(verdict(&r), refused(at), "{body}: {}", r.body);
    }
    let r = server
        .post(
            "/v1/instances",
            r#"{"name":"m","metadata":{"k":"1","k":"2"}}"#,
        )
        .await;
    assert_eq!(verdict(&r), refused("metadata.k"), "{}", r.body);
    let r = server.get("/v1/instances?limit=1&limit=2").await;
    assert_eq!(verdict(&r), refused("limit"), "{}", r.body);
    let r = server.get("/v1/instances?user=%FF").await;
    assert_eq!(verdict(&r), refused("user"), "{}", r.body);
    // serde would fill a struct from an array by position.
    let r = server.post("/v1/instances", r#"["positional",""]"#).await;
    assert_eq!(verdict(&r), refused("body"), "{}", r.body);
    let r = server
        .post("/v1/instances", r#"{"name":"whole","cycle_cap":6056.0}"#)
        .await;
    assert_eq!(
        data(&r)["cycle_cap"],
        6056,
        "a whole number is an integer: {}",
        r.body
    );

    // Requests hyper refuses before any route sees them.
    let wait = Duration::from_secs(5);
    let long_uri = format!(
        "GET /v1/{} HTTP/1.1\r\nconnection: close\r\n\r\n",
        "a".repeat(20_000)
    );
    let (status, head, body) = raw::exchange(&server.base, long_uri.as_bytes(), wait).await;
    assert_eq!(
        (status, &body["error"], &body["details"]["field"]),
        (414, &"uri_too_long".into(), &"uri".into()),
        "{head}"
    );
    assert!(head.contains("content-type: application/json"), "{head}");
    let many: String = (0..120).map(|i| format!("x-h{i}: v\r\n")).collect();
    let many = format!("GET /v1/personas HTTP/1.1\r\nconnection: close\r\n{many}\r\n");
    let (status, head, body) = raw::exchange(&server.base, many.as_bytes(), wait).await;
    assert_eq!(
        (status, &body["error"]),
        (431, &"headers_too_large".into()),
        "{head}"
    );
    let big = format!(
        "GET /v1/personas HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(100_000)
    );
    let (status, _, body) = raw::exchange(&server.base, big.as_bytes(), wait).await;
    assert_eq!(
        (status, &body["details"]["field"]),
        (431, &"headers".into())
    );
    let (status, _, body) = raw::exchange(
        &server.base,
        b"GET /v1/personas HTTP/1.1\r\nbad header\r\n\r\n",
        wait,
    )
    .await;
    assert_eq!(
        (status, &body["details"]["field"]),
        (400, &"request".into())
    );
    server.terminate().await;
}

pub async fn api_routes_answer_only_after_authentication(db: Db) {
    let server = TestServer::start(db, &[]).await;
    for (method, path) in [
        (Method::GET, "/v1/no/such/route"),
        (Method::DELETE, "/v1/personas"),
        (Method::GET, "/sdk/v1/no/such/route"),
        (Method::PUT, "/v1/instances"),
    ] {
        let r = server.call(method.clone(), path, None, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            r.body
        );
        let r = server.call(method.clone(), path, Some(KEY), None).await;
        assert!(
            matches!(r.status.as_u16(), 404 | 405) || path.starts_with("/sdk"),
            "{method} {path}: {}",
            r.status
        );
        if !path.starts_with("/sdk") {
            let at = if r.status == StatusCode::NOT_FOUND {
                "path"
            } else {
                "method"
            };
            assert_eq!(field(&r), Some(at), "{method} {path}: {}", r.body);
        }
        assert!(
            r.headers.contains_key("x-ratelimit-limit"),
            "{method} {path}"
        );
        assert!(
            r.headers.contains_key("x-ratelimit-remaining"),
            "{method} {path}"
        );
    }
    let r = server.call(Method::GET, "/v1/personas", None, None).await;
    assert_eq!(field(&r), Some("authorization"));
    let req = hyper::Request::builder()
        .method(Method::POST)
        .uri(format!("{}/v1/instances", server.base))
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "text/plain")
        .body(http_body_util::Full::new(hyper::body::Bytes::from("{}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = server.send(req).await;
    assert_eq!((r.status.as_u16(), field(&r)), (415, Some("content-type")));
    // The scheme is case-insensitive (RFC 9110 §11.1).
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let req = hyper::Request::builder()
            .uri(format!("{}/v1/personas", server.base))
            .header("authorization", format!("{scheme} {KEY}"))
            .body(http_body_util::Full::new(hyper::body::Bytes::new()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(server.send(req).await.status, StatusCode::OK, "{scheme}");
    }
    server.terminate().await;
}

pub async fn null_is_refused_where_a_field_cannot_be_null(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let r = server
        .post(
            "/v1/instances",
            r#"{"name":"nulls","user":"u","cycle_cap":5,"metadata":{"k":"v"}}"#,
        )
        .await;
    let before = data(&r).clone();
    let path = format!(
        "/v1/instances/{}",
        before["id"].as_str().unwrap_or_default()
    );
    for at in ["name", "description", "metadata"] {
        let body = format!(r#"{{"{at}":null}}"#);
        let r = server
            .call(Method::PATCH, &path, Some(KEY), Some(&body))
            .await;
        assert_eq!(verdict(&r), refused(at), "{body}: {}", r.body);
    }
    assert_eq!(
        data(&server.get(&path).await)["updated_at"],
        before["updated_at"],
        "nothing changed"
    );
    // The nullable ones clear.
    let r = server
        .call(
            Method::PATCH,
            &path,
            Some(KEY),
            Some(r#"{"user":null,"cycle_cap":null}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (&data(&r)["user"], &data(&r)["cycle_cap"]),
        (&Value::Null, &Value::Null)
    );
    server.terminate().await;
}

/// Slow and idle clients are disconnected on time while a normal client is served
/// throughout, and connections over the bound are refused quickly.
pub async fn hostile_clients_cannot_hold_the_server() {
    let header = Duration::from_millis(2000);
    let server = TestServer::start(
        Db::Sqlite,
        &[
            ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
            ("IDENTITY_OS_SERVER__HEADER_TIMEOUT_MS", "2000"),
            ("IDENTITY_OS_SERVER__IDLE_TIMEOUT_MS", "3000"),
            ("IDENTITY_OS_SERVER__BODY_TIMEOUT_MS", "1500"),
        ],
    )
    .await;
    let id = create(&server, r#"{"name":"steady"}"#).await;

    // 500 clients trickle a request head, a byte a second.
    let mut tricklers = Vec::new();
    for _ in 0..500 {
        let mut stream = raw::connect(&server.base).await;
        tricklers.push(tokio::spawn(async move {
            let started = Instant::now();
            for byte in b"GET /v1/personas HTTP/1.1\r\nhost: x\r\n".iter().cycle() {
                if stream.write_all(&[*byte]).await.is_err() {
                    break;
                }
                if let Some(after) = raw::closed_within(&mut stream, Duration::from_secs(1)).await {
                    let _ = after;
                    break;
                }
                if started.elapsed() > Duration::from_secs(30) {
                    break;
                }
            }
            started.elapsed()
        }));
    }
    // Meanwhile a normal client keeps processing.
    let caller = server.caller();
    let path = format!("/v1/instances/{id}/process");
    let steady = tokio::spawn(async move {
        let mut statuses = Vec::new();
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            let answer = caller.try_post(&path, &observation("ORDER", 0.5)).await;
            statuses.push(answer.map(|r| r.status.as_u16()).unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        statuses
    });
    let mut held = Vec::new();
    for t in tricklers {
        held.push(t.await.unwrap_or(Duration::MAX));
    }
    let longest = held.iter().max().copied().unwrap_or_default();
    assert!(
        longest < header + Duration::from_millis(1500),
        "a trickler was held {longest:?}"
    );
    let statuses = steady.await.unwrap_or_default();
    assert!(
        statuses.len() > 10 && statuses.iter().all(|s| *s == 200),
        "{statuses:?}"
    );

    // A body declared too large is refused at once; one that stalls gets 408.
    let head = format!(
        "POST /v1/instances HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {KEY}\r\ncontent-type: application/json\r\ncontent-length: "
    );
    let started = Instant::now();
    let (status, _, body) = raw::exchange(
        &server.base,
        format!("{head}99999999\r\n\r\n{{").as_bytes(),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!((status, &body["error"]), (413, &"payload_too_large".into()));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let (status, _, body) = raw::exchange(
        &server.base,
        format!("{head}100\r\n\r\n{{\"name\"").as_bytes(),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        (status, &body["error"], &body["details"]["field"]),
        (408, &"request_timeout".into(), &"body".into())
    );

    // A kept-alive connection is closed once idle, not before the idle timeout.
    let mut stream = raw::connect(&server.base).await;
    let _ = stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let idle = raw::closed_within(&mut stream, Duration::from_secs(10)).await;
    assert!(
        idle.is_some_and(|d| d > Duration::from_millis(2500) && d < Duration::from_millis(4500)),
        "closed after {idle:?}"
    );

    server.terminate().await;

    // Over the bound: 40 held, the next 64 get only the operations routes, the rest
    // are closed at once.
    let server =
        TestServer::start(Db::Sqlite, &[("IDENTITY_OS_SERVER__MAX_CONNECTIONS", "40")]).await;
    let mut held = Vec::new();
    for _ in 0..40 {
        held.push(raw::connect(&server.base).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, _, _) = raw::exchange(
        &server.base,
        b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n",
        Duration::from_secs(3),
    )
    .await;
    assert_eq!(status, 200, "health answers over the bound");
    let over =
        format!("GET /v1/personas HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {KEY}\r\n\r\n");
    let (status, head, body) =
        raw::exchange(&server.base, over.as_bytes(), Duration::from_secs(3)).await;
    assert_eq!(
        (status, &body["error"]),
        (503, &"unavailable".into()),
        "{head}"
    );
    assert!(head.contains("retry-after"), "{head}");
    let mut overflow = Vec::new();
    for _ in 0..64 {
        overflow.push(raw::connect(&server.base).await);
    }
    let started = Instant::now();
    let mut refused = raw::connect(&server.base).await;
    let closed = raw::closed_within(&mut refused, Duration::from_secs(3)).await;
    assert!(closed.is_some(), "a connection past the bound is closed");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    drop((held, overflow));
    server.terminate().await;
}

/// A purge shares the database with writers; on SQLite it used to fail with "database is
/// locked" whenever one was committing.
pub async fn purges_wait_for_concurrent_writers(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let busy = create(&server, r#"{"name":"busy"}"#).await;
    let mut doomed = Vec::new();
    for i in 0..30 {
        doomed.push(create(&server, &format!(r#"{{"name":"doomed {i}"}}"#)).await);
    }
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let caller = server.caller();
            let path = format!("/v1/instances/{busy}/process");
            tokio::spawn(async move {
                for _ in 0..150 {
                    let _ = caller.try_post(&path, &observation("ORDER", 0.5)).await;
                }
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for id in &doomed {
        let r = server
            .call(
                Method::DELETE,
                &format!("/v1/instances/{id}?purge=true"),
                Some(KEY),
                None,
            )
            .await;
        statuses.push(r.status.as_u16());
    }
    for w in writers {
        let _ = w.await;
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let listed = server.get("/v1/instances").await;
    assert_eq!(listed.body["pagination"]["total"], 1);
    server.terminate().await;
}
