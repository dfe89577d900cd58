//! Rows as the databases return them, and their conversion into records.
//!
//! `#[derive(sqlx::FromRow)]` is generic over the row type, so each struct decodes rows
//! of both backends; everything database-shaped (i64 times, JSON text, enum names) is
//! turned into domain types here, once.

use std::collections::BTreeMap;

use crate::engine::{DriftLevel, EngineVersion, Mode, Observation, StressState, Unit};
use crate::ids::{AccountId, InstanceId, KeyId};
use crate::timestamp::Timestamp;

use super::records::{
    DriftEvent, DriftRecord, HistoryEntry, InstanceMeta, InstanceRecord, KeyRecord, SnapshotRecord,
    Summary,
};
use super::{Backend, StoreError};

/// The instance and snapshot-summary columns of [`InstanceRow`], shared by the queries
/// that read it. The snapshot is joined `LEFT`: an instance has none before its first
/// (its creation profile stands for it, `profile.rs`).
macro_rules! instance_columns {
    () => {
        "SELECT i.id, i.account_id, i.name, i.description, i.user_tag, i.metadata, i.cycle_cap,
       i.stopped, i.persona, i.engine_version, i.profile, i.created_at, i.updated_at,
       s.seq AS snap_seq, s.energy_level AS snap_energy, s.stress_state AS snap_stress,
       s.stability_index AS snap_stability,"
    };
}

/// The summary of the newest history row, as [`InstanceRow`] names it.
macro_rules! newest_history_columns {
    () => {
        "
       h.seq AS last_seq, h.energy_level AS last_energy, h.stress_state AS last_stress,
       h.stability_index AS last_stability
FROM instances i
LEFT JOIN snapshots s ON s.instance_id = i.id"
    };
}

