//! The supervision log: the most recent restarts and failures, with their reasons, for
//! operators (the server's admin port). Bounded, newest last.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

/// How many incidents are kept.
const KEPT: usize = 100;

/// What the supervisor did about a failed actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentKind {
    /// Restarted from durable state at once.
    Restarted,
    /// Failed too often within the window: restarting after the backoff.
    BackingOff,
    /// Failed again after the backoff: refuses calls until an explicit restart.
    MarkedFailed,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Restarted => "restarted",
            IncidentKind::BackingOff => "backing_off",
            IncidentKind::MarkedFailed => "marked_failed",
        }
    }
}

/// One supervision event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// The entity's id, as it displays.
    pub id: String,
    pub kind: IncidentKind,
    /// The failure that caused it (the panic message or the handler's error).
    pub reason: String,
    pub at: SystemTime,
}

#[derive(Default)]
pub(crate) struct Incidents {
    recent: Mutex<VecDeque<Incident>>,
}

impl Incidents {
    pub(crate) fn record(&self, id: String, kind: IncidentKind, reason: &str) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(Incident {
            id,
            kind,
            reason: reason.to_owned(),
            at: SystemTime::now(),
        });
    }

    pub(crate) fn recent(&self) -> Vec<Incident> {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}
