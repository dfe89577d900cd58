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
    /// The same figures by request kind (reports before kinds existed have none).
    #[serde(default)]
    pub kinds: std::collections::BTreeMap<String, KindLine>,
    /// The run second by second (answers that arrived in each second).
    #[serde(default)]
    pub per_second_series: Vec<SecondLine>,
    /// The latency distribution: `[percentile, ms]` at percentiles evenly spaced on a log
    /// scale of 1/(1 − p), from 0 to 99.999.
    #[serde(default)]
    pub percentiles: Vec<[f64; 2]>,
}

/// One second of a line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecondLine {
    pub answered: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One request kind's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KindLine {
    pub answered: u64,
    pub failed: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Line {
    /// answered, failed, req/s, p50, p90, p99 and max ms, as the reports print them.
    pub fn figures(&self) -> [String; 7] {
        [
            self.answered.to_string(),
            self.failed.to_string(),
            format!("{:.0}", self.per_second),
            format!("{:.2}", self.p50_ms),
            format!("{:.2}", self.p90_ms),
            format!("{:.2}", self.p99_ms),
            format!("{:.2}", self.max_ms),
        ]
    }

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
            kinds: s
                .kinds
                .iter()
                .map(|(kind, k)| {
                    let line = KindLine {
                        answered: k.answered(),
                        failed: k.failed,
                        per_second: k.answered() as f64 / s.elapsed.as_secs_f64().max(1e-9),
                        p50_ms: k.quantile_ms(0.5),
                        p90_ms: k.quantile_ms(0.9),
                        p99_ms: k.quantile_ms(0.99),
                        max_ms: k.max_ms(),
                    };
                    ((*kind).to_owned(), line)
                })
                .collect(),
            per_second_series: s
                .seconds
                .iter()
                .map(|sec| SecondLine {
                    answered: sec.answered,
                    failed: sec.failed,
                    p50_ms: sec.quantile_ms(0.5),
                    p90_ms: sec.quantile_ms(0.9),
                    p99_ms: sec.quantile_ms(0.99),
                    max_ms: sec.max_ms(),
                })
                .collect(),
            percentiles: (0..=20)
                .map(|k| {
                    let q = 1.0 - 10f64.powf(-f64::from(k) / 4.0);
                    [q * 100.0, s.quantile_ms(q)]
                })
                .collect(),
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
    /// What the scenario shows, from its file.
    #[serde(default)]
    pub description: String,
    pub mode: String,
    pub lines: Vec<Line>,
    /// Throughput ratios measured in this run: ours over the baseline's (per durability
    /// mode with `--compare`), and write-behind over durable.
    pub ratios: Vec<Ratio>,
    pub checks: Vec<String>,
    pub problems: Vec<String>,
    /// Where each stage ends, in seconds from the start.
    #[serde(default)]
    pub stage_ends_secs: Vec<f64>,
    /// The run's settings, as `[name, value]`.
    #[serde(default)]
    pub settings: Vec<[String; 2]>,
    /// The server's resources every 10 s (soak sampling).
    #[serde(default)]
    pub resources: Vec<crate::soak::Sample>,
}

impl Report {
    pub fn markdown(&self) -> String {
        let about = if self.description.is_empty() {
            String::new()
        } else {
            format!("{}\n\n", self.description)
        };
        let mut out = format!(
            "## loadtest `{}` ({})\n\n{about}| target | answered | failed | req/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n",
            self.scenario, self.mode
        );
        for l in &self.lines {
            out += &format!("| {} | {} |\n", l.target, l.figures().join(" | "));
        }
        for l in self.lines.iter().filter(|l| l.kinds.len() > 1) {
            out += &format!(
                "\nBy request kind, {}:\n\n| kind | answered | failed | req/s | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n",
                l.target
            );
            for (kind, k) in &l.kinds {
                out += &format!(
                    "| {kind} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
                    k.answered, k.failed, k.per_second, k.p50_ms, k.p90_ms, k.p99_ms, k.max_ms
                );
            }
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
