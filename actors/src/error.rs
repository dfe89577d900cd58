//! Why a call did not get the entity's reply.

/// A failed call. `E` is the entity's refusal, `J` the journal's error.
#[derive(Debug, thiserror::Error)]
pub enum CallError<E, J> {
    /// The entity refused the command.
    #[error("refused by the entity")]
    Entity(E),
    /// Loading or persisting failed; the actor restarts from durable state.
    #[error("journal: {0}")]
    Journal(J),
    /// The actor's mailbox is full: retry later.
    #[error("the entity is overloaded")]
    Overloaded,
    /// The entity kept failing and waits for an explicit restart.
    #[error("the entity failed and waits for an explicit restart")]
    Failed,
    /// The actor stopped while the call waited (it crashed and is being restarted).
    #[error("the entity's actor stopped during the call")]
    Interrupted,
    /// The runtime is draining.
    #[error("shutting down")]
    ShuttingDown,
}
