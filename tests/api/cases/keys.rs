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

    let (ok, out, _) = server.command(&["keys", "revoke", &id]).await;
    assert!(ok, "{out}");
    let (_, out, _) = server.command(&["keys", "list"]).await;
    assert!(
        out.lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{out}"
    );
    // Within the auth cache's few seconds the revocation reaches the running server.
    let mut status = StatusCode::OK;
    for _ in 0..40 {
        status = server
            .call(Method::GET, "/v1/personas", Some(&key), None)
            .await
            .status;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED);

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
