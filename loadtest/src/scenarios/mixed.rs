//! `mixed`: reads and writes in the proportions of an agent fleet — per 20 requests:
//! 12 process, 2 snapshot, 2 contract, 2 history, 1 list, 1 get.

use crate::client::{Answer, Call};
use crate::workload::{Workload, ok_json};

use super::{check_cycle, cycle_tag, observation};

pub struct Mixed {
    pub ids: Vec<String>,
}

impl Workload for Mixed {
    fn call(&self, n: u64) -> Call {
        let id = &self.ids[(n / 20 % self.ids.len() as u64) as usize];
        match n % 20 {
            0..12 => Call::post(format!("/v1/instances/{id}/process"), observation(n)),
            12..14 => Call::get(format!("/v1/instances/{id}/snapshot")),
            14..16 => Call::get(format!("/v1/instances/{id}/contract")),
            16..18 => Call::get(format!("/v1/instances/{id}/history?limit=20")),
            18 => Call::get("/v1/instances?limit=20"),
            _ => Call::get(format!("/v1/instances/{id}")),
        }
    }

    fn check(&self, call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let body = ok_json(answer, 200)?;
        let data = &body["data"];
        let path = call.path.as_str();
        if path.ends_with("/process") {
            check_cycle(data)?;
            return cycle_tag(data);
        }
        let ok = if path.ends_with("/snapshot") {
            data["mode_strengths"].is_object()
        } else if path.ends_with("/contract") {
            data["allowed_actions"].is_array()
        } else if path.contains("/history") || path.starts_with("/v1/instances?") {
            data.is_array() && body["pagination"]["total"].is_u64()
        } else {
            data["id"].as_str().is_some_and(|id| path.ends_with(id))
        };
        if ok {
            Ok("read")
        } else {
            Err(format!("unexpected body for {path}"))
        }
    }
}
