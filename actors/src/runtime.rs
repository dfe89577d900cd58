//! The runtime's public face: calls by id, passivation, restart, drain.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arc_swap::ArcSwap;
use dashmap::DashMap;
use ractor::{Actor, ActorCell, ActorRef};
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::time::Instant;

use crate::census::Census;
use crate::config::RuntimeConfig;
use crate::entity::Entity;
use crate::error::CallError;
use crate::incidents::{Incident, Incidents};
use crate::instance_actor::Msg;
use crate::journal::Journal;
use crate::mailbox::Mailbox;
use crate::observe::{Counters, Counts};
use crate::registry::{Slot, SlotState};
use crate::supervisor::Supervisor;

/// Hosts entities of type `E`, persisted through `J`. Cheap to clone.
pub struct Runtime<E: Entity, J: Journal<E>> {
    inner: Arc<Inner<E, J>>,
}

impl<E: Entity, J: Journal<E>> Clone for Runtime<E, J> {
    fn clone(&self) -> Self {
        Runtime {
            inner: self.inner.clone(),
        }
    }
}

pub(crate) struct Inner<E: Entity, J: Journal<E>> {
    pub(crate) journal: Arc<J>,
    /// The settings in force, replaced whole by [`Runtime::reconfigure`].
    pub(crate) tuning: Arc<ArcSwap<RuntimeConfig>>,
    pub(crate) slots: DashMap<E::Id, Arc<Slot<E, J>>>,
    /// Recent failure times of entities that failed.
    pub(crate) failures: DashMap<E::Id, VecDeque<Instant>>,
    pub(crate) incidents: Incidents,
    pub(crate) counters: Arc<Counters>,
    pub(crate) resident: AtomicUsize,
    /// Resident and failed entities per group.
    pub(crate) census: Census<E::Group, E::Id>,
    /// Wakes the passivation sweeper when the resident set passes the cap (or the
    /// settings changed).
    pub(crate) over_cap: Notify,
    pub(crate) closing: AtomicBool,
    pub(crate) stopped: Notify,
    supervisor: OnceLock<ActorRef<()>>,
    epoch: Instant,
}

type Failure<E, J> = CallError<<E as Entity>::Error, <J as Journal<E>>::Error>;

impl<E: Entity, J: Journal<E>> Runtime<E, J> {
    /// Starts the supervisor and the passivation sweeper.
    pub async fn start(journal: J, config: RuntimeConfig) -> Result<Self, ractor::SpawnErr> {
        let inner = Arc::new(Inner {
            journal: Arc::new(journal),
            tuning: Arc::new(ArcSwap::from_pointee(config)),
            slots: DashMap::new(),
            failures: DashMap::new(),
            incidents: Incidents::default(),
            counters: Arc::default(),
            resident: AtomicUsize::new(0),
            census: Census::default(),
            over_cap: Notify::new(),
            closing: AtomicBool::new(false),
            stopped: Notify::new(),
            supervisor: OnceLock::new(),
            epoch: Instant::now(),
        });
        let (supervisor, _) =
            Actor::spawn(None, Supervisor::new(Arc::downgrade(&inner)), ()).await?;
        let _ = inner.supervisor.set(supervisor);
        tokio::spawn(crate::passivation::sweep(Arc::downgrade(&inner)));
        Ok(Runtime { inner })
    }

    /// Sends `command` to the entity `id`, activating it first if needed, and waits for
    /// the reply (sent only after the turn's effect is durable).
    pub async fn call(&self, id: &E::Id, command: E::Command) -> Result<E::Reply, Failure<E, J>> {
        let inner = &self.inner;
        let slot = inner.slot(id);
        let reply = {
            let mut state = slot.state.lock().await;
            if inner.closing.load(Ordering::Acquire) {
                return Err(CallError::ShuttingDown);
            }
            let actor = match &*state {
                SlotState::Live(actor, _) => actor.clone(),
                SlotState::Failed => return Err(CallError::Failed),
                SlotState::Backoff => return Err(CallError::Interrupted),
                SlotState::Empty => match inner.activate(id).await {
                    Ok((actor, group)) => {
                        inner.set(id, &mut state, SlotState::Live(actor.clone(), group));
                        actor
                    }
                    Err(e) => {
                        drop(state);
                        drop(slot);
                        inner.forget_if_empty(id);
                        return Err(e);
                    }
                },
            };
            let capacity = inner.tuning.load().mailbox_capacity;
            let permit = Mailbox::reserve(&slot, capacity).ok_or(CallError::Overloaded)?;
            let (tx, rx) = oneshot::channel();
            actor
                .send_message(Msg::Call {
                    command,
                    reply: tx,
                    _permit: permit,
                })
                .map_err(|_| CallError::Interrupted)?;
            rx
        };
        slot.touch(inner.now_ms());
        reply.await.map_err(|_| CallError::Interrupted)?
    }

