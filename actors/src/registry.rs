//! The registry: one slot per entity id, and activation.
//!
//! Why a slot behind an async mutex, reached through `DashMap::entry`: the entry call
//! creates at most one slot per id (and its map guard is dropped before any `.await`),
//! and whoever holds the slot's mutex is the only one who may activate, passivate or
//! replace its actor. Calls send their message while holding the mutex — a
//! non-blocking send — so a passivation, which also takes it, is ordered against every
//! call: a call sent before it is handled before the snapshot; a call after it finds the
//! slot empty and activates a fresh actor from the snapshot just written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ractor::{Actor, ActorRef};
use tokio::sync::Mutex;

use crate::census::{GroupIndex, NOT_COUNTED};
use crate::entity::Entity;
use crate::error::CallError;
use crate::instance_actor::{Hosted, InstanceActor, Msg};
use crate::journal::Journal;
use crate::mailbox::{HasMailbox, Mailbox};
use crate::observe;
use crate::runtime::Inner;
use crate::throttle::Throttle;

pub(crate) struct Slot<E: Entity, J: Journal<E>> {
    pub(crate) state: Mutex<SlotState<E, J>>,
    pub(crate) mailbox: Mailbox,
    /// Milliseconds since the runtime started, at the newest call: the LRU order.
    pub(crate) last_used: AtomicU64,
}

pub(crate) enum SlotState<E: Entity, J: Journal<E>> {
    /// Not resident: the next call activates it.
    Empty,
    /// Its actor, and the census group it counts in: two fields of the variant rather
    /// than one struct, so that the index takes the padding beside the tag and the state
    /// stays 16 bytes (memory per resident entity is the scarce resource).
    Live(ActorRef<Msg<E, J>>, GroupIndex),
    /// Failed too often; restarting after the policy's backoff.
    Backoff,
    /// Failed after the backoff: refuses calls until an explicit restart.
    Failed,
}

impl<E: Entity, J: Journal<E>> HasMailbox for Slot<E, J> {
    fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }
}

impl<E: Entity, J: Journal<E>> Slot<E, J> {
    fn new() -> Self {
        Slot {
            state: Mutex::new(SlotState::Empty),
            mailbox: Mailbox::default(),
            last_used: AtomicU64::new(0),
        }
    }

    pub(crate) fn touch(&self, now_ms: u64) {
        self.last_used.store(now_ms, Ordering::Relaxed);
    }
}

impl<E: Entity, J: Journal<E>> Inner<E, J> {
    /// The slot of `id`, created if missing.
    pub(crate) fn slot(&self, id: &E::Id) -> Arc<Slot<E, J>> {
        if let Some(slot) = self.slots.get(id) {
            return slot.clone();
        }
        self.slots
            .entry(id.clone())
            .or_insert_with(|| Arc::new(Slot::new()))
            .clone()
    }

    /// Drops the slot of `id` when nothing is resident there and nobody else holds it,
    /// so the map stays as small as the resident set.
    pub(crate) fn forget_if_empty(&self, id: &E::Id) {
        self.slots.remove_if(id, |_, slot| {
            Arc::strong_count(slot) == 1
                && slot
                    .state
                    .try_lock()
                    .is_ok_and(|s| matches!(*s, SlotState::Empty))
        });
    }

    /// Loads `id` from the journal and spawns its actor under the supervisor. The
    /// caller holds the slot's mutex: this is the only activation of `id`.
    pub(crate) async fn activate(
        &self,
        id: &E::Id,
    ) -> Result<(ActorRef<Msg<E, J>>, GroupIndex), CallError<E::Error, J::Error>> {
        let entity = self.journal.load(id).await.map_err(CallError::Journal)?;
        let group = entity
            .group()
            .map_or(NOT_COUNTED, |g| self.census.index_of(&g));
        let hosted = Hosted {
            throttle: Throttle::new(entity.last_cycle_at()),
            entity,
            journal: self.journal.clone(),
            tuning: self.tuning.clone(),
            counters: self.counters.clone(),
        };
        let supervisor = self.supervisor_cell().ok_or(CallError::ShuttingDown)?;
        let (actor, _) = Actor::spawn_linked(None, InstanceActor::new(), hosted, supervisor)
            .await
            .map_err(|e| {
                tracing::error!(%id, error = %e, "spawning an actor failed");
                CallError::Interrupted
            })?;
        let resident = self.resident.fetch_add(1, Ordering::AcqRel) + 1;
        self.counters.activated();
        metrics::gauge!(observe::ACTIVE).set(resident as f64);
        if resident > self.tuning.load().max_resident {
            self.over_cap.notify_one();
        }
        Ok((actor, group))
    }

    /// Moves the slot of `id` (whose lock the caller holds) to `next`, keeping the
    /// census: the only way a slot's state changes once created.
    pub(crate) fn set(&self, id: &E::Id, state: &mut SlotState<E, J>, next: SlotState<E, J>) {
        if let Some(group) = state.resident_group() {
            self.census.shift(group, false);
        }
        if let Some(group) = next.resident_group() {
            self.census.shift(group, true);
        }
        let (was, is) = (
            matches!(state, SlotState::Failed),
            matches!(next, SlotState::Failed),
        );
        if was != is {
            self.census.mark_failed(id, is);
        }
        *state = next;
    }
}

impl<E: Entity, J: Journal<E>> SlotState<E, J> {
    /// The census group this state counts in as resident, if any.
    fn resident_group(&self) -> Option<GroupIndex> {
        match self {
            SlotState::Live(_, group) if *group != NOT_COUNTED => Some(*group),
            _ => None,
        }
    }
}
