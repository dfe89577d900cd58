//! `loadtest compare OLD.json NEW.json`: two runs' reports (`--json`) side by side, each
//! figure with its ratio, and a verdict: NEW fails when a gated figure — one a threshold
//! can name: throughput, p50, p90, p99 of each line, and of each request kind both runs
//! have — is worse than OLD's by more than `--max-regression`.
//!
//! Only runs of the same scenario and mode compare, line by line in order (targets name
//! ports that change from run to run, so lines are matched by position and must be as
//! many). Max latency and failures are shown, not gated: one slow request in a million
//! is noise at these sizes, and failed answers already fail the run that had them.

use crate::report::{Line, Report};

/// One figure of one line in both runs.
#[derive(Debug, PartialEq)]
pub struct Figure {
    pub line: String,
    /// The figure, prefixed by its request kind for a kind's own (`process p99 ms`).
    pub name: String,
    pub old: f64,
    pub new: f64,
    /// Whether larger is better (throughput) or worse (latency).
    pub higher_is_better: bool,
    pub gated: bool,
}

impl Figure {
    /// NEW over OLD.
    pub fn ratio(&self) -> f64 {
        if self.old == 0.0 {
            if self.new == 0.0 { 1.0 } else { f64::INFINITY }
        } else {
            self.new / self.old
        }
    }

    /// How much worse NEW is, as a fraction of OLD (negative: better).
    pub fn regression(&self) -> f64 {
        let ratio = self.ratio();
        if self.higher_is_better {
            if ratio == 0.0 {
                f64::INFINITY
            } else {
                1.0 / ratio - 1.0
            }
        } else {
            ratio - 1.0
        }
    }
}

/// A figure every line has.
struct Kind {
    name: &'static str,
    read: fn(&Line) -> f64,
    higher_is_better: bool,
    gated: bool,
}

const KINDS: [Kind; 7] = [
    Kind {
        name: "req/s",
        read: |l| l.per_second,
        higher_is_better: true,
        gated: true,
    },
    Kind {
        name: "p50 ms",
        read: |l| l.p50_ms,
        higher_is_better: false,
        gated: true,
    },
    Kind {
        name: "p90 ms",
        read: |l| l.p90_ms,
        higher_is_better: false,
        gated: true,
    },
    Kind {
        name: "p99 ms",
        read: |l| l.p99_ms,
        higher_is_better: false,
        gated: true,
    },
    Kind {
        name: "max ms",
        read: |l| l.max_ms,
        higher_is_better: false,
        gated: false,
    },
    Kind {
        name: "answered",
        read: |l| l.answered as f64,
        higher_is_better: true,
        gated: false,
    },
    Kind {
        name: "failed",
        read: |l| l.failed as f64,
        higher_is_better: false,
        gated: false,
    },
];

/// The figures of `old` and `new` side by side, or why they do not compare.
pub fn figures(old: &Report, new: &Report) -> Result<Vec<Figure>, String> {
    if old.scenario != new.scenario || old.mode != new.mode {
        return Err(format!(
            "different runs: `{}` ({}) against `{}` ({}); only runs of the same scenario and \
             settings compare",
            old.scenario, old.mode, new.scenario, new.mode
        ));
    }
    if old.lines.len() != new.lines.len() {
        return Err(format!(
            "different runs: {} lines against {}",
            old.lines.len(),
            new.lines.len()
        ));
    }
    let mut out = Vec::new();
    for (o, n) in old.lines.iter().zip(&new.lines) {
        for kind in &KINDS {
            out.push(Figure {
                line: n.target.clone(),
                name: kind.name.to_owned(),
                old: (kind.read)(o),
                new: (kind.read)(n),
                higher_is_better: kind.higher_is_better,
                gated: kind.gated,
            });
        }
        for (request, ok) in &o.kinds {
            let Some(nk) = n.kinds.get(request) else {
                continue;
            };
            let gated: [(&str, f64, f64, bool); 4] = [
                ("req/s", ok.per_second, nk.per_second, true),
                ("p50 ms", ok.p50_ms, nk.p50_ms, false),
                ("p90 ms", ok.p90_ms, nk.p90_ms, false),
                ("p99 ms", ok.p99_ms, nk.p99_ms, false),
            ];
            for (name, old, new, higher_is_better) in gated {
                out.push(Figure {
                    line: n.target.clone(),
                    name: format!("{request} {name}"),
                    old,
                    new,
                    higher_is_better,
                    gated: true,
                });
            }
        }
    }
    Ok(out)
}

