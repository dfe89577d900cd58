//! `recovery`: time from start to serving, with a large history. The tool starts the
//! server itself (`--server-bin`, on `--database-url`), fills the history through the
//! API, kills the server with SIGKILL, starts it again, and measures until `/readyz`
//! answers and until every instance serves its state — which must equal what the client
//! last saw before the crash.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Semaphore;

use crate::client::{Call, Client};
use crate::scenarios::{create_instances, observation};
use crate::workload::ok_json;

pub struct Plan {
    pub server_bin: String,
    pub database_url: String,
    pub key: String,
    pub instances: usize,
    /// History rows to write before the crash (batches of 100).
    pub history: u64,
    pub connections: usize,
}

pub struct Outcome {
    pub history_rows: u64,
    pub fill: Duration,
    pub to_ready: Duration,
    pub to_all_serving: Duration,
    /// The same reads before the crash, every instance resident: the reference.
    pub resident_read: Duration,
}

const BATCH: u64 = 100;

/// Starts the server on a free loopback port; returns it and its base URL.
async fn start(plan: &Plan) -> Result<(Child, String), String> {
    let mut child = Command::new(&plan.server_bin)
        .env("IDENTITY_OS_BIND", "127.0.0.1:0")
        .env("IDENTITY_OS_DATABASE_URL", &plan.database_url)
        .env("IDENTITY_OS_BOOTSTRAP_KEY", &plan.key)
        .env("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")
        .env("IDENTITY_OS_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("start {}: {e}", plan.server_bin))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let address = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("address=").nth(1) {
                return Some(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the server did not report its address")?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, format!("http://{address}")))
}

/// Every instance's snapshot, `connections` requests in flight at a time.
async fn snapshots(
    client: &Client,
    ids: &[String],
    connections: usize,
) -> Result<Vec<Value>, String> {
    let slots = Arc::new(Semaphore::new(connections.max(1)));
    let mut sends = Vec::with_capacity(ids.len());
    for id in ids {
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (client, call) = (
            client.clone(),
            Call::get(format!("/v1/instances/{id}/snapshot")),
        );
        sends.push(tokio::spawn(async move {
            let answer = client.send(&call).await;
            drop(slot);
            Ok::<_, String>(ok_json(&answer?, 200)?["data"].clone())
        }));
    }
    let mut out = Vec::with_capacity(ids.len());
    for send in sends {
        out.push(send.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

pub async fn run(plan: &Plan) -> Result<Outcome, String> {
    let (mut server, base) = start(plan).await?;
    let client = Client::new(&base, Some(plan.key.clone()), plan.connections)?;
    let ids = create_instances(&client, plan.instances).await?;
    let filled = Instant::now();
    let batches = plan.history.div_ceil(BATCH);
    let mut n = 0;
    while n < batches {
        let wave = (batches - n).min(plan.connections as u64);
        let sends: Vec<_> = (n..n + wave)
            .map(|b| {
                let id = &ids[(b % ids.len() as u64) as usize];
                let body: Vec<String> = (0..BATCH).map(|k| observation(b * BATCH + k)).collect();
                let call = Call::post(
                    format!("/v1/instances/{id}/process/batch"),
                    format!(r#"{{"observations":[{}]}}"#, body.join(",")),
                );
                let client = client.clone();
                tokio::spawn(async move { ok_json(&client.send(&call).await?, 200).map(|_| ()) })
            })
            .collect();
        for send in sends {
            send.await.map_err(|e| e.to_string())??;
        }
        n += wave;
    }
    let fill = filled.elapsed();
    let read = Instant::now();
    let before = snapshots(&client, &ids, plan.connections).await?;
    let resident_read = read.elapsed();

    server.kill().await.map_err(|e| format!("kill: {e}"))?;
    let restarted = Instant::now();
    let (_server, base) = start(plan).await?;
    let client = Client::new(&base, Some(plan.key.clone()), plan.connections)?;
    loop {
        if let Ok(a) = client.send(&Call::get("/readyz")).await
            && a.status.is_success()
        {
            break;
        }
        if restarted.elapsed() > Duration::from_secs(300) {
            return Err("not ready within 300 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let to_ready = restarted.elapsed();
    let after = snapshots(&client, &ids, plan.connections).await?;
    let to_all_serving = restarted.elapsed();
    if let Some((b, a)) = before.iter().zip(&after).find(|(b, a)| b != a) {
        return Err(format!(
            "state changed across the crash: before {b}, after {a}"
        ));
    }
    Ok(Outcome {
        history_rows: batches * BATCH,
        fill,
        to_ready,
        to_all_serving,
        resident_read,
    })
}
