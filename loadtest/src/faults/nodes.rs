//! The cluster a fault round runs on: HAProxy with the shipped configuration and three
//! nodes (`n1`–`n3`, the names it knows) on 127.0.0.2–4, on a PostgreSQL schema of the
//! round's own, all on loopback.

use std::time::{Duration, Instant};

use crate::client::{Call, Client};
use crate::server::{Launched, launch_env};

/// The nodes' lease settings are the shipped defaults (what the round measures); a
/// fresh cluster balances at once instead of at 8 shards a second.
const NODE_SETTINGS: [(&str, &str); 3] = [
    ("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0"),
    ("IDENTITY_OS_CLUSTER__RELEASE_PER_SECOND", "1024"),
    ("IDENTITY_OS_CLUSTER__ACQUIRE_PER_SECOND", "1024"),
];

pub struct Node {
    pub name: String,
    pub addr: String,
    pub process: Option<Launched>,
    env: Vec<(String, String)>,
    bin: String,
    /// Where its log goes, if anywhere.
    log: Option<std::path::PathBuf>,
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub front: String,
    haproxy: tokio::process::Child,
}

impl Node {
    pub async fn start(&mut self) -> Result<(), String> {
        self.process = Some(launch_env(&self.bin, &self.env, self.log.as_deref()).await?);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(|p| p.child.id())
    }

    /// Sends a signal by name (`KILL`, `STOP`, `CONT`, `TERM`).
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let _ = std::process::Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .status();
        }
    }

    /// SIGTERM and wait for the exit.
    pub async fn stop(&mut self) {
        self.signal("TERM");
        if let Some(mut p) = self.process.take() {
            let _ = tokio::time::timeout(Duration::from_secs(60), p.child.wait()).await;
        }
    }
}

impl Cluster {
    pub async fn start(
        server_bin: &str,
        haproxy_config: &str,
        database_url: &str,
        key: &str,
        extra: &[(String, String)],
        logs: Option<&std::path::Path>,
    ) -> Result<Cluster, String> {
        let port = free_port()?;
        let front = format!("127.0.0.1:{}", free_port()?);
        let admin = format!("127.0.0.1:{}", free_port()?);
        let addrs: Vec<String> = (2..=4).map(|i| format!("127.0.0.{i}:{port}")).collect();
        let haproxy = tokio::process::Command::new("haproxy")
            .arg("-f")
            .arg(haproxy_config)
            .env("IDOS_HAPROXY_BIND", &front)
            .env("IDOS_HAPROXY_ADMIN", &admin)
            .env("IDOS_N1", &addrs[0])
            .env("IDOS_N2", &addrs[1])
            .env("IDOS_N3", &addrs[2])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("haproxy: {e}"))?;
        let mut nodes = Vec::new();
        for (i, addr) in addrs.iter().enumerate() {
            let name = format!("n{}", i + 1);
            let mut env: Vec<(String, String)> = NODE_SETTINGS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            env.extend([
                ("IDENTITY_OS_BIND".into(), addr.clone()),
                ("IDENTITY_OS_DATABASE_URL".into(), database_url.to_owned()),
                ("IDENTITY_OS_BOOTSTRAP_KEY".into(), key.to_owned()),
                // Quiet but for the "serving address=" line the launcher waits for,
                // unless the logs are kept.
                (
                    "IDENTITY_OS_LOG".into(),
                    match logs {
                        Some(_) => "info",
                        None => "warn,identity_os::server=info",
                    }
                    .into(),
                ),
                ("IDENTITY_OS_CLUSTER__NODE_ID".into(), name.clone()),
                ("IDENTITY_OS_CLUSTER__HAPROXY_ADMIN".into(), admin.clone()),
            ]);
            env.extend(extra.iter().cloned());
            let log = logs.map(|prefix| {
                let mut path = prefix.as_os_str().to_owned();
                path.push(format!("-{name}.log"));
                path.into()
            });
            let mut node = Node {
                name,
                addr: addr.clone(),
                process: None,
                log,
                env,
                bin: server_bin.to_owned(),
            };
            node.start().await?;
            nodes.push(node);
        }
        let cluster = Cluster {
            nodes,
            front: format!("http://{front}"),
            haproxy,
        };
        cluster.wait_balanced(key).await?;
        Ok(cluster)
    }

    /// HAProxy's process id (for its CPU time).
    pub fn haproxy_pid(&self) -> Option<u32> {
        self.haproxy.id()
    }

    /// Until every node holds shards, none is unowned, the split has stayed the same
    /// for a second (hand-overs done), and HAProxy answers.
    async fn wait_balanced(&self, key: &str) -> Result<(), String> {
        let node = Client::new(&format!("http://{}", self.nodes[0].addr), None, 1)?;
        let front = Client::new(&self.front, Some(key.to_owned()), 1)?;
        let started = Instant::now();
        let mut previous: Option<Vec<u64>> = None;
        while started.elapsed() < Duration::from_secs(60) {
            let status = node.send(&Call::get("/cluster/status")).await;
            let split: Option<Vec<u64>> = status.ok().and_then(|a| a.json().ok()).and_then(|s| {
                let shards: Vec<u64> = s["nodes"]
                    .as_array()?
                    .iter()
                    .filter_map(|n| n["shards"].as_u64())
                    .collect();
                let whole =
                    shards.len() == 3 && shards.iter().all(|n| *n > 0) && s["unowned_shards"] == 0;
                whole.then_some(shards)
            });
            let ready = front
                .send(&Call::get("/v1/personas"))
                .await
                .is_ok_and(|a| a.status.is_success());
            if ready && split.is_some() && split == previous {
                return Ok(());
            }
            previous = split;
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
        Err("the cluster did not balance within 60 s".into())
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
