//! The group-commit writer: one task that turns many actors' appends into few
//! transactions.
//!
//! Every actor hands its turn's history rows here and waits for the commit before it
//! replies (durability: a 200 means committed). Jobs that arrive while a commit is in
//! flight, or within the linger time, share the next transaction: one multi-row INSERT
//! per table and one fsync for all of them. A single writer is also what SQLite needs
//! (one writer at a time). If a shared transaction fails for a reason other than the
//! database being unreachable, its jobs are retried one by one, so one instance's bad
//! write fails only that instance's request.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use sqlx::QueryBuilder;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::ids::{AccountId, InstanceId, SnapshotId};
use crate::timestamp::Timestamp;

use super::records::{CycleRecord, SnapshotRecord};
use super::rows::signed;
use super::{Backend, Durability, StoreError, StoreOptions, with_pool};

/// What one actor turn makes durable: its cycles (possibly none) and, every N cycles or
/// on reset/passivation, a full snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    pub instance_id: InstanceId,
    /// The account billed for the cycles.
    pub account_id: AccountId,
    pub cycles: Vec<CycleRecord>,
    pub snapshot: Option<SnapshotRecord>,
}

enum Message {
    /// Boxed: an append carries a full engine state, the flush marker nothing. Without
    /// a sender (write-behind) nobody waits for the outcome.
    Job(Box<Append>, Option<oneshot::Sender<Result<(), StoreError>>>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

/// Rows per INSERT statement: well under both backends' bind-parameter limits
/// (13 columns × 1 000 = 13 000; SQLite allows 32 766, PostgreSQL 65 535).
const ROWS_PER_STATEMENT: usize = 1000;

#[derive(Clone)]
pub(crate) struct WriterHandle {
    tx: mpsc::Sender<Message>,
    durability: Durability,
}

impl WriterHandle {
    pub(crate) fn spawn(backend: Backend, o: &StoreOptions) -> WriterHandle {
        let (tx, rx) = mpsc::channel(o.writer_queue.max(1));
        // SQLite takes one writer at a time: parallel commits would only wait on its lock.
        // Write-behind commits in queue order, one batch at a time: nobody waits between
        // an instance's appends, so only order keeps a newer snapshot from being
        // overwritten by an older one.
        let commits_in_flight = match (&backend, o.durability) {
            (Backend::Sqlite(_), _) | (_, Durability::WriteBehind) => 1,
            (Backend::Postgres(_), Durability::Durable) => o.group_commits_in_flight.max(1),
        };
        let writer = Writer {
            backend,
            max_rows: o.group_commit_max_rows.max(1),
            linger: o.group_commit_linger,
            commits_in_flight,
            in_flight: Arc::new(Semaphore::new(commits_in_flight)),
        };
        tokio::spawn(writer.run(rx));
        WriterHandle {
            tx,
            durability: o.durability,
        }
    }

    /// Queues `append`; waits for its commit unless write-behind lets it go.
    pub(crate) async fn submit(&self, append: Append) -> Result<(), StoreError> {
        let behind = self.durability == Durability::WriteBehind && append.snapshot.is_none();
        let (done, wait) = if behind {
            (None, None)
        } else {
            let (done, wait) = oneshot::channel();
            (Some(done), Some(wait))
        };
        self.tx
            .send(Message::Job(Box::new(append), done))
            .await
            .map_err(|_| StoreError::TasksStopped)?;
        match wait {
            Some(wait) => wait.await.map_err(|_| StoreError::TasksStopped)?,
            None => Ok(()),
        }
    }

    /// Waits until every job queued so far is committed (or failed).
    pub(crate) async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Message::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// The batching task. Up to `commits_in_flight` batches commit at once, each in its own
/// transaction: an instance's actor waits for its append before its next turn, so one
/// instance never has rows in two batches, and usage counters are upserted in account
/// order in every batch, so concurrent batches cannot deadlock.
#[derive(Clone)]
struct Writer {
    backend: Backend,
    max_rows: usize,
    linger: std::time::Duration,
    commits_in_flight: usize,
    in_flight: Arc<Semaphore>,
}

type Job = (Box<Append>, Option<oneshot::Sender<Result<(), StoreError>>>);

/// Tells a job's waiter (if any) how its commit went; a write-behind job that failed is
/// lost, which is counted.
fn answer(
    append: &Append,
    done: Option<oneshot::Sender<Result<(), StoreError>>>,
    result: Result<(), StoreError>,
) {
    match done {
        Some(done) => {
            let _ = done.send(result);
        }
        None if result.is_err() => {
            metrics::counter!("identity_os_storage_lost_cycles_total")
                .increment(append.cycles.len() as u64);
        }
        None => {}
    }
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Message>) {
        while let Some(first) = rx.recv().await {
            let mut jobs: Vec<Job> = Vec::new();
            let mut flushes = Vec::new();
            let mut rows = 0;
            let deadline = tokio::time::Instant::now() + self.linger;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Job(append, done) => {
                        rows += append.cycles.len().max(1);
                        jobs.push((append, done));
                    }
                    // A flush closes the batch: everything before it is in this one.
                    Message::Flush(done) => {
                        flushes.push(done);
                        break;
                    }
                }
                if rows >= self.max_rows {
                    break;
                }
                next = match rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(_) => tokio::time::timeout_at(deadline, rx.recv())
                        .await
                        .ok()
                        .flatten(),
                };
            }
            let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
                return;
            };
            let writer = self.clone();
            tokio::spawn(async move {
                writer.commit_and_ack(jobs).await;
                drop(permit);
            });
            if !flushes.is_empty() {
                // Everything queued before the flush is in this batch or an earlier one:
                // done once every commit in flight has finished.
                let all = u32::try_from(self.commits_in_flight).unwrap_or(u32::MAX);
                let _ = self.in_flight.acquire_many(all).await;
                for done in flushes {
                    let _ = done.send(());
                }
            }
        }
    }

    async fn commit_and_ack(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        let appends: Vec<&Append> = jobs.iter().map(|(a, _)| a.as_ref()).collect();
        let started = Instant::now();
        let result = commit(&self.backend, &appends).await;
        metrics::histogram!("identity_os_storage_commit_seconds").record(started.elapsed());
        metrics::histogram!("identity_os_storage_batch_jobs").record(jobs.len() as f64);
        match result {
            Ok(()) => {
                metrics::counter!("identity_os_storage_batches_total", "result" => "ok")
                    .increment(1);
                for (append, done) in jobs {
                    answer(&append, done, Ok(()));
                }
            }
            Err(e) if jobs.len() > 1 && !e.is_unavailable() => {
                tracing::warn!(error = %e, jobs = jobs.len(), "group commit failed; retrying its jobs one by one");
                for (append, done) in jobs {
                    let alone = commit(&self.backend, &[&append]).await;
                    if let Err(e) = &alone {
                        tracing::error!(instance = %append.instance_id, error = %e, "history append failed");
                    }
                    answer(&append, done, alone);
                }
            }
            Err(e) => {
                metrics::counter!("identity_os_storage_batches_total", "result" => "error")
                    .increment(1);
                tracing::error!(error = %e, jobs = jobs.len(), "group commit failed");
                for (append, done) in jobs {
                    answer(&append, done, Err(e.clone()));
                }
            }
        }
    }
}

