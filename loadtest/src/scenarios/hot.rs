//! `hot`: many clients on one instance. The throttle must hold under any concurrency:
//! afterwards the instance has exactly as many cycles as answers said `throttled: false`,
//! and no more than one per interval.

use std::time::Duration;

use crate::client::{Answer, Call, Client};
use crate::stats::Stats;
use crate::workload::{Workload, ok_json};

use super::{check_cycle, cycle_tag, observation};

pub struct Hot {
    pub id: String,
    /// The server's throttle interval (`IDENTITY_OS_MIN_CYCLE_INTERVAL_MS`).
    pub interval: Duration,
}

impl Workload for Hot {
    fn call(&self, n: u64) -> Call {
        Call::post(format!("/v1/instances/{}/process", self.id), observation(n))
    }

    fn check(&self, _call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let body = ok_json(answer, 200)?;
        check_cycle(&body["data"])?;
        cycle_tag(&body["data"])
    }

    async fn verify(&self, client: &Client, stats: &Stats) -> Result<Vec<String>, String> {
        let answer = client
            .send(&Call::get(format!("/v1/instances/{}", self.id)))
            .await?;
        let body = ok_json(&answer, 200)?;
        let cycles = body["data"]["cycle_count"]
            .as_u64()
            .ok_or("no cycle_count")?;
        let acknowledged = stats.tagged("cycle");
        if cycles != acknowledged {
            return Err(format!(
                "{cycles} cycles stored, {acknowledged} answers said a cycle was made"
            ));
        }
        let intervals = stats.elapsed.as_secs_f64() / self.interval.as_secs_f64().max(1e-9);
        if self.interval > Duration::ZERO && cycles as f64 > intervals.floor() + 1.0 {
            return Err(format!(
                "{cycles} cycles in {:.1} s: more than one per {} ms interval",
                stats.elapsed.as_secs_f64(),
                self.interval.as_millis()
            ));
        }
        Ok(vec![format!(
            "{cycles} cycles stored = {acknowledged} acknowledged; at most one per {} ms interval ({:.1} intervals)",
            self.interval.as_millis(),
            intervals
        )])
    }
}
