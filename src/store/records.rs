//! What the store reads and writes, in domain types (rows are decoded in `rows.rs`).

use std::collections::BTreeMap;

use crate::engine::{
    DriftLevel, Engine, EngineState, EngineVersion, Mode, Observation, Profile, StressState,
};
use crate::ids::{AccountId, InstanceId, KeyId};
use crate::timestamp::Timestamp;

/// The state summary lists show without activating an instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub energy_level: f64,
    pub stress_state: StressState,
    pub stability_index: f64,
}

impl Summary {
    /// What `engine` makes of `state` for lists.
    pub fn of(engine: Engine, state: &EngineState) -> Summary {
        Summary {
            energy_level: state.energy,
            stress_state: engine.stress_state(state),
            stability_index: engine.stability_index(state),
        }
    }
}

/// A full engine state as of lifetime cycle `seq`: where recovery starts.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRecord {
    /// Lifetime cycles this snapshot includes; history rows after it are replayed.
    pub seq: u64,
    pub state: EngineState,
    /// Wall time of the newest cycle (none before the first): the throttle of a freshly
    /// activated actor, and the next cycle's `dt` (measured from creation before any
    /// cycle), start from it.
    pub last_cycle_at: Option<Timestamp>,
    pub summary: Summary,
}

impl SnapshotRecord {
    /// The state an instance starts with, before any cycle: a function of its creation
    /// profile and engine version, so creation stores the profile and no snapshot.
    pub fn initial(engine_version: EngineVersion, profile: Profile) -> SnapshotRecord {
        let state = EngineState::new(profile);
        SnapshotRecord {
            seq: 0,
            state,
            last_cycle_at: None,
            summary: Summary::of(Engine::new(engine_version), &state),
        }
    }
}

/// One processed observation as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// Lifetime number, 1-based, without gaps.
    pub seq: u64,
    /// Engine cycle after this observation.
    pub cycle: u64,
    pub observation: Observation,
    /// The gap the engine was stepped with: replay uses exactly this.
    pub dt: f64,
    /// The client's `context` object, as JSON text.
    pub context: String,
    pub observed_at: Option<Timestamp>,
    pub recorded_at: Timestamp,
    /// State after the cycle.
    pub summary: Summary,
}

/// A cycle to append: its history entry and the drift event it caused (D1–D3 only).
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRecord {
    pub entry: HistoryEntry,
    pub drift: Option<DriftRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriftRecord {
    pub level: DriftLevel,
    /// The largest offset of any mode from its baseline (what `level` classified).
    pub magnitude: f64,
    pub deviation: String,
    pub affected_modes: Vec<Mode>,
    pub rolled_back: bool,
}

/// A drift event as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftEvent {
    pub seq: u64,
    pub cycle: u64,
    pub drift: DriftRecord,
    pub recorded_at: Timestamp,
}

/// Instance metadata a client sets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceMeta {
    pub name: String,
    pub description: String,
    pub user: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub cycle_cap: Option<u64>,
}

/// A new instance and its starting state.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstance {
    pub id: InstanceId,
    pub account_id: AccountId,
    pub meta: InstanceMeta,
    pub persona: Option<String>,
    pub engine_version: EngineVersion,
    /// Where it starts ([`SnapshotRecord::initial`]).
    pub profile: Profile,
    pub created_at: Timestamp,
}

impl NewInstance {
    /// The instance as stored once created: no cycles yet, its state's summary.
    pub fn record(&self) -> InstanceRecord {
        InstanceRecord {
            id: self.id.clone(),
            account_id: self.account_id.clone(),
            meta: self.meta.clone(),
            stopped: false,
            persona: self.persona.clone(),
            engine_version: self.engine_version,
            created_at: self.created_at,
            updated_at: self.created_at,
            cycle_count: 0,
            summary: SnapshotRecord::initial(self.engine_version, self.profile).summary,
        }
    }
}

/// An instance as stored, with its latest state summary.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRecord {
    pub id: InstanceId,
    pub account_id: AccountId,
    pub meta: InstanceMeta,
    pub stopped: bool,
    pub persona: Option<String>,
    pub engine_version: EngineVersion,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Lifetime cycles (billing): the newest history `seq`.
    pub cycle_count: u64,
    pub summary: Summary,
}

/// Everything activation needs: metadata, the newest snapshot, and the history after it
/// in order.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInstance {
    pub record: InstanceRecord,
    pub snapshot: SnapshotRecord,
    pub tail: Vec<HistoryEntry>,
}

/// An API key as listed (never its secret).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    pub id: KeyId,
    pub account_id: AccountId,
    pub plan: String,
    pub label: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// How `list_instances` sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    CreatedAt,
    Name,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceFilter {
    pub user: Option<String>,
    pub stopped: Option<bool>,
    /// Only these instances: the runtime's resident or failed ones, which only it knows
    /// (`status=active|failed`); the total is then counted over them.
    pub ids: Option<Vec<InstanceId>>,
}

/// Which part of a list to read: `limit` items, after skipping `offset` of them or, by
/// keyset, starting right after the item at `after` (then `offset` is 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
    pub after: Option<Position>,
}

impl Page {
    /// The first `limit` items.
    pub fn first(limit: u32) -> Page {
        Page {
            limit,
            offset: 0,
            after: None,
        }
    }
}

/// Where an item sits in its list's order: what a keyset page continues after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// History entries and drift events, newest first.
    Seq(u64),
    /// Instances by creation (microseconds), then id.
    Created { at: i64, id: String },
    /// Instances by name, then id.
    Name { name: String, id: String },
}

/// A chunk of a list's keys ([`Store::list_instance_keys`](super::Store::list_instance_keys)):
/// the ids in the list's order and the position of the last, where the next chunk starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Keys {
    pub ids: Vec<InstanceId>,
    pub last: Option<Position>,
}

/// One page of a list and the total it was cut from.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// Whether items follow this page (it was read with one item more than asked).
    pub more: bool,
}

impl<T> Paged<T> {
    /// `items` read with one more than `limit` asked for, cut to `limit`.
    pub fn cut(mut items: Vec<T>, limit: u32, total: u64) -> Paged<T> {
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        Paged { items, total, more }
    }

    /// The same page with each item converted.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Paged<U>, E> {
        Ok(Paged {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            total: self.total,
            more: self.more,
        })
    }
}