/// The columns of [`InstanceRow`]: an instance, its snapshot's summary and the summary of
/// its newest history row (whichever is newer is the instance's current state), as the
/// backend reads them. PostgreSQL takes the newest history row in one descending probe
/// of each partition's key; SQLite, without `LATERAL`, finds its seq and then the row.
/// Either only where history may hold rows after the snapshot (`has_tail`, migration
/// 0011): nearly every stored instance's snapshot or profile is its newest state, and
/// the probes were most of a page's time (BENCHMARKS.md).
pub(super) fn instance_select(backend: &Backend) -> &'static str {
    match backend {
        Backend::Postgres(_) => concat!(
            instance_columns!(),
            newest_history_columns!(),
            "
LEFT JOIN LATERAL (SELECT hh.seq, hh.energy_level, hh.stress_state, hh.stability_index
                   FROM history hh WHERE i.has_tail AND hh.instance_id = i.id
                   ORDER BY hh.seq DESC LIMIT 1) h ON TRUE"
        ),
        Backend::Sqlite(_) => concat!(
            instance_columns!(),
            newest_history_columns!(),
            "
LEFT JOIN history h ON i.has_tail AND h.instance_id = i.id
     AND h.seq = (SELECT MAX(hh.seq) FROM history hh WHERE hh.instance_id = i.id)"
        ),
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct InstanceRow {
    id: String,
    account_id: String,
    name: String,
    description: String,
    user_tag: Option<String>,
    metadata: String,
    cycle_cap: Option<i64>,
    stopped: bool,
    persona: Option<String>,
    engine_version: i32,
    profile: Option<Vec<u8>>,
    created_at: i64,
    updated_at: i64,
    snap_seq: Option<i64>,
    snap_energy: Option<f64>,
    snap_stress: Option<String>,
    snap_stability: Option<f64>,
    last_seq: Option<i64>,
    last_energy: Option<f64>,
    last_stress: Option<String>,
    last_stability: Option<f64>,
}

impl InstanceRow {
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    /// The state before the first snapshot, rebuilt from the creation profile.
    fn initial_snapshot(&self) -> Result<SnapshotRecord, StoreError> {
        let profile = self.profile.as_deref().ok_or_else(|| {
            corrupt(format!(
                "instance {} has neither a snapshot nor a profile",
                self.id
            ))
        })?;
        Ok(SnapshotRecord::initial(
            engine_version(self.engine_version)?,
            super::profile::decode(profile)?,
        ))
    }

    /// The seq and summary of the stored snapshot, or of the initial state before one.
    fn snapshot_summary(&self) -> Result<(u64, Summary), StoreError> {
        match (
            self.snap_seq,
            self.snap_energy,
            &self.snap_stress,
            self.snap_stability,
        ) {
            (Some(seq), Some(e), Some(s), Some(st)) => Ok((unsigned(seq)?, summary(e, s, st)?)),
            _ => Ok((0, self.initial_snapshot()?.summary)),
        }
    }

    /// The record, its state the newer of `(snap_seq, snapshot)` (the summary of the
    /// snapshot replay starts from) and the newest history row.
    fn into_record(
        self,
        (snap_seq, snapshot): (u64, Summary),
    ) -> Result<InstanceRecord, StoreError> {
        // A snapshot written at the same seq as the newest history row is newer than it
        // (a reset writes one), so history wins only when strictly newer.
        let (cycle_count, summary) = match (
            self.last_seq,
            self.last_energy,
            self.last_stress,
            self.last_stability,
        ) {
            (Some(seq), Some(e), Some(s), Some(st)) if unsigned(seq)? > snap_seq => {
                (unsigned(seq)?, self::summary(e, &s, st)?)
            }
            _ => (snap_seq, snapshot),
        };
        Ok(InstanceRecord {
            id: instance_id(&self.id)?,
            account_id: AccountId::parse(&self.account_id).map_err(corrupt)?,
            meta: InstanceMeta {
                name: self.name,
                description: self.description,
                user: self.user_tag,
                metadata: serde_json::from_str::<BTreeMap<String, String>>(&self.metadata)
                    .map_err(corrupt)?,
                cycle_cap: self.cycle_cap.map(unsigned).transpose()?,
            },
            stopped: self.stopped,
            persona: self.persona,
            engine_version: engine_version(self.engine_version)?,
            created_at: Timestamp::from_micros(self.created_at),
            updated_at: Timestamp::from_micros(self.updated_at),
            cycle_count,
            summary,
        })
    }
}

impl TryFrom<InstanceRow> for InstanceRecord {
    type Error = StoreError;

    fn try_from(r: InstanceRow) -> Result<Self, StoreError> {
        let snapshot = r.snapshot_summary()?;
        r.into_record(snapshot)
    }
}

/// A stored snapshot's columns, all NULL before the instance's first.
#[derive(sqlx::FromRow)]
pub(super) struct SnapshotRow {
    seq: Option<i64>,
    state: Option<String>,
    last_cycle_at: Option<i64>,
    energy_level: Option<f64>,
    stress_state: Option<String>,
    stability_index: Option<f64>,
}

/// What activation reads in one query: the instance and its whole snapshot. The
/// newest-history columns of [`InstanceRow`] are NULL here: the loader reads the
/// history after the snapshot anyway and takes the newest state from it.
pub(super) const LOAD_SELECT: &str = concat!(
    instance_columns!(),
    "
       CAST(NULL AS BIGINT) AS last_seq, CAST(NULL AS DOUBLE PRECISION) AS last_energy,
       CAST(NULL AS TEXT) AS last_stress, CAST(NULL AS DOUBLE PRECISION) AS last_stability,
       s.seq, s.state, s.last_cycle_at, s.energy_level, s.stress_state, s.stability_index,
       i.deleted_at, i.has_tail
FROM instances i
LEFT JOIN snapshots s ON s.instance_id = i.id"
);

#[derive(sqlx::FromRow)]
pub(super) struct LoadRow {
    #[sqlx(flatten)]
    instance: InstanceRow,
    #[sqlx(flatten)]
    snapshot: SnapshotRow,
    deleted_at: Option<i64>,
    has_tail: bool,
}

impl LoadRow {
    /// Soft-deleted instances are not loaded. Filtered here, not in SQL: with
    /// `deleted_at IS NULL` in the query, PostgreSQL's planner, when its statistics
    /// lag a bulk insert, scans a partial index of every live instance per batch
    /// (measured: 14 ms instead of 2 ms for 64 ids).
    pub(super) fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    pub(super) fn id(&self) -> &str {
        self.instance.id()
    }

    /// The seq replay starts after (0 before the first snapshot), if history may hold
    /// rows after it (migration 0011): else replay has nothing to read.
    pub(super) fn replay_after(&self) -> Option<i64> {
        self.has_tail.then(|| self.snapshot.seq.unwrap_or(0))
    }

    /// The instance and the snapshot its replay starts from: its stored one or, before
    /// the first, the initial state of its creation profile.
    pub(super) fn decode(self) -> Result<(InstanceRecord, SnapshotRecord), StoreError> {
        let s = self.snapshot;
        let snapshot = match (
            s.seq,
            s.state,
            s.energy_level,
            s.stress_state,
            s.stability_index,
        ) {
            (Some(seq), Some(state), Some(energy), Some(stress), Some(stability)) => {
                SnapshotRecord {
                    seq: unsigned(seq)?,
                    state: serde_json::from_str(&state).map_err(corrupt)?,
                    last_cycle_at: s.last_cycle_at.map(Timestamp::from_micros),
                    summary: summary(energy, &stress, stability)?,
                }
            }
            _ => self.instance.initial_snapshot()?,
        };
        let record = self
            .instance
            .into_record((snapshot.seq, snapshot.summary))?;
        Ok((record, snapshot))
    }
}

pub(super) const HISTORY_COLUMNS: &str = "seq, cycle, mode, signal, confidence, dt, context, \
observed_at, recorded_at, energy_level, stress_state, stability_index";

#[derive(sqlx::FromRow)]
pub(super) struct HistoryRow {
    seq: i64,
    cycle: i64,
    mode: String,
    signal: f64,
    confidence: f64,
    dt: f64,
    context: String,
    observed_at: Option<i64>,
    recorded_at: i64,
    energy_level: f64,
    stress_state: String,
    stability_index: f64,
}

/// A history row with the instance it belongs to (batched loads).
#[derive(sqlx::FromRow)]
pub(super) struct KeyedHistoryRow {
    instance_id: String,
    #[sqlx(flatten)]
    row: HistoryRow,
}

impl KeyedHistoryRow {
    pub(super) fn split(self) -> (String, HistoryRow) {
        (self.instance_id, self.row)
    }
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(r: HistoryRow) -> Result<Self, StoreError> {
        let mode: Mode = r.mode.parse().map_err(corrupt)?;
        Ok(HistoryEntry {
            seq: unsigned(r.seq)?,
            cycle: unsigned(r.cycle)?,
            observation: Observation::new(
                mode,
                Unit::new(r.signal).map_err(corrupt)?,
                Unit::new(r.confidence).map_err(corrupt)?,
            ),
            dt: r.dt,
            context: r.context,
            observed_at: r.observed_at.map(Timestamp::from_micros),
            recorded_at: Timestamp::from_micros(r.recorded_at),
            summary: summary(r.energy_level, &r.stress_state, r.stability_index)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DriftRow {
    seq: i64,
    cycle: i64,
    level: String,
    magnitude: Option<f64>,
    deviation: String,
    affected_modes: String,
    rolled_back: bool,
    recorded_at: i64,
}

/// The magnitude of an event stored before its column existed: `deviation` lists the
/// affected modes largest offset first (`exploration +0.47, order -0.21 vs baseline`),
/// so its first number is the magnitude rounded to two places.
fn magnitude_from_deviation(deviation: &str) -> Option<f64> {
    let first = deviation
        .split([' ', ','])
        .find(|w| w.starts_with(['+', '-']))?;
    first.parse::<f64>().ok().map(f64::abs)
}

impl TryFrom<DriftRow> for DriftEvent {
    type Error = StoreError;

    fn try_from(r: DriftRow) -> Result<Self, StoreError> {
        Ok(DriftEvent {
            seq: unsigned(r.seq)?,
            cycle: unsigned(r.cycle)?,
            drift: DriftRecord {
                level: DriftLevel::from_name(&r.level)
                    .ok_or_else(|| corrupt(format!("drift level {:?}", r.level)))?,
                magnitude: match r.magnitude {
                    Some(m) => m,
                    None => magnitude_from_deviation(&r.deviation)
                        .ok_or_else(|| corrupt(format!("drift deviation {:?}", r.deviation)))?,
                },
                deviation: r.deviation,
                affected_modes: serde_json::from_str(&r.affected_modes).map_err(corrupt)?,
                rolled_back: r.rolled_back,
            },
            recorded_at: Timestamp::from_micros(r.recorded_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct KeyRow {
    id: String,
    account_id: String,
    plan: String,
    label: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl TryFrom<KeyRow> for KeyRecord {
    type Error = StoreError;

    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        Ok(KeyRecord {
            id: KeyId::parse(&r.id).map_err(corrupt)?,
            account_id: AccountId::parse(&r.account_id).map_err(corrupt)?,
            plan: r.plan,
            label: r.label,
            created_at: Timestamp::from_micros(r.created_at),
            revoked_at: r.revoked_at.map(Timestamp::from_micros),
        })
    }
}

fn summary(energy_level: f64, stress: &str, stability_index: f64) -> Result<Summary, StoreError> {
    Ok(Summary {
        energy_level,
        stress_state: StressState::from_name(stress)
            .ok_or_else(|| corrupt(format!("stress state {stress:?}")))?,
        stability_index,
    })
}

pub(super) fn instance_id(s: &str) -> Result<InstanceId, StoreError> {
    InstanceId::parse(s).map_err(corrupt)
}

fn engine_version(n: i32) -> Result<EngineVersion, StoreError> {
    u16::try_from(n)
        .ok()
        .and_then(|n| EngineVersion::from_number(n).ok())
        .ok_or_else(|| corrupt(format!("engine version {n}")))
}

/// Counts are BIGINT (signed) in SQL; a negative one is corruption.
pub(super) fn unsigned(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt(format!("negative count {n}")))
}

/// Counts into BIGINT.
pub(super) fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::magnitude_from_deviation;

    #[test]
    fn an_old_events_magnitude_is_its_deviations_first_offset() {
        assert_eq!(
            magnitude_from_deviation("exploration +0.47, order -0.21 vs baseline"),
            Some(0.47)
        );
        assert_eq!(
            magnitude_from_deviation("order -0.31 vs baseline"),
            Some(0.31)
        );
        assert_eq!(magnitude_from_deviation("all modes near baseline"), None);
    }
}
