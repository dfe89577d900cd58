//! Cluster mode (PostgreSQL only): two real nodes on one database, each serving the
//! shards it holds, taking over a dead or paused node's shards with their history, and
//! the paused node neither answering nor writing once it resumes.

use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};

use crate::server::{Db, KEY, Reply, TestServer};

use super::support::{data, observation};

/// Short leases, so that a takeover takes seconds, a short drain grace (no HAProxy to
/// wait for), and no throttle.
const FAST: [(&str, &str); 9] = [
    ("IDENTITY_OS_CLUSTER__DRAIN_GRACE_MS", "200"),
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
    // The operators' view: both nodes, every shard held.
    let (ok, out, err) = n1.command(&["cluster", "status"]).await;
    assert!(ok, "cluster status: {err}");
    let shards: Vec<u32> = out
        .lines()
        .filter(|l| l.starts_with("n1/") || l.starts_with("n2/"))
        .filter_map(|l| l.split('\t').nth(2)?.parse().ok())
        .collect();
    assert_eq!(shards.len(), 2, "{out}");
    assert_eq!(shards.iter().sum::<u32>(), 1024, "{out}");
    assert!(out.trim_end().ends_with("unowned shards: 0"), "{out}");
    let r = n2.call(Method::GET, "/cluster/status", None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["nodes"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.body
    );
    assert_eq!(r.body["unowned_shards"], 0);
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
/// Requests that reached it while paused, and new ones, must not be served by it under
/// its old lease (the owner may answer them through it, or it under a lease taken
/// anew), and nothing it would write under the old one may land.
pub async fn a_paused_node_neither_answers_nor_writes_when_it_resumes() {
    let (n1, n2) = two_nodes().await;
    let id = created_on(&n1).await;
    let r = process(&n1, &id, "ORDER").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let paused_epoch = epoch(&r);
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
    // Neither the request that waited in its socket nor a new one is served by the
    // resumed node: it forwards them to the owner, or refuses them.
    let queued = queued.await.ok().and_then(Result::ok);
    let fresh = process(&n1, &id, "STRESS_RESPONSE").await;
    let mut expected: Vec<(u64, String)> = ["ORDER", "EXPLORATION", "IDENTITY"]
        .iter()
        .enumerate()
        .map(|(i, m)| (i as u64 + 1, (*m).to_owned()))
        .collect();
    let answers = [
        (queued.as_ref(), "ASSERTION"),
        (Some(&fresh), "STRESS_RESPONSE"),
    ];
    for (answer, mode) in answers {
        let Some(r) = answer else { continue };
        match r.status {
            StatusCode::OK => {
                // Served by n2, or by n1 only under a lease it took anew (the shard may
                // come back to it once it is live again).
                let by_n1 = header(r, "x-served-by") == "n1";
                assert!(
                    !by_n1 || epoch(r) > paused_epoch,
                    "n1 answered at epoch {} (paused at {paused_epoch}): {}",
                    epoch(r),
                    r.body
                );
                let seq = data(r)["snapshot"]["cycle"].as_u64().unwrap_or(0);
                expected.push((seq, mode.to_owned()));
            }
            StatusCode::SERVICE_UNAVAILABLE => {}
            other => panic!("{other}: {}", r.body),
        }
    }
    expected.sort();
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

/// HAProxy from Debian's packages with the shipped configuration, in front of nodes
/// n1–n3 at `nodes`, on loopback ports of its own: requests to the returned server go
/// through it (dropping it stops HAProxy); the second value is its runtime API.
fn haproxy(nodes: &[String; 3]) -> (TestServer, String) {
    let (front, admin) = (free_addr(), free_addr());
    let config =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/haproxy/haproxy.cfg");
    let child = tokio::process::Command::new("haproxy")
        .arg("-f")
        .arg(&config)
        .env("IDOS_HAPROXY_BIND", &front)
        .env("IDOS_HAPROXY_ADMIN", &admin)
        .env("IDOS_N1", &nodes[0])
        .env("IDOS_N2", &nodes[1])
        .env("IDOS_N3", &nodes[2])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("haproxy: {e} (.ci/run installs it from Debian's packages)"));
    (TestServer::adopt(child, format!("http://{front}")), admin)
}

fn refs(settings: &[(String, String)]) -> Vec<(&str, &str)> {
    settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A loopback address with a port nothing listens on now.
fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("bind a free port: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("its address: {e}"));
    addr.to_string()
}

/// Requests this node forwarded to an owner, from its `/metrics`.
async fn forwards(node: &TestServer) -> u64 {
    let r = node.call(Method::GET, "/metrics", None, None).await;
    r.body
        .as_str()
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("identity_os_cluster_forwards_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// Three nodes (with a two-cycle `indie` quota) behind HAProxy with the shipped
/// configuration, the shards split: HAProxy first, then the nodes.
async fn three_behind_haproxy() -> (TestServer, [TestServer; 3]) {
    let nodes = [free_addr(), free_addr(), free_addr()];
    let (front, admin) = haproxy(&nodes);
    let node = |name: &'static str, addr: &str| -> Vec<(String, String)> {
        let mut s: Vec<(String, String)> = settings(name)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        s.push(("IDENTITY_OS_BIND".into(), addr.to_owned()));
        s.push(("IDENTITY_OS_CLUSTER__HAPROXY_ADMIN".into(), admin.clone()));
        s.push((
            "IDENTITY_OS_PLANS__INDIE__MONTHLY_CYCLES".into(),
            "2".into(),
        ));
        s
    };
    let (s1, s2, s3) = (
        node("n1", &nodes[0]),
        node("n2", &nodes[1]),
        node("n3", &nodes[2]),
    );
    let n1 = TestServer::start(Db::Postgres, &refs(&s1)).await;
    let n2 = n1.start_beside(&refs(&s2)).await;
    let n3 = n1.start_beside(&refs(&s3)).await;
    created_on(&n3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    (front, [n1, n2, n3])
}

/// Three nodes behind HAProxy with the shipped configuration: each instance's requests
/// reach its owner directly (no node forwards), other routes are spread, and a killed
/// node's instances come back through HAProxy with their history.
pub async fn three_nodes_behind_haproxy_route_each_instance_to_its_owner() {
    let (front, [n1, n2, n3]) = three_behind_haproxy().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        let r = until(&front, |f| f.post("/v1/instances", r#"{"name":"behind"}"#)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(data(&r)["id"].as_str().unwrap_or_default().to_owned());
    }
    let all = [&n1, &n2, &n3];
    let mut before = 0;
    for n in all {
        before += forwards(n).await;
    }
    let mut owners = std::collections::BTreeSet::new();
    for id in &ids {
        for mode in ["ORDER", "IDENTITY"] {
            let r = process(&front, id, mode).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            owners.insert(header(&r, "x-served-by"));
        }
    }
    let mut after = 0;
    for n in all {
        after += forwards(n).await;
    }
    assert_eq!(
        after - before,
        0,
        "HAProxy sent requests to nodes that had to forward"
    );
    assert!(owners.len() > 1, "all instances on one node: {owners:?}");

    // A killed node: its instances come back through HAProxy, history intact.
    n2.signal("KILL");
    for id in &ids {
        let r = until(&front, |f| process(f, id, "CONNECTION")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_ne!(header(&r, "x-served-by"), "n2");
        let modes: Vec<String> = history(&front, id).await.into_iter().map(|e| e.1).collect();
        assert_eq!(modes, ["ORDER", "IDENTITY", "CONNECTION"]);
    }
    drop(n2);
    n3.terminate().await;
    n1.terminate().await;
}

/// A key of `plan`, made with the command line on the cluster's database.
async fn key(node: &TestServer, plan: &str) -> String {
    let (ok, out, err) = node.command(&["keys", "create", "--plan", plan]).await;
    assert!(ok, "keys create: {err}");
    out.trim().to_owned()
}

/// Waits, if need be, for a minute with at least 10 s left: rate limits count calendar
/// minutes in cluster mode, and a case that spends a limit (in about 2 s) must not
/// straddle two.
async fn fresh_minute() {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if secs % 60 > 50 {
        tokio::time::sleep(Duration::from_secs(60 - secs % 60)).await;
    }
}

/// The official SDK's whole test through HAProxy against three nodes, the account's rate
/// limit and monthly quota included.
pub async fn the_python_sdk_runs_through_haproxy_against_three_nodes() {
    let (front, [n1, n2, n3]) = three_behind_haproxy().await;
    let (free, quota) = (key(&n1, "free").await, key(&n1, "indie").await);
    fresh_minute().await;
    super::sdk::run_sdk_client(&front.base, &free, &quota).await;
    n3.terminate().await;
    n2.terminate().await;
    n1.terminate().await;
}

/// An account's requests per minute and cycles per month hold for the cluster: spread
/// over two nodes, the account gets exactly its plan's figures, not one per node.
pub async fn account_limits_hold_across_nodes() {
    let mut quota_plan = settings("n1");
    quota_plan.push(("IDENTITY_OS_PLANS__INDIE__MONTHLY_CYCLES", "2"));
    let n1 = TestServer::start(Db::Postgres, &quota_plan).await;
    quota_plan.pop();
    let mut second = settings("n2");
    second.push(("IDENTITY_OS_PLANS__INDIE__MONTHLY_CYCLES", "2"));
    let n2 = n1.start_beside(&second).await;
    created_on(&n2).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (free, indie) = (key(&n1, "free").await, key(&n1, "indie").await);

    fresh_minute().await;
    let mut admitted = 0;
    for i in 0..16 {
        let node = if i % 2 == 0 { &n1 } else { &n2 };
        let r = node
            .call(Method::GET, "/v1/personas", Some(&free), None)
            .await;
        match r.status {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(r.body["error"], "rate_limit_exceeded", "{}", r.body);
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!(
        admitted, 10,
        "the free plan's 10 requests a minute, for both nodes together"
    );

    // Two cycles a month, whichever node serves the instance.
    let mut ids = Vec::new();
    for node in [&n1, &n2] {
        let r = until(node, |n| {
            n.call(
                Method::POST,
                "/v1/instances",
                Some(&indie),
                Some(r#"{"name":"quota"}"#),
            )
        })
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(data(&r)["id"].as_str().unwrap_or_default().to_owned());
    }
    let mut processed = 0;
    for _ in 0..3 {
        for id in &ids {
            let r = n1
                .call(
                    Method::POST,
                    &format!("/v1/instances/{id}/process"),
                    Some(&indie),
                    Some(&observation("ORDER", 0.5)),
                )
                .await;
            match r.status {
                StatusCode::OK => processed += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(r.body["error"], "quota_exceeded", "{}", r.body);
                }
                other => panic!("{other}: {}", r.body),
            }
        }
    }
    assert_eq!(
        processed, 2,
        "a quota of two cycles, for both nodes together"
    );
    n2.terminate().await;
    n1.terminate().await;
}

/// A node activates at most `activations_per_second` instances a second (a takeover
/// brings many at once); beyond it, 503 with `Retry-After`, and the instance is
/// activated when asked again.
pub async fn activations_beyond_the_nodes_rate_wait() {
    let mut slow = settings("n1");
    slow.push(("IDENTITY_OS_CLUSTER__ACTIVATIONS_PER_SECOND", "1"));
    let n1 = TestServer::start(Db::Postgres, &slow).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(created_on(&n1).await);
    }
    let mut refused = 0;
    for id in &ids {
        let r = n1.get(&format!("/v1/instances/{id}/snapshot")).await;
        match r.status {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                refused += 1;
                assert!(r.headers.contains_key("retry-after"), "{:?}", r.headers);
                let message = r.body["message"].as_str().unwrap_or_default();
                assert!(message.contains("activating"), "{}", r.body);
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert!(
        refused >= 2,
        "4 activations within a second at 1 a second: {refused} refused"
    );
    for id in &ids {
        let path = format!("/v1/instances/{id}/snapshot");
        let r = until(&n1, |n| n.get(&path)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    n1.terminate().await;
}
