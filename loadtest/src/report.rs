//! The end-of-run report: Markdown for people, JSON for scripts (and `compare`).

use serde::{Deserialize, Serialize};

use crate::stats::Stats;

#[derive(Debug, Serialize, Deserialize)]
pub struct Line {
    pub target: String,
    pub answered: u64,
    pub failed: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub by_status: std::collections::BTreeMap<u16, u64>,
    pub tags: std::collections::BTreeMap<String, u64>,
    pub failures: std::collections::BTreeMap<String, u64>,
}

impl Line {
    pub fn new(target: &str, s: &Stats) -> Line {
        Line {
            target: target.to_owned(),
            answered: s.answered(),
            failed: s.failed(),
            seconds: s.elapsed.as_secs_f64(),
            per_second: s.throughput(),
            p50_ms: s.quantile_ms(0.5),
            p90_ms: s.quantile_ms(0.9),
            p99_ms: s.quantile_ms(0.99),
            max_ms: s.max_ms(),
            by_status: s.by_status.clone(),
            tags: s.tags.iter().map(|(t, n)| ((*t).to_owned(), *n)).collect(),
            failures: s.failures.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Ratio {
    /// What over what, e.g. `durable / baseline`.
    pub of: String,
    pub value: f64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    pub mode: String,
    pub lines: Vec<Line>,
    /// Throughput ratios measured in this run: ours over the baseline's (per durability
    /// mode with `--compare`), and write-behind over durable.
    pub ratios: Vec<Ratio>,
    pub checks: Vec<String>,
    pub problems: Vec<String>,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## loadtest `{}` ({})\n\n| target | answered | failed | req/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n",
            self.scenario, self.mode
        );
        for l in &self.lines {
            out += &format!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
                l.target,
                l.answered,
                l.failed,
                l.per_second,
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.max_ms
            );
        }
        for r in &self.ratios {
            out += &format!("\nThroughput {} (same run): **{:.2}×**\n", r.of, r.value);
        }
        for l in &self.lines {
            let tags: Vec<String> = l.tags.iter().map(|(t, n)| format!("{t} {n}")).collect();
            out += &format!("\n{}: answers {}", l.target, tags.join(", "));
            for (why, n) in &l.failures {
                out += &format!("\n- FAILED {n}×: {why}");
            }
        }
        for c in &self.checks {
            out += &format!("\n- check: {c}");
        }
        for p in &self.problems {
            out += &format!("\n- PROBLEM: {p}");
        }
        out + "\n"
    }
}
