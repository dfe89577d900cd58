//! The group-commit writer: one task that turns many actors' appends into few
//! transactions.
//!
//! Every actor hands its turn's history rows here and waits for the commit before it
//! replies (durability: a 200 means committed). Jobs that arrive while a commit is in
//! flight, or within the linger time, share the next transaction (`commit.rs`) and one
//! fsync. A single writer is also what SQLite needs (one writer at a time). If a shared
//! transaction fails for a reason other than the database being unreachable, its jobs
//! are retried one by one, so one instance's bad write fails only that instance's
//! request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::ids::{AccountId, InstanceId};

use super::commit::commit;
use super::records::{CycleRecord, SnapshotRecord};
use super::{Backend, Durability, StoreError, StoreOptions};

/// What one actor turn makes durable: its cycles (possibly none) and, every N cycles or
/// on reset/passivation, a full snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    pub instance_id: InstanceId,
    /// The account billed for the cycles.
    pub account_id: AccountId,
    pub cycles: Vec<CycleRecord>,
    pub snapshot: Option<SnapshotRecord>,
    /// Cluster mode: the shard epoch the instance was activated under. The append
    /// commits only while the instance's row still carries it (else
    /// [`StoreError::Fenced`], nothing of it written). `None` on a single node.
    pub epoch: Option<std::num::NonZeroU64>,
}

enum Message {
    /// Boxed: an append carries a full engine state, the flush marker nothing. Without
    /// a sender (write-behind) nobody waits for the outcome.
    Job(Box<Append>, Option<oneshot::Sender<Result<(), StoreError>>>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub(crate) struct WriterHandle {
    tx: mpsc::Sender<Message>,
    durability: Durability,
    knobs: Arc<Knobs>,
}

/// The batch bounds, live settings: each batch reads them when it opens.
pub(crate) struct Knobs {
    max_rows: AtomicUsize,
    linger_micros: AtomicU64,
}

impl Knobs {
    fn new(max_rows: usize, linger: Duration) -> Knobs {
        let knobs = Knobs {
            max_rows: AtomicUsize::new(1),
            linger_micros: AtomicU64::new(0),
        };
        knobs.set(max_rows, linger);
        knobs
    }

    fn set(&self, max_rows: usize, linger: Duration) {
        self.max_rows.store(max_rows.max(1), Ordering::Relaxed);
        let micros = u64::try_from(linger.as_micros()).unwrap_or(u64::MAX);
        self.linger_micros.store(micros, Ordering::Relaxed);
    }

    fn max_rows(&self) -> usize {
        self.max_rows.load(Ordering::Relaxed)
    }

    fn linger(&self) -> Duration {
        Duration::from_micros(self.linger_micros.load(Ordering::Relaxed))
    }
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
        let knobs = Arc::new(Knobs::new(o.group_commit_max_rows, o.group_commit_linger));
        let writer = Writer {
            backend,
            knobs: knobs.clone(),
            commits_in_flight,
            in_flight: Arc::new(Semaphore::new(commits_in_flight)),
        };
        tokio::spawn(writer.run(rx));
        WriterHandle {
            tx,
            durability: o.durability,
            knobs,
        }
    }

    /// New batch bounds, from the next batch on (a reload).
    pub(crate) fn set_group_commit(&self, max_rows: usize, linger: Duration) {
        self.knobs.set(max_rows, linger);
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
    knobs: Arc<Knobs>,
    commits_in_flight: usize,
    in_flight: Arc<Semaphore>,
}

type Job = (Box<Append>, Option<oneshot::Sender<Result<(), StoreError>>>);

/// The jobs of one commit, and the flushes waiting for it.
#[derive(Default)]
struct Batch {
    jobs: Vec<Job>,
    flushes: Vec<oneshot::Sender<()>>,
    rows: usize,
}

impl Batch {
    /// Adds `message`; false once the batch takes no more: it holds `max_rows` rows, or
    /// a flush (everything queued before a flush is in this batch or an earlier one).
    fn add(&mut self, message: Message, max_rows: usize) -> bool {
        match message {
            Message::Job(append, done) => {
                self.rows += append.cycles.len().max(1);
                self.jobs.push((append, done));
                self.rows < max_rows
            }
            Message::Flush(done) => {
                self.flushes.push(done);
                false
            }
        }
    }
}

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
            let mut batch = Batch::default();
            let max_rows = self.knobs.max_rows();
            let mut open = batch.add(first, max_rows);
            // Linger for company: a batch of one would cost a commit of its own.
            let deadline = tokio::time::Instant::now() + self.knobs.linger();
            while open {
                let next = match rx.try_recv() {
                    Ok(m) => Some(m),
                    Err(_) => tokio::time::timeout_at(deadline, rx.recv())
                        .await
                        .ok()
                        .flatten(),
                };
                match next {
                    Some(m) => open = batch.add(m, max_rows),
                    None => break,
                }
            }
            // While every commit slot is busy, keep taking jobs: they would wait for a
            // slot anyway, and in this batch they need no commit of their own.
            let permit = loop {
                tokio::select! {
                    biased;
                    permit = self.in_flight.clone().acquire_owned() => break permit,
                    Some(m) = rx.recv(), if open => open = batch.add(m, max_rows),
                }
            };
            let Ok(permit) = permit else {
                return;
            };
            let Batch { jobs, flushes, .. } = batch;
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
            Ok(fenced) => {
                metrics::counter!("identity_os_storage_batches_total", "result" => "ok")
                    .increment(1);
                for (append, done) in jobs {
                    let outcome = if fenced.contains(&append.instance_id) {
                        metrics::counter!("identity_os_cluster_fenced_writes_total").increment(1);
                        tracing::warn!(instance = %append.instance_id, "append fenced: the shard moved");
                        Err(StoreError::Fenced)
                    } else {
                        Ok(())
                    };
                    answer(&append, done, outcome);
                }
            }
            Err(e) if jobs.len() > 1 && !e.is_unavailable() => {
                tracing::warn!(error = %e, jobs = jobs.len(), "group commit failed; retrying its jobs one by one");
                for (append, done) in jobs {
                    let alone = match commit(&self.backend, &[&append]).await {
                        Ok(fenced) if fenced.is_empty() => Ok(()),
                        Ok(_) => Err(StoreError::Fenced),
                        Err(e) => Err(e),
                    };
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
