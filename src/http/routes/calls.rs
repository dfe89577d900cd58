//! Calling an instance's actor from a handler, and what its failures mean to clients.

use actors::CallError;

use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::error::ApiError;
use crate::ids::InstanceId;
use crate::instance::{Command, Refusal, Reply};
use crate::store::StoreError;

/// The runtime hosting instances.
pub type Instances = actors::Runtime<crate::instance::Instance, crate::instance::StoreJournal>;

/// Sends `command` to instance `id` and maps every failure to the envelope.
pub async fn call(state: &AppState, id: &InstanceId, command: Command) -> Result<Reply, ApiError> {
    state.instances.call(id, command).await.map_err(call_error)
}

pub fn call_error(e: CallError<Refusal, StoreError>) -> ApiError {
    match e {
        CallError::Entity(Refusal::NotFound) => ApiError::not_found("instance"),
        CallError::Entity(Refusal::Instance(e)) => e.into(),
        CallError::Journal(e) => e.into(),
        CallError::Overloaded => {
            ApiError::unavailable("the instance has too many requests queued; retry shortly")
        }
        CallError::Failed => ApiError::unavailable(
            "the instance keeps failing; POST /v1/instances/{id}/restart brings it back",
        ),
        CallError::Interrupted => {
            ApiError::unavailable("the instance is restarting; retry shortly")
        }
        CallError::ShuttingDown => ApiError::unavailable("the server is shutting down"),
    }
}

/// The read command of the caller's account.
pub fn read(account: &Account) -> Command {
    Command::Read {
        account: account.id.clone(),
    }
}
