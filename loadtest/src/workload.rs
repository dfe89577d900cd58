//! What every scenario provides to the drivers.

use crate::client::{Answer, Call, Client};
use crate::stats::Stats;

pub trait Workload: Send + Sync + 'static {
    /// The `n`-th request of the run.
    fn call(&self, n: u64) -> Call;

    /// Checks an answer to `call`; `Ok(tag)` counts the answer under `tag`.
    fn check(&self, call: &Call, answer: &Answer) -> Result<&'static str, String>;

    /// Checks the server's state after the run (e.g. exactly one cycle per interval).
    fn verify(
        &self,
        client: &Client,
        stats: &Stats,
    ) -> impl Future<Output = Result<Vec<String>, String>> + Send {
        let _ = (client, stats);
        async { Ok(Vec::new()) }
    }
}

/// `200` with a JSON body, or why not.
pub fn ok_json(answer: &Answer, expected: u16) -> Result<serde_json::Value, String> {
    if answer.status.as_u16() != expected {
        return Err(format!(
            "status {} (expected {expected})",
            answer.status.as_u16()
        ));
    }
    answer.json()
}
