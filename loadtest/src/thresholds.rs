//! A scenario's thresholds judged against its run: each one met is a check, each one
//! broken a problem (the run then exits non-zero), named as the file names it.

use std::collections::BTreeMap;

use crate::plan::{Limits, Scope};
use crate::report::Line;

/// Every threshold of `thresholds` against `line` (ours), with `ratio` our throughput
/// over the baseline's when one ran: (met, broken).
pub fn judge(
    thresholds: &BTreeMap<Scope, Limits>,
    line: &Line,
    ratio: Option<f64>,
) -> (Vec<String>, Vec<String>) {
    let mut met = Vec::new();
    let mut broken = Vec::new();
    for (scope, limits) in thresholds {
        let figures = match scope {
            Scope::All => Some(Figures {
                answered: line.answered,
                failed: line.failed,
                per_second: line.per_second,
                quantiles: [line.p50_ms, line.p90_ms, line.p99_ms, line.max_ms],
            }),
            Scope::Kind(kind) => line.kinds.get(kind.name()).map(|k| Figures {
                answered: k.answered,
                failed: k.failed,
                per_second: k.per_second,
                quantiles: [k.p50_ms, k.p90_ms, k.p99_ms, k.max_ms],
            }),
        };
        let Some(f) = figures else {
            broken.push(format!(
                "threshold {}: no `{}` request was answered",
                scope.name(),
                scope.name()
            ));
            continue;
        };
        let error_rate = f.failed as f64 / f.answered.max(1) as f64;
        // (key, limit, measured, true when measured must stay at or below the limit)
        let tests = [
            ("p50_ms", limits.p50_ms, f.quantiles[0], true),
            ("p90_ms", limits.p90_ms, f.quantiles[1], true),
            ("p99_ms", limits.p99_ms, f.quantiles[2], true),
            ("max_ms", limits.max_ms, f.quantiles[3], true),
            ("error_rate", limits.error_rate, error_rate, true),
            ("min_throughput", limits.min_throughput, f.per_second, false),
        ];
        for (key, limit, measured, at_most) in tests {
            let Some(limit) = limit else { continue };
            let holds = if at_most {
                measured <= limit
            } else {
                measured >= limit
            };
            let sign = if at_most { "≤" } else { "≥" };
            let text = format!(
                "threshold {}.{key} {sign} {limit}: measured {measured:.3}",
                scope.name()
            );
            if holds {
                met.push(text)
            } else {
                broken.push(format!("{text}: BROKEN"))
            }
        }
        if let Some(limit) = limits.min_baseline_ratio {
            let name = format!("threshold {}.min_baseline_ratio ≥ {limit}", scope.name());
            match ratio {
                Some(r) if r >= limit => met.push(format!("{name}: measured {r:.3}")),
                Some(r) => broken.push(format!("{name}: measured {r:.3}: BROKEN")),
                None => broken.push(format!("{name}: no baseline ran (add --baseline)")),
            }
        }
    }
    (met, broken)
}

struct Figures {
    answered: u64,
    failed: u64,
    per_second: f64,
    /// p50, p90, p99, max in ms.
    quantiles: [f64; 4],
}
