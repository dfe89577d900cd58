//! What scenarios share: the mix workload (`mix.rs`), observations, the checks of a cycle
//! answer, and the instance pool's setup.

pub mod mix;

use serde_json::Value;

use crate::client::{Call, Client};
use crate::each::each;

pub const MODES: [&str; 7] = [
    "PERCEPTION",
    "EXPLORATION",
    "ORDER",
    "ASSERTION",
    "CONNECTION",
    "IDENTITY",
    "STRESS_RESPONSE",
];

/// A varied observation for request `n`.
pub fn observation(n: u64) -> String {
    format!(
        r#"{{"mode_target":"{}","signal_strength":{},"confidence":0.9}}"#,
        MODES[(n % 7) as usize],
        (n % 10) as f64 / 10.0
    )
}

/// Creates `count` instances (64 at a time) before a run; returns their ids.
pub async fn create_instances(client: &Client, count: usize) -> Result<Vec<String>, String> {
    create_pool(client, count, None).await
}

/// Up to `count` of the account's existing instances, newest first (by cursor pages).
pub async fn existing_instances(client: &Client, count: usize) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < count {
        let path = match &cursor {
            Some(c) => format!("/v1/instances?limit=100&cursor={c}"),
            None => "/v1/instances?limit=100".to_owned(),
        };
        let body = crate::workload::ok_json(&client.send(&Call::get(path)).await?, 200)?;
        let page = body["data"].as_array().cloned().unwrap_or_default();
        ids.extend(
            page.iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .take(count - ids.len()),
        );
        match body["pagination"]["next_cursor"].as_str() {
            Some(next) if !page.is_empty() => cursor = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(ids)
}

/// Creates `count` instances (64 at a time), from `persona` if one is named.
pub async fn create_pool(
    client: &Client,
    count: usize,
    persona: Option<&str>,
) -> Result<Vec<String>, String> {
    let persona = persona.map_or(String::new(), |p| {
        format!(r#","persona":{}"#, serde_json::json!(p))
    });
    each(0..count, 64, |k| {
        let client = client.clone();
        let call = Call::post(
            "/v1/instances",
            format!(r#"{{"name":"loadtest-{k}"{persona}}}"#),
        );
        async move {
            let body = crate::workload::ok_json(&client.send(&call).await?, 201)?;
            body["data"]["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| "no data.id in the created instance".to_owned())
        }
    })
    .await
}

/// Reads every instance once, so that the measured run finds them resident: first
/// activations are what the `activation` scenario measures, not steady load.
pub async fn warm(client: &Client, ids: &[String]) -> Result<(), String> {
    each(ids, 64, |id| {
        let client = client.clone();
        let call = Call::get(format!("/v1/instances/{id}/snapshot"));
        async move { crate::workload::ok_json(&client.send(&call).await?, 200).map(|_| ()) }
    })
    .await
    .map(|_| ())
}

/// Checks a cycle answer (`process`, or one state of a batch): a snapshot with a cycle,
/// and a contract whose allowed and forbidden actions do not overlap.
pub fn check_cycle(data: &Value) -> Result<(), String> {
    if !data["snapshot"]["cycle"].is_u64() {
        return Err("no snapshot.cycle".into());
    }
    let allowed = data["contract"]["allowed_actions"]
        .as_array()
        .ok_or("no contract.allowed_actions")?;
    let forbidden = data["contract"]["forbidden_actions"]
        .as_array()
        .ok_or("no contract.forbidden_actions")?;
    if allowed.iter().any(|a| forbidden.contains(a)) {
        return Err("an action is both allowed and forbidden".into());
    }
    if !data["drift"]["level"].is_string() {
        return Err("no drift.level".into());
    }
    Ok(())
}

/// `cycle` or `throttled`, from an answer's `throttled` flag.
pub fn cycle_tag(data: &Value) -> Result<&'static str, String> {
    match data["throttled"].as_bool() {
        Some(true) => Ok("throttled"),
        Some(false) => Ok("cycle"),
        None => Err("no throttled flag".into()),
    }
}
