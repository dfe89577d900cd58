//! Cluster mode (PostgreSQL only): two real nodes on one database, each serving the
//! shards it holds, taking over a dead or paused node's shards with their history, and
//! the paused node neither answering nor writing once it resumes.

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};

use crate::server::{Db, KEY, Reply, TestServer};

use super::support::{data, observation};

/// Short leases, so that a takeover takes seconds, and no throttle.
const FAST: [(&str, &str); 8] = [
    ("IDENTITY_OS_CLUSTER__LEASE_MS", "3000"),
    ("IDENTITY_OS_CLUSTER__VALIDITY_MS", "2000"),
    ("IDENTITY_OS_CLUSTER__RENEW_INTERVAL_MS", "500"),
    ("IDENTITY_OS_CLUSTER__SCAN_INTERVAL_MS", "200"),
    ("IDENTITY_OS_CLUSTER__TAKEOVER_DELAY_MS", "1000"),
    ("IDENTITY_OS_CLUSTER__ACQUIRE_PER_SECOND", "10000"),
    ("IDENTITY_OS_CLUSTER__RELEASE_PER_SECOND", "10000"),
    ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
];

fn settings(node: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut s = FAST.to_vec();
    s.push(("IDENTITY_OS_CLUSTER__NODE_ID", node));
    s
}

/// Two nodes that have split the shards between them.
async fn two_nodes() -> (TestServer, TestServer) {
    let n1 = TestServer::start(Db::Postgres, &settings("n1")).await;
    let n2 = n1.start_beside(&settings("n2")).await;
    // n2 can create once it holds a shard; n1 hands over all n2 prefers in one scan.
    created_on(&n2).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    (n1, n2)
}

