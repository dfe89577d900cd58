use hyper::{Method, StatusCode};
use serde_json::Value;

use crate::server::{Db, TestServer};

use super::support::{create, data, field, observation};

/// The ids of a list walked to its end by `next_cursor`, `limit` at a time; every page
/// but the last says `has_more` and hands a cursor, the last hands null.
async fn walk_by_cursor(server: &TestServer, path: &str, key: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            None => format!("{path}{separator}limit=3"),
            Some(cursor) => format!("{path}{separator}limit=3&cursor={cursor}"),
        };
        let page = server.get(&url).await;
        assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.body);
        let items = page.body["data"].as_array().cloned().unwrap_or_default();
        seen.extend(items.iter().map(|i| i[key].clone()));
        let pagination = &page.body["pagination"];
        match pagination["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(items.len(), 3, "{url}: a full page before the end");
                assert_eq!(pagination["has_more"], true);
                next = Some(cursor.to_owned());
            }
            None => {
                assert!(pagination["next_cursor"].is_null(), "{pagination}");
                assert_eq!(pagination["has_more"], false);
                return seen;
            }
        }
        assert!(seen.len() < 1000, "{path}: the cursor walk does not end");
    }
}

/// The ids of a list's first page, and its total.
async fn listed(server: &TestServer, list: &str) -> (Vec<String>, Value) {
    let page = server.get(list).await;
    assert_eq!(page.status, StatusCode::OK, "{list}: {}", page.body);
    let ids = data(&page)
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (ids, page.body["pagination"]["total"].clone())
}

