use hyper::{Method, StatusCode};

use crate::server::{Db, TestServer};

pub async fn keys_are_managed_from_the_command_line(db: Db) {
    let server = TestServer::start(db, &[]).await;
    let (ok, out, err) = server
        .command(&["keys", "create", "--plan", "pro", "--label", "ci"])
        .await;
    assert!(ok, "{err}");
    let key = out.trim().to_owned();
    assert!(
        key.starts_with("idos_sk_") && !key.contains(char::is_whitespace),
        "{out:?}"
    );
    // The running server accepts it at once, with the plan's limit in the headers.
    let r = server
        .call(Method::GET, "/v1/personas", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers
            .get("x-ratelimit-limit")
            .and_then(|v| v.to_str().ok()),
        Some("300")
    );

    let (ok, out, _) = server.command(&["keys", "list"]).await;
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let ci = lines
        .iter()
        .find(|l| l.contains("\tci\t"))
        .copied()
        .unwrap_or_default();
    let id = ci.split('\t').next().unwrap_or_default().to_owned();
    assert!(
        id.starts_with("key_") && ci.contains("\tpro\t") && ci.ends_with("active"),
        "{ci}"
    );
    assert!(!out.contains(&key), "keys list must never show a secret");

    for _ in 0..3 {
        let r = server
            .call(Method::GET, "/v1/personas", Some(&key), None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let (ok, out, _) = server.command(&["keys", "revoke", &id]).await;
    assert!(ok, "{out}");
    let (_, out, _) = server.command(&["keys", "list"]).await;
    assert!(
        out.lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{out}"
    );
    // The running server refuses it from its very next request, though it had just
    // accepted (and, where it caches keys, cached) it.
    let r = server
        .call(Method::GET, "/v1/personas", Some(&key), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let (ok, _, err) = server
        .command(&["keys", "create", "--plan", "platinum"])
        .await;
    assert!(
        !ok && err.contains("platinum") && err.lines().count() == 1,
        "{err}"
    );
    let (ok, _, err) = server
        .command(&["keys", "revoke", "key_0000000000000000"])
        .await;
    assert!(!ok && err.contains("no key"), "{err}");
    server.terminate().await;
}