    /// Persists the entity's state and stops its actor, if it is resident.
    pub async fn passivate(&self, id: &E::Id) {
        self.inner.passivate(id).await;
    }

    /// Recreates the entity's actor from durable state — also out of the failed state.
    /// The old actor, if any, is stopped without a snapshot: its state is already
    /// durable, and it may be the wedged one.
    pub async fn restart(&self, id: &E::Id) -> Result<(), Failure<E, J>> {
        let inner = &self.inner;
        let slot = inner.slot(id);
        let mut state = slot.state.lock().await;
        if let SlotState::Live(actor, _) = &*state {
            actor.stop(Some("restart".into()));
        }
        inner.set(id, &mut state, SlotState::Empty);
        inner.failures.remove(id);
        let (actor, group) = inner.activate(id).await?;
        inner.set(id, &mut state, SlotState::Live(actor, group));
        Ok(())
    }

    /// Stops the entity's actor without persisting anything (a deleted entity).
    pub async fn evict(&self, id: &E::Id) {
        let slot = self.inner.slot(id);
        let mut state = slot.state.lock().await;
        if let SlotState::Live(actor, _) = &*state {
            actor.stop(Some("evicted".into()));
        }
        self.inner.set(id, &mut state, SlotState::Empty);
        drop(state);
        drop(slot);
        self.inner.failures.remove(id);
        self.inner.forget_if_empty(id);
    }

    /// Passivates every resident entity whose id `matches` (their snapshots written),
    /// a bounded number at a time.
    pub async fn passivate_where(&self, matches: impl Fn(&E::Id) -> bool) {
        self.inner
            .passivate_all(self.ids_where(|id, _| matches(id)))
            .await;
    }

    /// Evicts every resident entity whose id `matches`: stopped, nothing persisted.
    pub async fn evict_where(&self, matches: impl Fn(&E::Id) -> bool) {
        for id in self.ids_where(|id, _| matches(id)) {
            self.evict(&id).await;
        }
    }

    /// The ids whose entry `matches` (id and slot), in one pass over the registry.
    fn ids_where(&self, matches: impl Fn(&E::Id, &Slot<E, J>) -> bool) -> Vec<E::Id> {
        self.inner
            .slots
            .iter()
            .filter(|e| matches(e.key(), e.value()))
            .map(|e| e.key().clone())
            .collect()
    }

    /// True when `id` has a live actor.
    pub fn is_resident(&self, id: &E::Id) -> bool {
        self.inner.slots.get(id).is_some_and(|slot| live(&slot))
    }

    pub fn resident_count(&self) -> usize {
        self.inner.resident.load(Ordering::Acquire)
    }

    /// True when `id` failed too often and waits for [`Runtime::restart`].
    pub fn is_failed(&self, id: &E::Id) -> bool {
        self.inner.slots.get(id).is_some_and(|slot| failed(&slot))
    }

    /// How many entities of `group` are resident: a lookup, kept as actors start and
    /// stop (entities activated without a group are not counted).
    pub fn resident_in(&self, group: &E::Group) -> usize {
        self.inner.census.resident_in(group)
    }

    /// Every id [`Runtime::is_resident`] holds resident, in one pass over the registry
    /// (as many as are resident, not more).
    pub fn resident_ids(&self) -> Vec<E::Id> {
        self.ids_where(|_, slot| live(slot))
    }

