//! The traffic of a round: an open loop at a fixed rate through HAProxy, half writes
//! (one observation) and half reads (the snapshot), on random instances; every request
//! logged with what was sent and what came back, for the checker.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;

use crate::client::{Call, Client};
use crate::scenarios::MODES;

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// `process` or `read`.
    pub op: &'static str,
    pub id: String,
    /// The mode a `process` sent.
    pub mode: Option<&'static str>,
    /// 0 for no answer (connection failed, timed out).
    pub status: u16,
    pub node: Option<String>,
    pub epoch: Option<u64>,
    /// The lifetime cycle the answer reported (`process`: after it; `read`: current).
    pub seq: Option<u64>,
    /// The error's message, for an answer that is not 2xx.
    pub error: Option<String>,
    /// Milliseconds from the round's start.
    pub sent_ms: f64,
    pub done_ms: f64,
}

/// Sends `rate` requests a second for `length`, at most 256 in flight; returns the log.
pub async fn run(
    client: &Client,
    ids: &[String],
    rate: u64,
    length: Duration,
    start: Instant,
) -> Vec<Entry> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let slots = Arc::new(Semaphore::new(256));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
    let mut random = 0x2545_f491_4f6c_dd1d_u64;
    let mut tasks = tokio::task::JoinSet::new();
    while start.elapsed() < length {
        tick.tick().await;
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        let id = ids[(random % ids.len() as u64) as usize].clone();
        let write = (random >> 20).is_multiple_of(2);
        let mode = MODES[((random >> 24) % 7) as usize];
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let (client, log) = (client.clone(), log.clone());
        tasks.spawn(async move {
            let entry = one(&client, id, write.then_some(mode), start).await;
            if let Ok(mut log) = log.lock() {
                log.push(entry);
            }
            drop(slot);
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut log = log.lock().map(|l| l.clone()).unwrap_or_default();
    log.sort_by(|a, b| a.sent_ms.total_cmp(&b.sent_ms));
    log
}

async fn one(client: &Client, id: String, write: Option<&'static str>, start: Instant) -> Entry {
    let call = match write {
        Some(mode) => Call::post(
            format!("/v1/instances/{id}/process"),
            format!(r#"{{"mode_target":"{mode}","signal_strength":0.6}}"#),
        ),
        None => Call::get(format!("/v1/instances/{id}/snapshot")),
    };
    let sent_ms = millis(start);
    let answer = tokio::time::timeout(Duration::from_secs(30), client.send(&call)).await;
    let done_ms = millis(start);
    let mut entry = Entry {
        op: if write.is_some() { "process" } else { "read" },
        id,
        mode: write,
        status: 0,
        node: None,
        epoch: None,
        seq: None,
        error: None,
        sent_ms,
        done_ms,
    };
    if let Ok(Ok(answer)) = answer {
        entry.status = answer.status.as_u16();
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        entry.node = header("x-served-by");
        entry.epoch = header("x-shard-epoch").and_then(|e| e.parse().ok());
        if !answer.status.is_success() {
            entry.error = answer
                .json()
                .ok()
                .and_then(|b| b["message"].as_str().map(str::to_owned));
        } else if let Ok(body) = answer.json() {
            entry.seq = match write {
                Some(_) => body["data"]["snapshot"]["cycle"].as_u64(),
                None => body["data"]["cycle"].as_u64(),
            };
        }
    }
    entry
}

fn millis(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
