//! The request kinds a scenario mixes, each with the call it sends and the check every
//! answer must pass (its status and its body's shape, not only a 2xx).

use serde_json::Value;

use crate::client::{Answer, Call};
use crate::scenarios::{check_cycle, cycle_tag, observation};
use crate::workload::ok_json;

/// A kind of request, as scenario files name it in `[mix]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Process,
    Batch,
    Snapshot,
    Contract,
    History,
    Drift,
    List,
    Get,
    Create,
    Reset,
    /// `POST /stop` then, on the instance's next turn, `POST /start`: the pair leaves it
    /// running (a process call in between gets 409, which its check accepts).
    StopStart,
    /// `POST /v1/test/submit` with a complete questionnaire.
    TestSubmit,
}

/// What a call needs besides its kind.
pub struct Target<'a> {
    /// The instance it concerns (kinds on no instance ignore it).
    pub id: &'a str,
    /// The request's number in the run (varies observations and names).
    pub n: u64,
    /// Observations per batch.
    pub batch_size: u64,
    /// The stop/start pair's half: true stops.
    pub stop: bool,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Process,
        Kind::Batch,
        Kind::Snapshot,
        Kind::Contract,
        Kind::History,
        Kind::Drift,
        Kind::List,
        Kind::Get,
        Kind::Create,
        Kind::Reset,
        Kind::StopStart,
        Kind::TestSubmit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Process => "process",
            Kind::Batch => "batch",
            Kind::Snapshot => "snapshot",
            Kind::Contract => "contract",
            Kind::History => "history",
            Kind::Drift => "drift",
            Kind::List => "list",
            Kind::Get => "get",
            Kind::Create => "create",
            Kind::Reset => "reset",
            Kind::StopStart => "stop_start",
            Kind::TestSubmit => "test_submit",
        }
    }

    /// Whether the kind needs an instance of the pool.
    pub fn needs_instance(self) -> bool {
        !matches!(self, Kind::Create | Kind::List | Kind::TestSubmit)
    }

    pub fn call(self, t: &Target<'_>) -> Call {
        let (id, n) = (t.id, t.n);
        let on = |rest: &str| format!("/v1/instances/{id}{rest}");
        match self {
            Kind::Process => Call::post(on("/process"), observation(n)),
            Kind::Batch => {
                let observations: Vec<String> =
                    (0..t.batch_size).map(|k| observation(n + k)).collect();
                Call::post(
                    on("/process/batch"),
                    format!(r#"{{"observations":[{}]}}"#, observations.join(",")),
                )
            }
            Kind::Snapshot => Call::get(on("/snapshot")),
            Kind::Contract => Call::get(on("/contract")),
            Kind::History => Call::get(on("/history?limit=20")),
            Kind::Drift => Call::get(on("/drift?limit=20")),
            Kind::List => Call::get("/v1/instances?limit=20"),
            Kind::Get => Call::get(on("")),
            // An instance per end user, as a product's accounts have them: 100 000 users,
            // so `user=` filters find a few instances each.
            Kind::Create => Call::post(
                "/v1/instances",
                format!(r#"{{"name":"loadtest-{n}","user":"u-{}"}}"#, n % 100_000),
            ),
            Kind::Reset => Call::post(on("/reset"), r#"{"mode":"default"}"#),
            Kind::StopStart if t.stop => Call::post(on("/stop"), ""),
            Kind::StopStart => Call::post(on("/start"), ""),
            Kind::TestSubmit => Call::post("/v1/test/submit", questionnaire(n)),
        }
    }

    /// Checks an answer to `call`; `Ok(tag)` counts it under `tag`.
    pub fn check(
        self,
        call: &Call,
        answer: &Answer,
        batch_size: u64,
    ) -> Result<&'static str, String> {
        // A stop/start pair in the mix makes any call on its instance meet a stopped one
        // now and then; engine calls answer that 409.
        if answer.status.as_u16() == 409
            && matches!(self, Kind::Process | Kind::Batch | Kind::Reset)
        {
            let body = answer.json()?;
            return match body["error"].as_str() {
                Some("conflict") => Ok("stopped"),
                _ => Err(format!("409 without the conflict code: {body}")),
            };
        }
        let path = call.path.as_str();
        match self {
            Kind::Process => {
                let body = ok_json(answer, 200)?;
                let data = &body["data"];
                check_cycle(data)?;
                same_instance(path, &data["snapshot"]["instance_id"])?;
                cycle_tag(data)
            }
            Kind::Batch => {
                let body = ok_json(answer, 200)?;
                let data = &body["data"];
                check_cycle(data)?;
                let tag = cycle_tag(data)?;
                let expected = if tag == "cycle" { batch_size } else { 0 };
                if data["processed_count"].as_u64() != Some(expected) {
                    return Err(format!("processed_count is not {expected}"));
                }
                Ok(tag)
            }
            Kind::Snapshot => {
                let body = ok_json(answer, 200)?;
                same_instance(path, &body["data"]["instance_id"])?;
                shaped(body["data"]["mode_strengths"].is_object(), path)
            }
            Kind::Contract => {
                let body = ok_json(answer, 200)?;
                shaped(body["data"]["allowed_actions"].is_array(), path)
            }
            Kind::History | Kind::Drift | Kind::List => {
                let body = ok_json(answer, 200)?;
                shaped(
                    body["data"].is_array() && body["pagination"]["total"].is_u64(),
                    path,
                )
            }
            Kind::Get => {
                let body = ok_json(answer, 200)?;
                same_instance(path, &body["data"]["id"])?;
                Ok("read")
            }
            Kind::Create => {
                let body = ok_json(answer, 201)?;
                let name = body["data"]["name"].as_str().unwrap_or_default();
                if !body["data"]["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("inst_"))
                {
                    return Err("no instance id".into());
                }
                if !call
                    .body
                    .as_deref()
                    .unwrap_or_default()
                    .contains(&format!("\"{name}\""))
                {
                    return Err("the created instance has another name".into());
                }
                Ok("created")
            }
            Kind::Reset => {
                let body = ok_json(answer, 200)?;
                same_instance(path, &body["data"]["id"])?;
                shaped(body["data"]["cycle"] == 0, path)?;
                Ok("reset")
            }
            Kind::StopStart => {
                let body = ok_json(answer, 200)?;
                same_instance(path, &body["data"]["id"])?;
                let want = if path.ends_with("/stop") {
                    "stopped"
                } else {
                    "started"
                };
                let stopped = body["data"]["status"] == "stopped";
                if stopped != (want == "stopped") {
                    return Err(format!("status {} after {path}", body["data"]["status"]));
                }
                Ok(want)
            }
            Kind::TestSubmit => {
                let body = ok_json(answer, 200)?;
                shaped(body["data"]["matched_personas"].is_array(), path)?;
                Ok("scored")
            }
        }
    }
}

fn same_instance(path: &str, id: &Value) -> Result<(), String> {
    match id.as_str() {
        Some(id) if !id.is_empty() && path.contains(id) => Ok(()),
        _ => Err("the answer is about another instance".into()),
    }
}

fn shaped(ok: bool, path: &str) -> Result<&'static str, String> {
    if ok {
        Ok("read")
    } else {
        Err(format!(
            "unexpected body for {}",
            path.split('?').next().unwrap_or(path)
        ))
    }
}

/// A complete questionnaire, its choices varied by `n`.
fn questionnaire(n: u64) -> String {
    const OPTIONS: [&str; 4] = ["a", "b", "c", "d"];
    let responses: Vec<String> = (1..=QUESTIONS)
        .map(|q| {
            let option = OPTIONS[((n + q) % 4) as usize];
            format!(r#"{{"question_id":{q},"selected_option_id":"{option}"}}"#)
        })
        .collect();
    format!(r#"{{"responses":[{}]}}"#, responses.join(","))
}

/// Questions in the server's questionnaire v1 (`GET /v1/test/questions`).
const QUESTIONS: u64 = 28;