    /// Every id [`Runtime::is_failed`] holds failed: as many as there are, whatever the
    /// resident set.
    pub fn failed_ids(&self) -> Vec<E::Id> {
        self.inner.census.failed()
    }

    /// The settings in force.
    pub fn config(&self) -> RuntimeConfig {
        RuntimeConfig::clone(&self.inner.tuning.load())
    }

    /// Replaces the settings while the runtime runs. Each applies from its next use: a
    /// mailbox bound to the next call, the throttle interval to the next cycle, the
    /// restart policy to the next failure; a lower `max_resident` passivates the least
    /// recently used down to it at `passivations_per_second`, a shorter idle timeout
    /// at the sweeper's next pass (woken now).
    pub fn reconfigure(&self, config: RuntimeConfig) {
        self.inner.tuning.store(Arc::new(config));
        self.inner.over_cap.notify_one();
    }

    /// Activations, passivations, restarts and throttled calls since the start.
    pub fn counts(&self) -> Counts {
        self.inner.counters.read()
    }

    /// The most recent restarts and failures, oldest first.
    pub fn incidents(&self) -> Vec<Incident> {
        self.inner.incidents.recent()
    }

    /// The `n` resident entities with the most calls queued, deepest first (entities
    /// with none queued left out).
    pub fn deepest_mailboxes(&self, n: usize) -> Vec<(E::Id, usize)> {
        let mut queued: Vec<(E::Id, usize)> = self
            .inner
            .slots
            .iter()
            .map(|e| (e.key().clone(), e.value().mailbox.depth()))
            .filter(|(_, depth)| *depth > 0)
            .collect();
        queued.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        queued.truncate(n);
        queued
    }

    /// Drain: refuses new calls, lets queued ones finish, passivates every actor (their
    /// snapshots written), then stops the supervisor. Nothing is dropped.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.closing.store(true, Ordering::Release);
        inner.stopped.notify_waiters();
        inner.passivate_all(self.ids_where(|_, _| true)).await;
        // Passivated actors stop asynchronously: wait until the last one has.
        while inner.resident.load(Ordering::Acquire) > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if let Some(supervisor) = inner.supervisor.get() {
            supervisor.stop(Some("drained".into()));
        }
    }
}

impl<E: Entity, J: Journal<E>> Inner<E, J> {
    pub(crate) fn supervisor_cell(&self) -> Option<ActorCell> {
        self.supervisor.get().map(|s| s.get_cell())
    }

    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn idle_for(&self, slot: &Slot<E, J>) -> Duration {
        let last = slot.last_used.load(Ordering::Relaxed);
        Duration::from_millis(self.now_ms().saturating_sub(last))
    }

    /// Passivates `ids`, `drain_concurrency` at a time.
    async fn passivate_all(self: &Arc<Self>, ids: Vec<E::Id>) {
        let concurrency = self.tuning.load().drain_concurrency.max(1);
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let inner = self.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire().await;
                inner.passivate(&id).await;
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Snapshot and stop `id`'s actor if it is live. Holds the slot's mutex throughout,
    /// so no call can slip in between the snapshot and the stop.
    pub(crate) async fn passivate(&self, id: &E::Id) {
        let Some(slot) = self.slots.get(id).map(|s| s.clone()) else {
            return;
        };
        let mut state = slot.state.lock().await;
        if let SlotState::Live(actor, _) = &*state {
            let (done, wait) = oneshot::channel();
            if actor.send_message(Msg::Passivate { done }).is_ok() {
                let _ = wait.await;
            }
            self.set(id, &mut state, SlotState::Empty);
        }
        drop(state);
        drop(slot);
        self.forget_if_empty(id);
    }
}

/// A slot with a live actor; one whose lock is held is being activated or passivated
/// and counts as live.
fn live<E: Entity, J: Journal<E>>(slot: &Slot<E, J>) -> bool {
    slot.state
        .try_lock()
        .map_or(true, |s| matches!(*s, SlotState::Live(..)))
}

/// A slot failed for good, until an explicit restart.
fn failed<E: Entity, J: Journal<E>>(slot: &Slot<E, J>) -> bool {
    slot.state
        .try_lock()
        .is_ok_and(|s| matches!(*s, SlotState::Failed))
}