/// One transaction for all `appends`: history rows, drift events, usage counters and
/// snapshots.
async fn commit(backend: &Backend, appends: &[&Append]) -> Result<(), StoreError> {
    let cycles: Vec<(&InstanceId, &CycleRecord)> = appends
        .iter()
        .flat_map(|a| a.cycles.iter().map(move |c| (&a.instance_id, c)))
        .collect();
    let drifts = cycles
        .iter()
        .filter_map(|(id, c)| c.drift.as_ref().map(|d| (*id, *c, d)))
        .map(|(id, c, d)| {
            let affected = serde_json::to_string(&d.affected_modes)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((id, c, d, affected))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut usage: BTreeMap<(&AccountId, String), i64> = BTreeMap::new();
    for a in appends {
        if let Some(first) = a.cycles.first() {
            let billed = i64::try_from(a.cycles.len()).unwrap_or(i64::MAX);
            *usage
                .entry((&a.account_id, first.entry.recorded_at.month()))
                .or_default() += billed;
        }
    }
    // The newest snapshot per instance: one row each (an upsert may touch a row once).
    let mut snapshots: BTreeMap<&InstanceId, &SnapshotRecord> = BTreeMap::new();
    for a in appends {
        if let Some(s) = &a.snapshot {
            snapshots.insert(&a.instance_id, s);
        }
    }
    let written_at = Timestamp::now().as_micros();
    let states = snapshots
        .values()
        .map(|s| serde_json::to_string(&s.state).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;

    with_pool!(backend, |pool| {
        let mut tx = pool.begin().await?;
        for chunk in cycles.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO history (instance_id, seq, cycle, mode, signal, confidence, dt, \
                 context, observed_at, recorded_at, energy_level, stress_state, stability_index) ",
            );
            q.push_values(chunk, |mut b, (id, c)| {
                let e = &c.entry;
                b.push_bind(id.as_str())
                    .push_bind(signed(e.seq))
                    .push_bind(signed(e.cycle))
                    .push_bind(e.observation.mode.upper_name())
                    .push_bind(e.observation.signal.get())
                    .push_bind(e.observation.confidence.get())
                    .push_bind(e.dt)
                    .push_bind(e.context.as_str())
                    .push_bind(e.observed_at.map(Timestamp::as_micros))
                    .push_bind(e.recorded_at.as_micros())
                    .push_bind(e.summary.energy_level)
                    .push_bind(e.summary.stress_state.as_str())
                    .push_bind(e.summary.stability_index);
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in drifts.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO drift_events (instance_id, seq, cycle, level, magnitude, \
                 deviation, affected_modes, rolled_back, recorded_at) ",
            );
            q.push_values(chunk, |mut b, (id, c, d, affected)| {
                b.push_bind(id.as_str())
                    .push_bind(signed(c.entry.seq))
                    .push_bind(signed(c.entry.cycle))
                    .push_bind(d.level.as_str())
                    .push_bind(d.magnitude)
                    .push_bind(d.deviation.as_str())
                    .push_bind(affected.as_str())
                    .push_bind(d.rolled_back)
                    .push_bind(c.entry.recorded_at.as_micros());
            });
            q.build().execute(&mut *tx).await?;
        }
        for ((account, period), cycles) in &usage {
            sqlx::query(
                "INSERT INTO monthly_usage (account_id, period, cycles) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, period) \
                 DO UPDATE SET cycles = monthly_usage.cycles + excluded.cycles",
            )
            .bind(account.as_str())
            .bind(period.as_str())
            .bind(*cycles)
            .execute(&mut *tx)
            .await?;
        }
        for ((id, s), state) in snapshots.iter().zip(&states) {
            sqlx::query(UPSERT_SNAPSHOT)
                .bind(id.as_str())
                .bind(SnapshotId::generate().as_str().to_owned())
                .bind(signed(s.seq))
                .bind(state.as_str())
                .bind(s.last_cycle_at.map(Timestamp::as_micros))
                .bind(s.summary.energy_level)
                .bind(s.summary.stress_state.as_str())
                .bind(s.summary.stability_index)
                .bind(written_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

/// Writes the newest snapshot of an instance (there is one row per instance).
pub(super) const UPSERT_SNAPSHOT: &str = "\
INSERT INTO snapshots (instance_id, id, seq, state, last_cycle_at, energy_level, stress_state,
                       stability_index, written_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (instance_id) DO UPDATE SET
    id = excluded.id, seq = excluded.seq, state = excluded.state,
    last_cycle_at = excluded.last_cycle_at, energy_level = excluded.energy_level,
    stress_state = excluded.stress_state, stability_index = excluded.stability_index,
    written_at = excluded.written_at";
