//! What an actor hosts.

use std::fmt::{Debug, Display};
use std::hash::Hash;
use std::time::SystemTime;

/// A state machine hosted by one actor. Every method runs inside that actor, one call at
/// a time, so it needs no synchronisation of its own.
pub trait Entity: Send + Sized + 'static {
    /// How the runtime finds the entity.
    type Id: Clone + Eq + Hash + Ord + Display + Debug + Send + Sync + 'static;
    /// What the runtime counts resident entities by (an instance's account):
    /// [`crate::Runtime::resident_in`].
    type Group: Clone + Eq + Hash + Send + Sync + 'static;
    type Command: Send + 'static;
    type Reply: Send + 'static;
    /// A refusal by the entity itself (unknown caller, stopped, …): answered, nothing
    /// persisted, the actor keeps running.
    type Error: Send + 'static;
    /// What a turn must make durable before its reply (history rows, a snapshot).
    type Effect: Send + 'static;

    /// The entity's own id (the actor keeps no second copy of it).
    fn id(&self) -> &Self::Id;

    /// The group the entity counts in while resident, read once at activation; `None`
    /// counts it in none (a stopped instance, which no list of resident ones shows).
    fn group(&self) -> Option<Self::Group>;

    /// Checks a command before anything else (ownership, state); `Ok(true)` marks a
    /// *cycle* command, which is subject to the throttle.
    fn admit(&self, command: &Self::Command) -> Result<bool, Self::Error>;

    /// The reply to a cycle command refused by the throttle: the unchanged state.
    fn throttled(&self, command: Self::Command) -> Self::Reply;

    /// Applies a command. The returned effect is persisted before the reply is sent; if
    /// persisting fails, the in-memory change is discarded with the actor.
    fn handle(
        &mut self,
        command: Self::Command,
        now: SystemTime,
    ) -> Result<Outcome<Self::Reply, Self::Effect>, Self::Error>;

    /// The effect that makes the current state durable when the actor passivates.
    fn passivate(&mut self) -> Option<Self::Effect>;

    /// Wall time of the newest cycle, so that a freshly activated actor still throttles
    /// a call that comes too soon after the previous activation's last cycle.
    fn last_cycle_at(&self) -> Option<SystemTime>;
}

/// A handled command: the reply, and what must be persisted first.
pub struct Outcome<R, F> {
    pub reply: R,
    pub effect: Option<F>,
    /// True for a cycle command that consumed the throttle's interval.
    pub cycled: bool,
}
