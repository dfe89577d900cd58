//! Test cases, by endpoint group.

mod errors;
mod keys;
mod ops;
mod personas;

pub use errors::every_failure_uses_the_envelope;
pub use keys::keys_are_managed_from_the_command_line;
pub use ops::{operations_routes_answer, shutdown_on_sigterm_is_graceful};
pub use personas::{personas_are_the_documented_twelve, the_questionnaire_is_served};
