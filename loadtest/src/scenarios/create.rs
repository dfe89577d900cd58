//! `create`: an instance creation storm.

use crate::client::{Answer, Call};
use crate::workload::{Workload, ok_json};

pub struct Create;

impl Workload for Create {
    fn call(&self, n: u64) -> Call {
        Call::post("/v1/instances", format!(r#"{{"name":"storm-{n}"}}"#))
    }

    fn check(&self, call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let body = ok_json(answer, 201)?;
        let sent = call.body.as_deref().unwrap_or_default();
        let name = body["data"]["name"].as_str().unwrap_or_default();
        if !body["data"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("inst_"))
        {
            return Err("no instance id".into());
        }
        if !sent.contains(&format!("\"{name}\"")) {
            return Err("the created instance has another name".into());
        }
        Ok("created")
    }
}
