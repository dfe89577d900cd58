//! `activation`: instances that are in storage only (created, never touched, so not
//! resident) are each read once; every read activates one actor from the database.

use crate::client::{Answer, Call};
use crate::workload::{Workload, ok_json};

pub struct Activation {
    pub ids: Vec<String>,
}

impl Workload for Activation {
    fn call(&self, n: u64) -> Call {
        let id = &self.ids[(n % self.ids.len() as u64) as usize];
        Call::get(format!("/v1/instances/{id}/snapshot"))
    }

    fn check(&self, call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let body = ok_json(answer, 200)?;
        let id = body["data"]["instance_id"].as_str().unwrap_or_default();
        if id.is_empty() || !call.path.contains(id) {
            return Err("the snapshot is of another instance".into());
        }
        Ok("activated")
    }
}