/// Creates an instance on `node`, retrying while it serves no shard yet.
async fn created_on(node: &TestServer) -> String {
    let r = until(node, |n| n.post("/v1/instances", r#"{"name":"clustered"}"#)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        header(&r, "x-served-by"),
        node.env_value("IDENTITY_OS_CLUSTER__NODE_ID")
    );
    data(&r)["id"].as_str().unwrap_or_default().to_owned()
}

/// Repeats `call` on `node` until it answers something other than 503 (at most 20 s).
async fn until<'a, F, Fut>(node: &'a TestServer, call: F) -> Reply
where
    F: Fn(&'a TestServer) -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    let mut last = None;
    for _ in 0..200 {
        let r = call(node).await;
        if r.status != StatusCode::SERVICE_UNAVAILABLE {
            return r;
        }
        last = Some(r.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still 503 after 20 s: {last:?}");
}

fn header(r: &Reply, name: &str) -> String {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn epoch(r: &Reply) -> u64 {
    header(r, "x-shard-epoch").parse().unwrap_or(0)
}

async fn process(node: &TestServer, id: &str, mode: &str) -> Reply {
    node.post(
        &format!("/v1/instances/{id}/process"),
        &observation(mode, 0.7),
    )
    .await
}

/// The history as `node` lists it, oldest first: (seq, mode).
async fn history(node: &TestServer, id: &str) -> Vec<(u64, String)> {
    let path = format!("/v1/instances/{id}/history?limit=100");
    let r = until(node, |n| n.get(&path)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut entries: Vec<(u64, String)> = data(&r)
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap_or(0),
                e["mode_target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    entries.sort();
    entries
}

pub async fn any_node_answers_for_any_instance_through_its_owner() {
    let (n1, n2) = two_nodes().await;
    let on_1 = created_on(&n1).await;
    let on_2 = created_on(&n2).await;
    let r = process(&n1, &on_1, "ORDER").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(header(&r, "x-served-by"), "n1");
    let first = epoch(&r);
    assert!(first >= 1, "no shard epoch on {:?}", r.headers);
    // The other node forwards it to the owner, which serves it.
    let r = process(&n2, &on_1, "IDENTITY").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(header(&r, "x-served-by"), "n1");
    assert_eq!(epoch(&r), first);
    assert_eq!(data(&r)["snapshot"]["cycle"].as_u64(), Some(2));
    let r = n1.get(&format!("/v1/instances/{on_2}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(header(&r, "x-served-by"), "n2");
    // Errors come back as the owner gave them, in either dialect.
    let r = n2
        .post(&format!("/v1/instances/{on_1}/process"), "{}")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["details"]["field"], "mode_target");
    let r = n2.get(&format!("/sdk/v1/instances/{on_1}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["id"], on_1.as_str());
    // A request already forwarded once is not forwarded again: 421, naming the owner.
    let hopped = Request::builder()
        .method(Method::GET)
        .uri(format!("{}/v1/instances/{on_1}", n2.base))
        .header("authorization", format!("Bearer {KEY}"))
        .header("x-identity-os-hop", "1")
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = n2.send(hopped).await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST, "{}", r.body);
    assert_eq!(header(&r, "x-owner-node"), "n1");
    assert_eq!(history(&n2, &on_1).await.len(), 2);
    // Routes of no instance are served by any node (three: `two_nodes` made one).
    let r = n2.get("/v1/instances?limit=10").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(data(&r).as_array().map(Vec::len), Some(3));
    n2.terminate().await;
    n1.terminate().await;
}

pub async fn a_killed_nodes_instances_are_served_again_with_their_history() {
    let (n1, n2) = two_nodes().await;
    let id = created_on(&n1).await;
    let mut before = 0;
    for mode in ["ORDER", "EXPLORATION", "IDENTITY"] {
        let r = process(&n1, &id, mode).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        before = epoch(&r);
    }
    n1.signal("KILL");
    let r = until(&n2, |n| process(n, &id, "CONNECTION")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(header(&r, "x-served-by"), "n2");
    assert!(epoch(&r) > before, "the takeover did not raise the epoch");
    assert_eq!(
        data(&r)["snapshot"]["cycle"].as_u64(),
        Some(4),
        "{}",
        r.body
    );
    let modes: Vec<(u64, String)> = ["ORDER", "EXPLORATION", "IDENTITY", "CONNECTION"]
        .iter()
        .enumerate()
        .map(|(i, m)| (i as u64 + 1, (*m).to_owned()))
        .collect();
    assert_eq!(history(&n2, &id).await, modes);
    drop(n1);
    n2.terminate().await;
}

/// The fencing test: a node paused past its lease resumes believing it owns the shard.
/// Requests that reached it while paused, and new ones, must not be answered as served,
/// and nothing it would write may land after the new owner's cycles.
pub async fn a_paused_node_neither_answers_nor_writes_when_it_resumes() {
    let (n1, n2) = two_nodes().await;
    let id = created_on(&n1).await;
    let r = process(&n1, &id, "ORDER").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    n1.signal("STOP");
    // Sent to the paused node: it waits in its socket until the node resumes.
    let caller = n1.caller();
    let path = format!("/v1/instances/{id}/process");
    let queued =
        tokio::spawn(async move { caller.try_post(&path, &observation("ASSERTION", 0.9)).await });
    let r = until(&n2, |n| process(n, &id, "EXPLORATION")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = process(&n2, &id, "IDENTITY").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    n1.signal("CONT");
    let queued = queued.await.ok().and_then(Result::ok);
    if let Some(q) = &queued {
        assert_eq!(q.status, StatusCode::SERVICE_UNAVAILABLE, "{}", q.body);
    }
    let r = process(&n1, &id, "STRESS_RESPONSE").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    let expected: Vec<(u64, String)> = ["ORDER", "EXPLORATION", "IDENTITY"]
        .iter()
        .enumerate()
        .map(|(i, m)| (i as u64 + 1, (*m).to_owned()))
        .collect();
    assert_eq!(history(&n2, &id).await, expected);
    n1.terminate().await;
    n2.terminate().await;
}

pub async fn a_stopped_node_hands_its_shards_over() {
    let (mut n1, n2) = two_nodes().await;
    let id = created_on(&n1).await;
    for mode in ["ORDER", "IDENTITY"] {
        let r = process(&n1, &id, mode).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // SIGTERM: snapshots written and shards released before the process exits.
    assert_eq!(n1.stop().await, Some(0));
    let r = until(&n2, |n| process(n, &id, "CONNECTION")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        data(&r)["snapshot"]["cycle"].as_u64(),
        Some(3),
        "{}",
        r.body
    );
    n2.terminate().await;
    n1.terminate().await;
}
