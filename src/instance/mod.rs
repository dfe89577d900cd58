//! One identity instance as its actor holds it, and the rules of its turns.
//!
//! Pure bookkeeping around the engine: the lifetime count (`seq`, which numbers history
//! and bills cycles), the wall-clock origin of each `dt`, the stop flag and cycle cap,
//! and the records each turn must make durable before its reply. No I/O: the actor
//! sends the returned [`Append`] to the store and replies only after it committed.

mod entity;
mod error;

use crate::engine::{
    Contract, Drift, DriftLevel, Dt, Engine, EngineState, EngineVersion, Observation, Profile,
    ResetTarget, Snapshot,
};
use crate::ids::{AccountId, InstanceId};
use crate::store::{
    Append, CycleRecord, DriftRecord, HistoryEntry, SnapshotRecord, StoredInstance, Summary,
};
use crate::timestamp::Timestamp;

pub use entity::{Command, Refusal, Reply, StoreJournal};
pub use error::{InstanceError, RestoreError};

/// One observation as a client sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub observation: Observation,
    /// The client's `context` object as JSON text.
    pub context: String,
    pub observed_at: Option<Timestamp>,
}

/// The state after one cycle, as `/process` answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleView {
    pub snapshot: Snapshot,
    pub contract: Contract,
    pub drift: Drift,
}

/// What a processing turn produced: the views to answer with and the records to commit
/// first.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// Every intermediate state, or only the last one.
    pub views: Vec<CycleView>,
    pub append: Append,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    id: InstanceId,
    account: AccountId,
    engine: Engine,
    state: EngineState,
    /// Lifetime cycles: the `seq` of the newest history entry.
    seq: u64,
    /// Cycles since the newest durable snapshot (32 bits: a resident instance stays
    /// under 8 KiB, BENCHMARKS.md). How many make the next one due comes with each
    /// processing call (a live setting) instead of being kept here: a pointer to a shared
    /// value made the instance 472 bytes instead of 464, and every resident instance
    /// 8.12 KiB instead of 7.98 (BENCHMARKS.md, memory).
    since_snapshot: u32,
    created_at: Timestamp,
    /// The instance row's last change (metadata, stop/start, engine version), kept here
    /// so that reads of a resident instance need no query.
    updated_at: Timestamp,
    last_cycle_at: Option<Timestamp>,
    /// The newest cycle's drift, repeated by throttled answers.
    last_drift: Drift,
    cycle_cap: Option<u64>,
    stopped: bool,
}

impl Instance {
    /// Rebuilds the instance from its newest snapshot and the history after it.
    ///
    /// The engine is deterministic, so replay lands on the exact state of the last
    /// committed cycle; each replayed cycle is checked against the energy recorded with
    /// it, so a divergence (an engine changed without a new version) is caught, not
    /// served.
    pub fn restore(stored: StoredInstance) -> Result<Instance, RestoreError> {
        let record = stored.record;
        let engine = Engine::new(record.engine_version);
        let mut instance = Instance {
            id: record.id,
            account: record.account_id,
            engine,
            state: stored.snapshot.state,
            seq: stored.snapshot.seq,
            since_snapshot: 0,
            created_at: record.created_at,
            updated_at: record.updated_at,
            last_cycle_at: stored.snapshot.last_cycle_at,
            last_drift: Drift::NONE,
            cycle_cap: record.meta.cycle_cap,
            stopped: record.stopped,
        };
        for entry in stored.tail {
            if entry.seq != instance.seq + 1 {
                return Err(RestoreError::Gap {
                    expected: instance.seq + 1,
                    found: entry.seq,
                });
            }
            instance.last_drift = engine.step(
                &mut instance.state,
                entry.observation,
                Dt::from_secs(entry.dt),
            );
            if instance.state.energy.to_bits() != entry.summary.energy_level.to_bits() {
                return Err(RestoreError::Diverged { seq: entry.seq });
            }
            instance.seq = entry.seq;
            instance.since_snapshot = instance.since_snapshot.saturating_add(1);
            instance.last_cycle_at = Some(entry.recorded_at);
        }
        Ok(instance)
    }

    /// The snapshot of the state replaying `stored` reaches: what history retention
    /// writes before it drops the rows that replay read.
    pub fn replayed_snapshot(stored: StoredInstance) -> Result<SnapshotRecord, RestoreError> {
        let mut instance = Instance::restore(stored)?;
        Ok(instance.snapshot_record())
    }

    /// Lifetime cycles.
    pub fn cycle_count(&self) -> u64 {
        self.seq
    }

