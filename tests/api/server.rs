//! The real `identity-os` binary on a free port, against a fresh SQLite file or a fresh
//! PostgreSQL schema, with a known bootstrap key.

use std::process::Stdio;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::sql::run_sql;

pub const KEY: &str = "idos_sk_testtesttesttesttesttesttest";

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
    /// PostgreSQL reached through a proxy on this port (fault tests).
    PostgresVia(u16),
}

pub struct TestServer {
    child: Child,
    pub base: String,
    /// The admin listener's `http://host:port`, when `admin.bind` is set.
    pub admin: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
    cleanup: Cleanup,
    env: Vec<(String, String)>,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Schema {
        admin_url: String,
        schema: String,
    },
    /// Another server's database: that server cleans up.
    Borrowed,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Value,
}

fn suffix() -> String {
    identity_os::ids::InstanceId::generate().as_str()[5..].to_owned()
}

impl TestServer {
    /// Starts a server on `db` with extra `IDENTITY_OS_*` settings.
    pub async fn start(db: Db, extra: &[(&str, &str)]) -> TestServer {
        let (url, cleanup) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(format!("identity-os-api-{}", suffix()));
                (
                    format!("sqlite://{}/api.db", dir.display()),
                    Cleanup::Dir(dir),
                )
            }
            Db::Postgres | Db::PostgresVia(_) => {
                let admin_url = postgres_url();
                let schema = format!("idos_api_{}", suffix());
                run_sql(&admin_url, &format!("CREATE SCHEMA {schema}")).await;
                let via = match db {
                    Db::PostgresVia(port) => admin_url.replace(
                        &postgres_host_port(&admin_url),
                        &format!("127.0.0.1:{port}"),
                    ),
                    _ => admin_url.clone(),
                };
                let sep = if via.contains('?') { '&' } else { '?' };
                let url = format!("{via}{sep}options=-c%20search_path%3D{schema}");
                (url, Cleanup::Schema { admin_url, schema })
            }
        };
        let env: Vec<(String, String)> = vec![
            ("IDENTITY_OS_BIND".into(), "127.0.0.1:0".into()),
            ("IDENTITY_OS_DATABASE_URL".into(), url),
            ("IDENTITY_OS_BOOTSTRAP_KEY".into(), KEY.into()),
            ("IDENTITY_OS_LOG".into(), "info".into()),
        ];
        TestServer::spawned(env, extra, cleanup).await
    }

    /// Another server on this one's database (a second cluster node), with `extra`
    /// settings instead of this one's extras.
    pub async fn start_beside(&self, extra: &[(&str, &str)]) -> TestServer {
        let env: Vec<(String, String)> = self
            .env
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "IDENTITY_OS_BIND"
                        | "IDENTITY_OS_DATABASE_URL"
                        | "IDENTITY_OS_BOOTSTRAP_KEY"
                        | "IDENTITY_OS_LOG"
                )
            })
            .cloned()
            .collect();
        TestServer::spawned(env, extra, Cleanup::Borrowed).await
    }

    /// Requests through another process in front of the servers (HAProxy), which is
    /// stopped when this is dropped.
    pub fn adopt(child: Child, base: String) -> TestServer {
        TestServer::of(child, base, Cleanup::Borrowed, Vec::new())
    }

    /// Starts the binary with `env` and `extra` settings.
    async fn spawned(
        mut env: Vec<(String, String)>,
        extra: &[(&str, &str)],
        cleanup: Cleanup,
    ) -> TestServer {
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let (child, base, admin) = spawn(&env).await;
        let mut server = TestServer::of(child, base, cleanup, env);
        server.admin = admin;
        server
    }

    fn of(child: Child, base: String, cleanup: Cleanup, env: Vec<(String, String)>) -> TestServer {
        TestServer {
            child,
            base,
            admin: None,
            client: Client::builder(TokioExecutor::new()).build_http(),
            cleanup,
            env,
        }
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`) to the server process.
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .status();
        }
    }

    /// Runs the binary with arguments against the same database (e.g. `keys list`).
    pub async fn command(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_identity-os"))
            .args(args)
            .env_clear()
            .envs(self.env.iter().cloned())
            .output()
            .await
            .unwrap_or_else(|e| panic!("run identity-os {args:?}: {e}"));
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(req).await
    }

    pub async fn send(&self, req: Request<Full<Bytes>>) -> Reply {
        let response = tokio::time::timeout(Duration::from_secs(30), self.client.request(req))
            .await
            .unwrap_or_else(|_| panic!("request timed out"))
            .unwrap_or_else(|e| panic!("request failed: {e}"));
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .unwrap_or_else(|e| panic!("body: {e}"))
            .to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// A request to the admin listener, with `token` as its bearer token.
    pub async fn admin_call(&self, method: Method, path: &str, token: Option<&str>) -> Reply {
        let admin = self
            .admin
            .as_deref()
            .unwrap_or_else(|| panic!("no admin listener"));
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{admin}{path}"));
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let req = req
            .body(Full::new(Bytes::new()))
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(req).await
    }

    /// A handle for other tasks to send requests with.
    pub fn caller(&self) -> Caller {
        Caller {
            client: self.client.clone(),
            base: self.base.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, Some(KEY), None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.call(Method::POST, path, Some(KEY), Some(body)).await
    }

    /// `POST` without a body (lifecycle routes).
    pub async fn post_empty(&self, path: &str) -> Reply {
        self.call(Method::POST, path, Some(KEY), None).await
    }

    /// Stops the process (SIGKILL when `crash`, else SIGTERM) and starts a new one on
    /// the same database.
    pub async fn restart(&mut self, crash: bool) {
        if let Some(pid) = self.child.id() {
            let signal = if crash { "-KILL" } else { "-TERM" };
            let _ = std::process::Command::new("kill")
                .arg(signal)
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        let (child, base, admin) = spawn(&self.env).await;
        self.child = child;
        self.base = base;
        self.admin = admin;
    }

    /// Runs `sql` (statements separated by `;`) in the server's database (its PostgreSQL
    /// schema, or its SQLite file beside it).
    pub async fn sql(&self, sql: &str) {
        run_sql(self.database_url(), sql).await;
    }

    /// The database the server uses (to start another server on it).
    pub fn database_url(&self) -> &str {
        self.env_value("IDENTITY_OS_DATABASE_URL")
    }

    /// The value of one of the server's `IDENTITY_OS_*` settings ("" if unset).
    pub fn env_value(&self, key: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// SIGTERM and wait, keeping the database for another server (`terminate` cleans
    /// up); the exit status.
    pub async fn stop(&mut self) -> Option<i32> {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        status.ok().and_then(Result::ok).and_then(|s| s.code())
    }

    /// SIGTERM, and the exit status.
    pub async fn terminate(mut self) -> Option<i32> {
        let code = self.stop().await;
        self.cleanup().await;
        code
    }

    async fn cleanup(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { admin_url, schema } => {
                run_sql(
                    admin_url,
                    &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                )
                .await;
            }
            Cleanup::Borrowed => {}
        }
    }
}

/// Sends requests from any task; failures (a killed server) come back as errors.
#[derive(Clone)]
pub struct Caller {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Caller {
    pub async fn try_post(&self, path: &str, body: &str) -> Result<Reply, String> {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_owned())))
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(Duration::from_secs(30), self.client.request(req))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        let body = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Starts the binary and waits for its "serving" log line to learn the port.
async fn spawn(env: &[(String, String)]) -> (Child, String, Option<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_identity-os"))
        .env_clear()
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn identity-os: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let mut lines = BufReader::new(stderr).lines();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let field = |name: &str| {
                line.split(name)
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(str::to_owned)
            };
            if let Some(addr) = field(" address=") {
                return Some((addr, field(" admin=")));
            }
            if line.contains("identity-os:") {
                panic!("server failed to start: {line}");
            }
        }
        None
    })
    .await;
    let (addr, admin) = found
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("server did not report its address"));
    // Keep draining stderr so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (
        child,
        format!("http://{addr}"),
        admin.map(|a| format!("http://{a}")),
    )
}

pub fn postgres_url() -> String {
    std::env::var("IDOS_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("IDOS_TEST_POSTGRES_URL is not set: run .ci/run, which provides PostgreSQL")
    })
}

/// `host:port` of a `postgres://user@host:port/db` URL.
pub fn postgres_host_port(url: &str) -> String {
    let after_scheme = url.split("://").nth(1).unwrap_or(url);
    let after_user = after_scheme.rsplit('@').next().unwrap_or(after_scheme);
    after_user
        .split('/')
        .next()
        .unwrap_or(after_user)
        .to_owned()
}