/// The comparison as Markdown, and the gated figures worse than `max_regression`.
pub fn verdict(figures: &[Figure], max_regression: f64) -> (String, Vec<String>) {
    let mut table = String::from(
        "| line | figure | old | new | new / old | gated |\n|---|---|---|---|---|---|\n",
    );
    let mut worse = Vec::new();
    for f in figures {
        let over = f.gated && f.regression() > max_regression;
        table.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.2}× | {} |\n",
            f.line,
            f.name,
            f.old,
            f.new,
            f.ratio(),
            match (f.gated, over) {
                (true, true) => "**WORSE**",
                (true, false) => "ok",
                (false, _) => "-",
            }
        ));
        if over {
            worse.push(format!(
                "{}: {} went from {:.2} to {:.2} ({:+.1} %, more than {:.1} % worse)",
                f.line,
                f.name,
                f.old,
                f.new,
                f.regression() * 100.0,
                max_regression * 100.0
            ));
        }
    }
    (table, worse)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(per_second: f64, p99_ms: f64) -> Report {
        Report {
            scenario: "process".into(),
            description: String::new(),
            mode: "closed loop, 32 connections".into(),
            lines: vec![Line {
                target: "http://127.0.0.1:1234".into(),
                answered: 1000,
                failed: 0,
                seconds: 1.0,
                per_second,
                p50_ms: 1.0,
                p90_ms: 2.0,
                p99_ms,
                max_ms: 9.0,
                by_status: Default::default(),
                tags: Default::default(),
                failures: Default::default(),
                kinds: Default::default(),
                per_second_series: Vec::new(),
                percentiles: Vec::new(),
            }],
            ratios: Vec::new(),
            checks: Vec::new(),
            problems: Vec::new(),
            stage_ends_secs: Vec::new(),
            resources: Vec::new(),
            settings: Vec::new(),
        }
    }

    #[test]
    fn a_run_passes_against_itself_and_fails_on_a_worse_gated_figure() {
        let base = report(1000.0, 5.0);
        let (_, worse) = verdict(
            &figures(&base, &report(1000.0, 5.0)).unwrap_or_default(),
            0.1,
        );
        assert!(worse.is_empty(), "{worse:?}");
        // Within 10 %: slower by 5 %, p99 up by 8 %.
        let (_, worse) = verdict(
            &figures(&base, &report(952.0, 5.4)).unwrap_or_default(),
            0.1,
        );
        assert!(worse.is_empty(), "{worse:?}");
        let (table, worse) = verdict(
            &figures(&base, &report(800.0, 7.0)).unwrap_or_default(),
            0.1,
        );
        assert_eq!(worse.len(), 2, "{worse:?}");
        assert!(
            worse[0].contains("req/s") && worse[1].contains("p99 ms"),
            "{worse:?}"
        );
        assert!(table.contains("**WORSE**"));
    }

    #[test]
    fn only_runs_of_the_same_scenario_and_settings_compare() {
        let mut other = report(1000.0, 5.0);
        other.mode = "closed loop, 128 connections".into();
        let refused = figures(&report(1000.0, 5.0), &other)
            .err()
            .unwrap_or_default();
        assert!(
            refused.contains("only runs of the same scenario"),
            "{refused}"
        );
    }
}