    pub fn last_cycle_at(&self) -> Option<Timestamp> {
        self.last_cycle_at
    }

    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }

    /// The row changed at `at`. Never backwards: concurrent changes may be told out of
    /// order, and the instance keeps the newest it was told of.
    pub fn touch(&mut self, at: Timestamp) {
        self.updated_at = self.updated_at.max(at);
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    pub fn engine_version(&self) -> EngineVersion {
        self.engine.version()
    }

    /// The current snapshot and contract, with the newest cycle's drift: what reads and
    /// throttled calls answer.
    pub fn current(&self) -> CycleView {
        self.view(self.last_drift)
    }

    /// Applies `inputs` as cycles in one turn: the first after the time since the
    /// previous cycle, the rest with `dt = 0`. All or nothing: a stopped instance or a
    /// batch that would pass the cycle cap changes nothing. Once `snapshot_every` cycles
    /// have passed since the newest snapshot, the append carries a full one, which bounds
    /// replay at activation.
    pub fn process(
        &mut self,
        inputs: &[Input],
        now: Timestamp,
        keep_intermediate: bool,
        snapshot_every: u32,
    ) -> Result<Processed, InstanceError> {
        if self.stopped {
            return Err(InstanceError::Stopped);
        }
        let n = inputs.len() as u64;
        if let Some(cap) = self.cycle_cap
            && self.seq + n > cap
        {
            return Err(InstanceError::CycleCapReached {
                cap,
                count: self.seq,
            });
        }
        let origin = self.last_cycle_at.unwrap_or(self.created_at);
        let mut dt = Dt::from_secs(now.secs_since(origin));
        let mut cycles = Vec::with_capacity(inputs.len());
        let mut views = Vec::with_capacity(if keep_intermediate { inputs.len() } else { 1 });
        for (i, input) in inputs.iter().enumerate() {
            let drift = self.engine.step(&mut self.state, input.observation, dt);
            self.seq += 1;
            self.since_snapshot = self.since_snapshot.saturating_add(1);
            self.last_drift = drift;
            cycles.push(CycleRecord {
                entry: HistoryEntry {
                    seq: self.seq,
                    cycle: self.state.cycle,
                    observation: input.observation,
                    dt: dt.secs(),
                    context: input.context.clone(),
                    observed_at: input.observed_at,
                    recorded_at: now,
                    summary: self.summary(),
                },
                drift: drift_record(&drift),
            });
            if keep_intermediate || i + 1 == inputs.len() {
                views.push(self.view(drift));
            }
            dt = Dt::ZERO;
        }
        self.last_cycle_at = Some(now);
        let due = self.since_snapshot >= snapshot_every.max(1);
        let snapshot = due.then(|| self.snapshot_record());
        Ok(Processed {
            views,
            append: self.append(cycles, snapshot),
        })
    }

    /// Resets the engine state; the returned append makes the reset durable.
    pub fn reset(&mut self, target: ResetTarget) -> Append {
        self.engine.reset(&mut self.state, target);
        self.restarted()
    }

    /// Moves the state to `profile` (a personality test's result), durable like a reset.
    pub fn adopt(&mut self, profile: Profile) -> Append {
        self.engine.adopt(&mut self.state, profile);
        self.restarted()
    }

    /// After a reset or an adoption: no drift pending, and a snapshot to make it durable.
    fn restarted(&mut self) -> Append {
        self.last_drift = Drift::NONE;
        self.flush()
    }

    /// A snapshot-only append: passivation, shutdown, explicit flushes.
    pub fn flush(&mut self) -> Append {
        let snapshot = self.snapshot_record();
        self.append(Vec::new(), Some(snapshot))
    }

    pub fn set_stopped(&mut self, stopped: bool) {
        self.stopped = stopped;
    }

    pub fn set_cycle_cap(&mut self, cap: Option<u64>) {
        self.cycle_cap = cap;
    }

    /// Moves to another engine version, keeping the state (`update`).
    pub fn set_engine_version(&mut self, version: EngineVersion) {
        self.engine = Engine::new(version);
    }

    fn view(&self, drift: Drift) -> CycleView {
        let snapshot = self.engine.snapshot(&self.state, self.id.as_str());
        let contract = self.engine.contract(&snapshot);
        CycleView {
            snapshot,
            contract,
            drift,
        }
    }

    /// What lists show of the current state.
    fn summary(&self) -> Summary {
        Summary::of(self.engine, &self.state)
    }

    fn snapshot_record(&mut self) -> SnapshotRecord {
        self.since_snapshot = 0;
        SnapshotRecord {
            seq: self.seq,
            state: self.state,
            last_cycle_at: self.last_cycle_at,
            summary: self.summary(),
        }
    }

    fn append(&self, cycles: Vec<CycleRecord>, snapshot: Option<SnapshotRecord>) -> Append {
        Append {
            instance_id: self.id.clone(),
            account_id: self.account.clone(),
            cycles,
            snapshot,
            // Stamped by the journal (cluster mode).
            epoch: None,
        }
    }
}

/// Only D1–D3 are recorded as drift events.
fn drift_record(drift: &Drift) -> Option<DriftRecord> {
    (drift.level() != DriftLevel::D0).then(|| DriftRecord {
        level: drift.level(),
        magnitude: drift.magnitude(),
        deviation: drift.deviation().to_string(),
        affected_modes: drift.affected_modes().iter().collect(),
        rolled_back: drift.rolled_back(),
    })
}

#[cfg(test)]
mod tests;
