//! `recovery`: time from start to serving, with a large history. The tool starts the
//! server itself (`--server-bin`, on `--database-url`), fills the history through the
//! API, kills the server with SIGKILL, starts it again, and measures until `/readyz`
//! answers and until every instance serves its state — which must equal what the client
//! last saw before the crash.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{Call, Client};
use crate::each::each;
use crate::kinds::Kind;
use crate::scenarios::create_instances;
use crate::scenarios::mix::Mix;
use crate::server::{Launched, launch};
use crate::workload::{Workload, ok_json};

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

async fn start(plan: &Plan) -> Result<Launched, String> {
    let settings = [("IDENTITY_OS_MIN_CYCLE_INTERVAL_MS", "0")];
    launch(&plan.server_bin, &plan.database_url, &plan.key, &settings).await
}

/// Every instance's snapshot, `connections` requests in flight at a time.
async fn snapshots(
    client: &Client,
    ids: &[String],
    connections: usize,
) -> Result<Vec<Value>, String> {
    each(ids, connections, |id| {
        let (client, call) = (
            client.clone(),
            Call::get(format!("/v1/instances/{id}/snapshot")),
        );
        async move { Ok(ok_json(&client.send(&call).await?, 200)?["data"].clone()) }
    })
    .await
}

pub async fn run(plan: &Plan) -> Result<Outcome, String> {
    let mut server = start(plan).await?;
    let client = Client::new(&server.base, Some(plan.key.clone()), plan.connections)?;
    let ids = create_instances(&client, plan.instances).await?;
    let filled = Instant::now();
    let batches = plan.history.div_ceil(BATCH);
    let fill_calls = Mix::new(
        &[(Kind::Batch, 1)],
        ids.clone(),
        BATCH,
        None,
        Duration::ZERO,
    );
    each(0..batches, plan.connections, |b| {
        let (client, call) = (client.clone(), fill_calls.call(b));
        async move { ok_json(&client.send(&call).await?, 200).map(|_| ()) }
    })
    .await?;
    let fill = filled.elapsed();
    let read = Instant::now();
    let before = snapshots(&client, &ids, plan.connections).await?;
    let resident_read = read.elapsed();

    server
        .child
        .kill()
        .await
        .map_err(|e| format!("kill: {e}"))?;
    let restarted = Instant::now();
    let server = start(plan).await?;
    let client = Client::new(&server.base, Some(plan.key.clone()), plan.connections)?;
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
