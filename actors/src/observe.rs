//! Metric names of the runtime (recorded through the `metrics` facade; the server
//! installs the Prometheus exporter).

pub(crate) const ACTIVE: &str = "identity_os_actors_active";
pub(crate) const ACTIVATIONS: &str = "identity_os_actor_activations_total";
pub(crate) const PASSIVATIONS: &str = "identity_os_actor_passivations_total";
pub(crate) const RESTARTS: &str = "identity_os_actor_restarts_total";
pub(crate) const THROTTLED: &str = "identity_os_throttled_calls_total";
