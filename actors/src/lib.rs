//! An actor-per-entity runtime on `ractor`.
//!
//! Each entity (an identity instance, for the server) lives in one actor that owns its
//! state and handles its messages one at a time. The runtime knows nothing of HTTP, SQL
//! or the identity engine: it hosts any [`Entity`] and persists through any [`Journal`].
//!
//! - **Single activation**: the registry holds one slot per id behind an async mutex,
//!   so however many calls arrive for a passivated id at once, one of them loads it and
//!   the others wait for that actor (`registry.rs`).
//! - **Serialization and the throttle**: commands reach the actor's mailbox in arrival
//!   order and are applied one at a time; cycle commands are throttled inside the actor
//!   against a monotonic clock, so the throttle holds under any concurrency
//!   (`throttle.rs`).
//! - **Durability**: a turn's effect is persisted before its reply is sent; if that
//!   fails, the caller gets the error and the actor restarts from durable state.
//! - **Supervision**: actors are linked to a supervisor that restarts a failed entity
//!   from its journal under a restart policy, then backs off, then marks it failed until
//!   an explicit restart (`supervisor.rs`). Other entities never notice.
//! - **Passivation**: idle actors, and the least recently used ones beyond the resident
//!   cap, are snapshotted through the journal and stopped (`passivation.rs`).
//! - **Bounded mailboxes**: ractor's mailboxes are unbounded, so each slot counts its
//!   queued calls and refuses beyond a capacity at once (`mailbox.rs`).
//! - **Drain**: [`Runtime::shutdown`] refuses new calls and passivates every actor.
//! - **Live settings**: [`Runtime::reconfigure`] replaces the settings while actors run;
//!   each reader takes the setting at its next use, so nothing in flight is disturbed.

mod census;
mod config;
mod entity;
mod error;
mod incidents;
mod instance_actor;
mod journal;
mod mailbox;
mod observe;
mod passivation;
mod registry;
mod runtime;
mod supervisor;
mod throttle;

pub use config::{RestartPolicy, RuntimeConfig};
pub use entity::{Entity, Outcome};
pub use error::CallError;
pub use incidents::{Incident, IncidentKind};
pub use journal::Journal;
pub use observe::Counts;
pub use runtime::Runtime;
