//! The workload every load scenario runs: its weighted mix of request kinds over its pool
//! of instances, each answer checked by its kind, and the end-of-run check it names.
//!
//! Request `n` takes the kind at `n` in a cycle where each kind appears as often as its
//! weight (kinds in their fixed order), and the instance of the cycle it falls in: each
//! instance takes one whole cycle in a row, the pool in turn.

use std::time::Duration;

use crate::client::{Answer, Call, Client};
use crate::kinds::{Kind, Target};
use crate::plan::Verify;
use crate::stats::Stats;
use crate::workload::{Workload, ok_json};

pub struct Mix {
    cycle: Vec<Kind>,
    ids: Vec<String>,
    batch_size: u64,
    verify: Option<Verify>,
    /// The server's throttle interval, for `verify = "throttle"`.
    interval: Duration,
}

impl Mix {
    pub fn new(
        mix: &[(Kind, u32)],
        ids: Vec<String>,
        batch_size: u64,
        verify: Option<Verify>,
        interval: Duration,
    ) -> Mix {
        let cycle = mix
            .iter()
            .flat_map(|(kind, weight)| std::iter::repeat_n(*kind, *weight as usize))
            .collect();
        Mix {
            cycle,
            ids,
            batch_size,
            verify,
            interval,
        }
    }
}

impl Workload for Mix {
    fn call(&self, n: u64) -> Call {
        let len = self.cycle.len().max(1) as u64;
        let kind = self.cycle[(n % len) as usize];
        let visit = n / len;
        let pool = self.ids.len().max(1) as u64;
        let id = self
            .ids
            .get((visit % pool) as usize)
            .map_or("", String::as_str);
        // Stop on one round of the pool, start on the next.
        let stop = (visit / pool).is_multiple_of(2);
        kind.call(&Target {
            id,
            n,
            batch_size: self.batch_size,
            stop,
        })
        .of(kind)
    }

    fn check(&self, call: &Call, answer: &Answer) -> Result<&'static str, String> {
        let kind = call.kind.ok_or("a call without a kind")?;
        kind.check(call, answer, self.batch_size)
    }

    async fn verify(&self, client: &Client, stats: &Stats) -> Result<Vec<String>, String> {
        match self.verify {
            Some(Verify::Throttle) => self.one_cycle_per_interval(client, stats).await,
            Some(Verify::EachOnce) => Ok(vec![format!(
                "{} instances in storage, each read once: {} activations",
                self.ids.len(),
                stats.tagged("read")
            )]),
            None => Ok(Vec::new()),
        }
    }
}

impl Mix {
    /// The instance has exactly as many cycles as answers said `throttled: false`, and
    /// no more than one per interval.
    async fn one_cycle_per_interval(
        &self,
        client: &Client,
        stats: &Stats,
    ) -> Result<Vec<String>, String> {
        let id = self.ids.first().ok_or("no instance")?;
        let answer = client
            .send(&Call::get(format!("/v1/instances/{id}")))
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
