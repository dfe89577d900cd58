//! The round's verdict, from the request log and what PostgreSQL holds afterwards.
//!
//! Per instance: the history's `seq` runs 1, 2, … with no gap or duplicate; every
//! acknowledged cycle is in it at its `seq` with the mode that was sent; the epochs of
//! acknowledged cycles never decrease along `seq`; at one epoch, one node answered; no
//! read returned a cycle older than a write acknowledged before the read was sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use sqlx::PgPool;

use super::traffic::Entry;

#[derive(Debug, Default, Serialize)]
pub struct Verdict {
    pub violations: Vec<String>,
    /// Answers by status (0: none came).
    pub statuses: BTreeMap<u16, usize>,
    pub acknowledged_writes: usize,
    /// Instances the fault took away: the milliseconds from the fault until each was
    /// served again (`probe.rs`), sorted. For a rolling restart: the hand-over waits
    /// ([`handoff_waits`]).
    pub recovery_ms: Vec<f64>,
    /// Of those, the ones not served again within a minute.
    pub unrecovered: usize,
    /// What their reads got before they were served, by status (0: no answer).
    pub probe_refusals: BTreeMap<u16, usize>,
    /// Activations the surviving nodes made, and refused, from the fault on.
    pub activations: u64,
    pub activations_refused: u64,
}

/// Checks `log` against the history in `pool`.
pub async fn check(log: &[Entry], pool: &PgPool) -> Result<Verdict, String> {
    let rows: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT instance_id, seq, mode FROM history ORDER BY instance_id, seq")
            .fetch_all(pool)
            .await
            .map_err(|e| format!("reading the history: {e}"))?;
    let mut history: HashMap<String, Vec<(u64, String)>> = HashMap::new();
    for (id, seq, mode) in rows {
        history
            .entry(id)
            .or_default()
            .push((u64::try_from(seq).unwrap_or(0), mode));
    }
    let mut v = Verdict::default();
    for (id, entries) in &history {
        for (i, (seq, _)) in entries.iter().enumerate() {
            if *seq != i as u64 + 1 {
                v.violations
                    .push(format!("{id}: seq {seq} at position {}", i + 1));
                break;
            }
        }
    }
    for e in log {
        *v.statuses.entry(e.status).or_default() += 1;
    }
    let acked: Vec<&Entry> = log
        .iter()
        .filter(|e| e.op == "process" && e.status == 200 && e.seq.is_some())
        .collect();
    v.acknowledged_writes = acked.len();
    for e in &acked {
        let seq = e.seq.unwrap_or(0);
        let stored = history
            .get(&e.id)
            .and_then(|h| h.get(usize::try_from(seq).unwrap_or(usize::MAX).wrapping_sub(1)));
        match stored {
            Some((s, mode)) if *s == seq && Some(mode.as_str()) == e.mode => {}
            other => v.violations.push(format!(
                "{}: acknowledged cycle {seq} ({:?}) stored as {other:?}",
                e.id, e.mode
            )),
        }
    }
    epochs_only_grow(&acked, &mut v);
    one_node_per_epoch(log, &mut v);
    no_stale_reads(log, &acked, &mut v);
    Ok(v)
}

fn epochs_only_grow(acked: &[&Entry], v: &mut Verdict) {
    let mut by_instance: HashMap<&str, Vec<(u64, u64)>> = HashMap::new();
    for e in acked {
        if let (Some(seq), Some(epoch)) = (e.seq, e.epoch) {
            by_instance.entry(&e.id).or_default().push((seq, epoch));
        }
    }
    for (id, mut cycles) in by_instance {
        cycles.sort_unstable();
        if cycles.windows(2).any(|w| w[1].1 < w[0].1) {
            v.violations
                .push(format!("{id}: the epoch went back along seq: {cycles:?}"));
        }
    }
}

fn one_node_per_epoch(log: &[Entry], v: &mut Verdict) {
    let mut nodes: HashMap<(&str, u64), BTreeSet<&str>> = HashMap::new();
    for e in log.iter().filter(|e| e.status == 200) {
        if let (Some(epoch), Some(node)) = (e.epoch, e.node.as_deref()) {
            nodes.entry((&e.id, epoch)).or_default().insert(node);
        }
    }
    for ((id, epoch), served) in nodes {
        if served.len() > 1 {
            v.violations
                .push(format!("{id}: epoch {epoch} answered by {served:?}"));
        }
    }
}

fn no_stale_reads(log: &[Entry], acked: &[&Entry], v: &mut Verdict) {
    let mut writes: HashMap<&str, Vec<(f64, u64)>> = HashMap::new();
    for e in acked {
        writes
            .entry(&e.id)
            .or_default()
            .push((e.done_ms, e.seq.unwrap_or(0)));
    }
    for r in log.iter().filter(|e| e.op == "read" && e.status == 200) {
        let seen = r.seq.unwrap_or(0);
        let newest = writes
            .get(r.id.as_str())
            .into_iter()
            .flatten()
            .filter(|(done, _)| *done < r.sent_ms)
            .map(|(_, seq)| *seq)
            .max()
            .unwrap_or(0);
        if seen < newest {
            v.violations.push(format!(
                "{}: a read sent at {:.0} ms saw cycle {seen}, after cycle {newest} was acknowledged",
                r.id, r.sent_ms
            ));
        }
    }
}

/// The wait of each request that was the first one a shard's new owner served for its
/// instance (the node answering it changed): what a hand-over cost the clients that met
/// it, since a request for a shard in hand-over waits until the new owner has it.
pub fn handoff_waits(log: &[Entry]) -> Vec<f64> {
    let mut last: HashMap<&str, &str> = HashMap::new();
    let mut waits = Vec::new();
    for e in log.iter().filter(|e| e.status == 200) {
        let Some(node) = e.node.as_deref() else {
            continue;
        };
        if let Some(before) = last.insert(&e.id, node)
            && before != node
        {
            waits.push(e.done_ms - e.sent_ms);
        }
    }
    waits.sort_by(f64::total_cmp);
    waits
}

impl Verdict {
    /// The `q` quantile of the recovery times (nearest rank), if any.
    pub fn recovery_quantile(&self, q: f64) -> Option<f64> {
        let n = self.recovery_ms.len();
        if n == 0 {
            return None;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        Some(self.recovery_ms[rank - 1])
    }

    /// Answers that were not 2xx.
    pub fn errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }
}
