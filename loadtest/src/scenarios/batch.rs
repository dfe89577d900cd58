//! `batch`: batches of observations over many instances, each one all-or-nothing turn.

use crate::client::{Answer, Call};
use crate::workload::{Workload, ok_json};

use super::{check_cycle, cycle_tag, observation};

pub struct Batch {
    pub ids: Vec<String>,
    pub size: u64,
}

impl Workload for Batch {
    fn call(&self, n: u64) -> Call {
        let id = &self.ids[(n % self.ids.len() as u64) as usize];
        let observations: Vec<String> = (0..self.size).map(|k| observation(n + k)).collect();
        Call::post(
            format!("/v1/instances/{id}/process/batch"),
            format!(r#"{{"observations":[{}]}}"#, observations.join(",")),
        )
    }

    fn check(&self, _call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let body = ok_json(answer, 200)?;
        let data = &body["data"];
        check_cycle(data)?;
        let tag = cycle_tag(data)?;
        let expected = if tag == "cycle" { self.size } else { 0 };
        if data["processed_count"].as_u64() != Some(expected) {
            return Err(format!("processed_count is not {expected}"));
        }
        Ok(tag)
    }
}
