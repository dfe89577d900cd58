//! `process`: steady observations spread over many instances. Start the server with a
//! low throttle (`IDENTITY_OS_MIN_CYCLE_INTERVAL_MS=0`) or most answers are `throttled`.

use crate::client::{Answer, Call};
use crate::workload::{Workload, ok_json};

use super::{check_cycle, cycle_tag, observation};

pub struct Process {
    pub ids: Vec<String>,
}

impl Workload for Process {
    fn call(&self, n: u64) -> Call {
        let id = &self.ids[(n % self.ids.len() as u64) as usize];
        Call::post(format!("/v1/instances/{id}/process"), observation(n))
    }

    fn check(&self, call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let body = ok_json(answer, 200)?;
        let data = &body["data"];
        check_cycle(data)?;
        let id = data["snapshot"]["instance_id"].as_str().unwrap_or_default();
        if !call.path.contains(id) || id.is_empty() {
            return Err("the answer is about another instance".into());
        }
        cycle_tag(data)
    }
}
