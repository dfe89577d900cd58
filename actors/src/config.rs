//! Tuning of the runtime. The server maps its `[actors]` config section onto this, at
//! start and on every reload.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeConfig {
    /// Least time between two cycle commands of one entity; a cycle command inside it
    /// gets the entity's throttled reply.
    pub throttle_interval: Duration,
    /// An actor without calls for this long is passivated.
    pub idle_timeout: Duration,
    /// Most actors resident at once; beyond it the least recently used are passivated
    /// (down to 99 % of the cap, so that eviction scans are rare).
    pub max_resident: usize,
    /// Most passivations per second when the resident set is over the cap.
    pub passivations_per_second: u32,
    /// Calls queued per actor before callers get `Overloaded` at once.
    pub mailbox_capacity: usize,
    /// What happens when an actor fails.
    pub restart: RestartPolicy,
    /// How many actors passivate at once during a drain (and, paced, over the cap).
    pub drain_concurrency: usize,
}

/// Supervision: up to `max_restarts` immediate restarts within `window`; the next
/// failure waits `backoff` before restarting; a failure after that marks the entity
/// failed until [`Runtime::restart`](crate::Runtime::restart).
#[derive(Debug, Clone, PartialEq)]
pub struct RestartPolicy {
    pub max_restarts: u32,
    pub window: Duration,
    pub backoff: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            throttle_interval: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(300),
            max_resident: 100_000,
            passivations_per_second: 5000,
            mailbox_capacity: 1024,
            restart: RestartPolicy {
                max_restarts: 3,
                window: Duration::from_secs(60),
                backoff: Duration::from_secs(1),
            },
            drain_concurrency: 64,
        }
    }
}
