//! Where entities come from and where their effects go.

use std::fmt::Display;
use std::future::Future;

use crate::entity::Entity;

/// Durable storage of entities. Implemented by the server's store; the runtime only
/// ever calls it from the entity's own actor (or while activating it), so calls for one
/// id never overlap.
pub trait Journal<E: Entity>: Send + Sync + 'static {
    type Error: Display + Send + Sync + 'static;

    /// Rebuilds the entity from durable state (for the server: newest snapshot plus the
    /// history after it).
    fn load(&self, id: &E::Id) -> impl Future<Output = Result<E, Self::Error>> + Send;

    /// Makes an effect durable; returns only once it is.
    fn persist(
        &self,
        id: &E::Id,
        effect: E::Effect,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
