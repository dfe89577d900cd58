//! Why a turn or a restore is refused.

/// A turn the instance refuses; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceError {
    #[error("the instance is stopped")]
    Stopped,
    #[error("the instance reached its cycle cap of {cap} (at {count})")]
    CycleCapReached { cap: u64, count: u64 },
}

impl InstanceError {
    /// `details.reason` of the 409 answer.
    pub fn reason(&self) -> &'static str {
        match self {
            InstanceError::Stopped => "instance_stopped",
            InstanceError::CycleCapReached { .. } => "cycle_cap_reached",
        }
    }
}

/// Stored data that does not rebuild into an instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    #[error("history has a gap: expected seq {expected}, found {found}")]
    Gap { expected: u64, found: u64 },
    #[error("replay diverged from the recorded state at seq {seq}")]
    Diverged { seq: u64 },
}
