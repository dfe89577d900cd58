//! The actor that hosts one entity: admit, throttle, handle, persist, reply.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwap;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::config::RuntimeConfig;
use crate::entity::Entity;
use crate::error::CallError;
use crate::journal::Journal;
use crate::mailbox::Permit;
use crate::observe::Counters;
use crate::registry::Slot;
use crate::throttle::Throttle;

pub(crate) type CallResult<E, J> =
    Result<<E as Entity>::Reply, CallError<<E as Entity>::Error, <J as Journal<E>>::Error>>;

pub(crate) enum Msg<E: Entity, J: Journal<E>> {
    Call {
        command: E::Command,
        reply: oneshot::Sender<CallResult<E, J>>,
        _permit: Permit<Slot<E, J>>,
    },
    /// Persist the state and stop; `done` fires once the snapshot is durable.
    Passivate { done: oneshot::Sender<()> },
}

/// The actor's behaviour; all data is in [`Hosted`].
pub(crate) struct InstanceActor<E, J>(PhantomData<fn() -> (E, J)>);

impl<E, J> InstanceActor<E, J> {
    pub(crate) fn new() -> Self {
        InstanceActor(PhantomData)
    }
}

pub(crate) struct Hosted<E: Entity, J: Journal<E>> {
    pub(crate) entity: E,
    pub(crate) journal: Arc<J>,
    pub(crate) throttle: Throttle,
    pub(crate) tuning: Arc<ArcSwap<RuntimeConfig>>,
    pub(crate) counters: Arc<Counters>,
}

impl<E: Entity, J: Journal<E>> Actor for InstanceActor<E, J> {
    type Msg = Msg<E, J>;
    type State = Hosted<E, J>;
    type Arguments = Hosted<E, J>;

    async fn pre_start(
        &self,
        _: ActorRef<Self::Msg>,
        hosted: Hosted<E, J>,
    ) -> Result<Hosted<E, J>, ActorProcessingErr> {
        Ok(hosted)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Hosted<E, J>,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            Msg::Call { command, reply, .. } => {
                // Boxed: the actor's task keeps only a pointer to the turn's future, so
                // an idle actor does not carry the largest journal future inline.
                let result = Box::pin(state.apply(command)).await;
                match result {
                    Ok(reply_value) => {
                        let _ = reply.send(Ok(reply_value));
                        Ok(())
                    }
                    Err(Failure::Refused(e)) => {
                        let _ = reply.send(Err(e));
                        Ok(())
                    }
                    // The state in memory may be ahead of storage now: answer, then fail
                    // so that the supervisor rebuilds the entity from durable state.
                    Err(Failure::NotPersisted(e)) => {
                        let message = format!("persisting {} failed: {e}", state.entity.id());
                        let _ = reply.send(Err(CallError::Journal(e)));
                        Err(message.into())
                    }
                }
            }
            Msg::Passivate { done } => {
                // Boxed with the effect inside, in a statement of its own: as the scrutinee
                // of an `if let` around the await, the effect (an `Append`, about 400
                // bytes) was kept inline in every actor's task, idle or not (0.8 KiB per
                // resident instance, BENCHMARKS.md).
                let persisting = state
                    .entity
                    .passivate()
                    .map(|effect| Box::pin(state.journal.persist(state.entity.id(), effect)));
                if let Some(persisting) = persisting
                    && let Err(e) = persisting.await
                {
                    // Every cycle is already durable: only replay after activation grows.
                    tracing::warn!(id = %state.entity.id(), error = %e, "snapshot at passivation failed");
                }
                state.counters.passivated();
                myself.stop(Some("passivated".into()));
                let _ = done.send(());
                Ok(())
            }
        }
    }
}

enum Failure<E: Entity, J: Journal<E>> {
    Refused(CallError<E::Error, J::Error>),
    NotPersisted(J::Error),
}

impl<E: Entity, J: Journal<E>> Hosted<E, J> {
    async fn apply(&mut self, command: E::Command) -> Result<E::Reply, Failure<E, J>> {
        let is_cycle = self
            .entity
            .admit(&command)
            .map_err(|e| Failure::Refused(CallError::Entity(e)))?;
        let now = Instant::now();
        if is_cycle
            && !self
                .throttle
                .allows(now, self.tuning.load().throttle_interval)
        {
            self.counters.throttled();
            return Ok(self.entity.throttled(command));
        }
        let outcome = self
            .entity
            .handle(command, SystemTime::now())
            .map_err(|e| Failure::Refused(CallError::Entity(e)))?;
        if let Some(effect) = outcome.effect {
            self.journal
                .persist(self.entity.id(), effect)
                .await
                .map_err(Failure::NotPersisted)?;
        }
        if outcome.cycled {
            self.throttle.record(now);
        }
        Ok(outcome.reply)
    }
}