/// The same list read whole by offset.
async fn read_by_offset(server: &TestServer, path: &str, key: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let page = server.get(&format!("{path}{separator}limit=100")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body["data"]
        .as_array()
        .map(|items| items.iter().map(|i| i[key].clone()).collect())
        .unwrap_or_default()
}

pub async fn lists_page_by_cursor_as_they_do_by_offset(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    // Names that repeat (the id breaks the tie), two users.
    let mut ids = Vec::new();
    for (name, user) in [
        ("delta", "u-1"),
        ("alpha", "u-2"),
        ("delta", "u-1"),
        ("charlie", "u-1"),
        ("bravo", "u-2"),
        ("alpha", "u-1"),
        ("echo", "u-1"),
    ] {
        ids.push(create(&server, &format!(r#"{{"name":"{name}","user":"{user}"}}"#)).await);
    }
    server
        .post_empty(&format!("/v1/instances/{}/stop", ids[3]))
        .await;
    // One instance with a history of 7 cycles (and resident: the other instances are
    // not, so both residency filters have something to list).
    let id = &ids[0];
    for mode in [
        "PERCEPTION",
        "ORDER",
        "EXPLORATION",
        "ORDER",
        "PERCEPTION",
        "ORDER",
        "CONNECTION",
    ] {
        let r = server
            .post(
                &format!("/v1/instances/{id}/process"),
                &observation(mode, 0.5),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    for list in [
        "/v1/instances",
        "/v1/instances?order=asc",
        "/v1/instances?sort=name",
        "/v1/instances?sort=name&order=asc",
        "/v1/instances?user=u-1&sort=name",
        "/v1/instances?status=stopped",
        "/v1/instances?status=passivated&order=asc",
        "/v1/instances?status=active",
    ] {
        let by_cursor = walk_by_cursor(&server, list, "id").await;
        assert_eq!(
            by_cursor,
            read_by_offset(&server, list, "id").await,
            "{list}"
        );
    }
    let all = walk_by_cursor(&server, "/v1/instances", "id").await;
    assert_eq!(all.len(), 7);

    let history = format!("/v1/instances/{id}/history");
    let seqs = walk_by_cursor(&server, &history, "seq").await;
    assert_eq!(seqs, (1..=7).rev().map(Value::from).collect::<Vec<_>>());
    let drift = format!("/v1/instances/{id}/drift");
    assert_eq!(
        walk_by_cursor(&server, &drift, "cycle").await,
        read_by_offset(&server, &drift, "cycle").await
    );

    // A cursor is good only for the list, sort and filter it came from.
    let first = server.get("/v1/instances?limit=2&sort=name").await;
    let cursor = first.body["pagination"]["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let history_cursor =
        server.get(&format!("{history}?limit=2")).await.body["pagination"]["next_cursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    for (url, named, reason) in [
        (
            format!("/v1/instances?sort=name&order=asc&cursor={cursor}"),
            "cursor",
            "another_list",
        ),
        (
            format!("/v1/instances?cursor={cursor}"),
            "cursor",
            "another_list",
        ),
        (
            format!("/v1/instances?sort=name&user=u-1&cursor={cursor}"),
            "cursor",
            "another_list",
        ),
        (
            format!("/v1/instances?sort=name&cursor={history_cursor}"),
            "cursor",
            "another_list",
        ),
        (
            format!("/v1/instances/{}/history?cursor={history_cursor}", ids[1]),
            "cursor",
            "another_list",
        ),
        (
            format!("/v1/instances?sort=name&cursor={cursor}&offset=0"),
            "offset",
            "conflict",
        ),
        ("/v1/instances?cursor=zz".to_owned(), "cursor", "malformed"),
        ("/v1/instances?cursor=".to_owned(), "cursor", "malformed"),
        (
            format!("/v1/instances?cursor={}", "ab".repeat(1500)),
            "cursor",
            "malformed",
        ),
        (
            format!("{history}?cursor=6e6f7420612063757273f72"),
            "cursor",
            "malformed",
        ),
    ] {
        let r = server.get(&url).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert_eq!(field(&r), Some(named), "{url}: {}", r.body);
        assert_eq!(r.body["details"]["reason"], reason, "{url}: {}", r.body);
    }
    let next = server
        .get(&format!("/v1/instances?limit=2&sort=name&cursor={cursor}"))
        .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert_eq!(next.body["pagination"]["offset"], 0);
    assert_eq!(next.body["pagination"]["total"], 7);
    assert_eq!(data(&next)[0]["id"], all_by_name(&server).await[2]);
}

async fn all_by_name(server: &TestServer) -> Vec<Value> {
    read_by_offset(server, "/v1/instances?sort=name", "id").await
}

/// `status=active|passivated` split the account's running instances by where their
/// actors are, which only the runtime knows: every page and its total agree with which
/// instances were made resident, under a user filter too, and another account's
/// resident instances count for neither.
pub async fn residency_filters_list_and_count_what_is_resident(db: Db) {
    let server = TestServer::start(db, &[("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")]).await;
    let mut ids = Vec::new();
    for k in 0..10 {
        let user = if k % 2 == 0 { "u-1" } else { "u-2" };
        ids.push(create(&server, &format!(r#"{{"name":"n-{k}","user":"{user}"}}"#)).await);
    }
    // Made resident by a read; one stopped while in storage.
    for k in [0, 3, 5, 8] {
        let r = server
            .get(&format!("/v1/instances/{}/snapshot", ids[k]))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = server
        .post_empty(&format!("/v1/instances/{}/stop", ids[1]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Another account's instance, resident too.
    let (ok, other, _) = server.command(&["keys", "create", "--plan", "pro"]).await;
    assert!(ok);
    let other = other.trim();
    let theirs = server
        .call(
            Method::POST,
            "/v1/instances",
            Some(other),
            Some(r#"{"name":"theirs"}"#),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let their_id = theirs.body["data"]["id"].as_str().unwrap_or_default();
    let read = server
        .call(
            Method::GET,
            &format!("/v1/instances/{their_id}/snapshot"),
            Some(other),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);

    let picked = |ks: &[usize]| -> Vec<Value> {
        let mut v: Vec<Value> = ks.iter().map(|&k| Value::from(ids[k].clone())).collect();
        v.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
        v
    };
    for (list, expected) in [
        ("/v1/instances?status=active", picked(&[0, 3, 5, 8])),
        ("/v1/instances?status=active&user=u-1", picked(&[0, 8])),
        ("/v1/instances?status=passivated", picked(&[2, 4, 6, 7, 9])),
        (
            "/v1/instances?status=passivated&user=u-1",
            picked(&[2, 4, 6]),
        ),
        (
            "/v1/instances?status=passivated&sort=name&order=asc",
            picked(&[2, 4, 6, 7, 9]),
        ),
    ] {
        let mut walked = walk_by_cursor(&server, list, "id").await;
        assert_eq!(walked, read_by_offset(&server, list, "id").await, "{list}");
        walked.sort_by_key(|v| v.as_str().unwrap_or_default().to_owned());
        assert_eq!(walked, expected, "{list}");
        let first = server.get(&format!("{list}&limit=2")).await;
        assert_eq!(
            first.body["pagination"]["total"],
            expected.len(),
            "{list}: {}",
            first.body
        );
        // A page by offset skips as many of the same list.
        let second = server.get(&format!("{list}&limit=2&offset=2")).await;
        let by_offset: Vec<Value> = data(&second)
            .as_array()
            .map(|items| items.iter().map(|i| i["id"].clone()).collect())
            .unwrap_or_default();
        let whole = read_by_offset(&server, list, "id").await;
        assert_eq!(by_offset, whole[2..whole.len().min(4)], "{list}");
        assert_eq!(second.body["pagination"]["total"], expected.len(), "{list}");
    }
    // Stopped, it leaves the running list.
    let r = server
        .post_empty(&format!("/v1/instances/{}/stop", ids[3]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let active = server.get("/v1/instances?status=active").await;
    assert_eq!(active.body["pagination"]["total"], 3, "{}", active.body);
    // A call refused for being stopped brings it back into memory, still not running.
    let process = format!("/v1/instances/{}/process", ids[3]);
    let refused = server
        .post(&process, &observation("EXPLORATION", 0.6))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let (active, total) = listed(&server, "/v1/instances?status=active").await;
    assert_eq!((active.len(), total), (3, Value::from(3)));
    assert!(!active.contains(&ids[3]));
    // Started, it is in storage until its next call, then running.
    let r = server
        .post_empty(&format!("/v1/instances/{}/start", ids[3]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (passivated, _) = listed(&server, "/v1/instances?status=passivated").await;
    assert!(passivated.contains(&ids[3]), "{passivated:?}");
    let r = server
        .post(&process, &observation("EXPLORATION", 0.6))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (active, total) = listed(&server, "/v1/instances?status=active").await;
    assert_eq!((active.len(), total), (4, Value::from(4)));
    server.terminate().await;
}

/// A residency page whose instances lie past the first few hundred of the list is read
/// among the runtime's resident ids instead of by walking the list, as is one of a user
/// tag with more instances than the runtime holds resident: the same answers.
pub async fn a_resident_instance_far_down_a_long_list_is_listed(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let mut ids = Vec::new();
    for k in 0..520 {
        ids.push(create(&server, &format!(r#"{{"name":"n-{k}","user":"many"}}"#)).await);
    }
    let oldest = &ids[0];
    let r = server
        .get(&format!("/v1/instances/{oldest}/snapshot"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for list in [
        "/v1/instances?status=active",
        "/v1/instances?status=active&order=asc",
        "/v1/instances?status=active&user=many",
    ] {
        let (listed, total) = listed(&server, list).await;
        assert_eq!(
            (listed, total),
            (vec![oldest.clone()], Value::from(1)),
            "{list}"
        );
    }
    for list in [
        "/v1/instances?status=passivated&limit=100",
        "/v1/instances?status=passivated&limit=100&user=many",
    ] {
        let (first, total) = listed(&server, list).await;
        assert_eq!((first.len(), total), (100, Value::from(519)), "{list}");
        assert!(!first.contains(oldest), "{list}");
    }
    server.terminate().await;
}
