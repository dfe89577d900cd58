//! The supervisor: restarts failed entity actors from their journal.
//!
//! ractor reports a panic or an error in a child's handler to the supervisor as
//! `ActorFailed`; its default handler would stop the supervisor itself (and with it
//! every entity), so it is overridden here. ractor has no restart strategies: the
//! restart is ours — reload from durable state, under [`RestartPolicy`]: immediate
//! restarts up to `max_restarts` within `window`, then one after `backoff`, then the
//! entity is marked failed and refuses calls until `Runtime::restart`. Other entities are
//! untouched throughout.
//!
//! [`RestartPolicy`]: crate::RestartPolicy

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use tokio::time::Instant;

use crate::entity::Entity;
use crate::incidents::IncidentKind;
use crate::journal::Journal;
use crate::observe;
use crate::registry::{Slot, SlotState};
use crate::runtime::Inner;

pub(crate) struct Supervisor<E: Entity, J: Journal<E>>(Weak<Inner<E, J>>);

impl<E: Entity, J: Journal<E>> Supervisor<E, J> {
    pub(crate) fn new(inner: Weak<Inner<E, J>>) -> Self {
        Supervisor(inner)
    }
}

/// What to do about one more failure.
enum Decision {
    Now,
    AfterBackoff,
    GiveUp,
}

impl<E: Entity, J: Journal<E>> Actor for Supervisor<E, J> {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<()>, _: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _: ActorRef<()>,
        event: SupervisionEvent,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        let Some(inner) = self.0.upgrade() else {
            return Ok(());
        };
        match event {
            SupervisionEvent::ActorTerminated(..) => inner.child_gone(),
            SupervisionEvent::ActorFailed(cell, error) => {
                inner.child_gone();
                let actor = cell.get_id();
                tokio::spawn(async move { inner.recover(actor, error.to_string()).await });
            }
            _ => {}
        }
        Ok(())
    }
}

impl<E: Entity, J: Journal<E>> Inner<E, J> {
    /// Bookkeeping when a child actor stops for any reason (every child is an entity).
    fn child_gone(&self) {
        let resident = self
            .resident
            .fetch_sub(1, Ordering::AcqRel)
            .saturating_sub(1);
        metrics::gauge!(observe::ACTIVE).set(resident as f64);
    }

    /// The slot whose live actor is `actor`. Failures are rare, so a scan is cheaper
    /// than keeping an actor → id map for every resident entity (memory per resident
    /// entity is the scarce resource). A slot busy at the moment is checked after the
    /// scan, under its lock.
    async fn slot_of(&self, actor: ractor::ActorId) -> Option<(E::Id, Arc<Slot<E, J>>)> {
        let mut busy = Vec::new();
        for entry in self.slots.iter() {
            match entry.value().state.try_lock() {
                Ok(state) => {
                    if matches!(&*state, SlotState::Live(a, _) if a.get_id() == actor) {
                        return Some((entry.key().clone(), entry.value().clone()));
                    }
                }
                Err(_) => busy.push((entry.key().clone(), entry.value().clone())),
            }
        }
        for (id, slot) in busy {
            let live =
                matches!(&*slot.state.lock().await, SlotState::Live(a, _) if a.get_id() == actor);
            if live {
                return Some((id, slot));
            }
        }
        None
    }

    /// Applies the restart policy after entity actor `failed` failed.
    async fn recover(&self, failed: ractor::ActorId, error: String) {
        let Some((id, slot)) = self.slot_of(failed).await else {
            return; // Already replaced (explicit restart), passivated or evicted.
        };
        tracing::error!(%id, %error, "entity actor failed; restarting from durable state");
        let mut state = slot.state.lock().await;
        if !matches!(&*state, SlotState::Live(a, _) if a.get_id() == failed) {
            return;
        }
        let policy = self.tuning.load().restart.clone();
        match self.decide(&id, &policy) {
            Decision::Now => {
                self.incidents
                    .record(id.to_string(), IncidentKind::Restarted, &error);
                let next = self.restarted(&id).await;
                self.set(&id, &mut state, next);
            }
            Decision::AfterBackoff => {
                self.incidents
                    .record(id.to_string(), IncidentKind::BackingOff, &error);
                self.set(&id, &mut state, SlotState::Backoff);
                drop(state);
                tokio::time::sleep(policy.backoff).await;
                let mut state = slot.state.lock().await;
                if matches!(*state, SlotState::Backoff) {
                    let next = self.restarted(&id).await;
                    self.set(&id, &mut state, next);
                }
            }
            Decision::GiveUp => {
                tracing::error!(%id, "entity keeps failing; marked failed until an explicit restart");
                self.incidents
                    .record(id.to_string(), IncidentKind::MarkedFailed, &error);
                self.set(&id, &mut state, SlotState::Failed);
            }
        }
    }

    /// A fresh actor for `id`, or an empty slot (the next call retries) if loading fails.
    async fn restarted(&self, id: &E::Id) -> SlotState<E, J> {
        self.counters.restarted();
        match self.activate(id).await {
            Ok((actor, group)) => SlotState::Live(actor, group),
            Err(e) => {
                tracing::warn!(%id, error = %e, "restart failed; the next call retries");
                SlotState::Empty
            }
        }
    }

    fn decide(&self, id: &E::Id, policy: &crate::RestartPolicy) -> Decision {
        let now = Instant::now();
        let mut failures = self.failures.entry(id.clone()).or_default();
        while failures
            .front()
            .is_some_and(|t| now.duration_since(*t) > policy.window)
        {
            failures.pop_front();
        }
        failures.push_back(now);
        let count = failures.len() as u64;
        let max = u64::from(policy.max_restarts);
        if count <= max {
            Decision::Now
        } else if count == max + 1 {
            Decision::AfterBackoff
        } else {
            Decision::GiveUp
        }
    }
}
