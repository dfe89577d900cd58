//! `GET /admin/actors`: the resident set against its cap, activity rates, the deepest
//! mailboxes, recent supervision incidents and the policy in force.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::Admin;
use super::sampler::Rates;
use crate::timestamp::Timestamp;

/// Mailboxes listed.
const DEEPEST: usize = 10;
/// The span rates are measured over.
const RATE_SECS: usize = 10;

/// `{"data": …}`, as the API answers.
#[derive(Serialize)]
pub struct Data<T> {
    data: T,
}

impl<T> Data<T> {
    pub fn of(data: T) -> Data<T> {
        Data { data }
    }
}

#[derive(Serialize)]
pub struct ActorsView {
    pub resident: usize,
    pub max_resident: usize,
    /// Per second over the last 10 seconds.
    pub rates: Rates,
    pub mailbox_capacity: usize,
    pub deepest_mailboxes: Vec<Mailbox>,
    /// Newest first.
    pub incidents: Vec<IncidentView>,
    /// Instances now refusing calls until a restart.
    pub failed: Vec<String>,
    pub idle_timeout_ms: u64,
    pub passivations_per_second: u32,
    pub restart_policy: PolicyView,
}

#[derive(Serialize)]
pub struct Mailbox {
    pub id: String,
    pub queued: usize,
}

#[derive(Serialize)]
pub struct IncidentView {
    pub id: String,
    pub kind: &'static str,
    pub reason: String,
    pub at: String,
}

#[derive(Serialize)]
pub struct PolicyView {
    pub restart_max: u32,
    pub restart_window_ms: u64,
    pub restart_backoff_ms: u64,
}

pub async fn show(State(admin): State<Admin>) -> Json<Data<ActorsView>> {
    Json(Data::of(view(&admin)))
}

pub fn view(admin: &Admin) -> ActorsView {
    let instances = &admin.app.instances;
    let config = instances.config();
    let incidents: Vec<IncidentView> = instances
        .incidents()
        .into_iter()
        .rev()
        .map(|i| IncidentView {
            kind: i.kind.as_str(),
            at: Timestamp::from(i.at).to_rfc3339(),
            id: i.id,
            reason: i.reason,
        })
        .collect();
    let mut failed: Vec<String> = incidents
        .iter()
        .filter(|i| i.kind == actors::IncidentKind::MarkedFailed.as_str())
        .filter_map(|i| crate::ids::InstanceId::parse(&i.id).ok())
        .filter(|id| instances.is_failed(id))
        .map(|id| id.to_string())
        .collect();
    failed.sort_unstable();
    failed.dedup();
    ActorsView {
        resident: instances.resident_count(),
        max_resident: config.max_resident,
        rates: admin.sampler.rates(RATE_SECS),
        mailbox_capacity: config.mailbox_capacity,
        deepest_mailboxes: instances
            .deepest_mailboxes(DEEPEST)
            .into_iter()
            .map(|(id, queued)| Mailbox {
                id: id.to_string(),
                queued,
            })
            .collect(),
        incidents,
        failed,
        idle_timeout_ms: u64::try_from(config.idle_timeout.as_millis()).unwrap_or(u64::MAX),
        passivations_per_second: config.passivations_per_second,
        restart_policy: PolicyView {
            restart_max: config.restart.max_restarts,
            restart_window_ms: u64::try_from(config.restart.window.as_millis()).unwrap_or(u64::MAX),
            restart_backoff_ms: u64::try_from(config.restart.backoff.as_millis())
                .unwrap_or(u64::MAX),
        },
    }
}
