//! A scenario, from its file (`file.rs`), checked whole before any request is sent:
//! `loadtest run NAME` takes a shipped file (`loadtest/scenarios/NAME.toml`, compiled
//! in, so the binary runs them from anywhere), `loadtest run PATH` any other.

mod file;

use std::collections::BTreeMap;
use std::time::Duration;

pub use file::{Limits, Load, Pool, ScenarioKind, Scope, Verify};

use crate::kinds::Kind;

/// The shipped scenarios, by name.
pub const SHIPPED: [(&str, &str); 7] = [
    ("create", include_str!("../../scenarios/create.toml")),
    ("process", include_str!("../../scenarios/process.toml")),
    ("hot", include_str!("../../scenarios/hot.toml")),
    ("batch", include_str!("../../scenarios/batch.toml")),
    ("mixed", include_str!("../../scenarios/mixed.toml")),
    (
        "activation",
        include_str!("../../scenarios/activation.toml"),
    ),
    ("recovery", include_str!("../../scenarios/recovery.toml")),
];

/// A scenario ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file's name without `.toml`.
    pub name: String,
    pub description: String,
    pub kind: ScenarioKind,
    pub verify: Option<Verify>,
    pub pool: Pool,
    /// Request kinds with their weights, in the file's order of kinds.
    pub mix: Vec<(Kind, u32)>,
    pub load: Load,
    pub stages: Stages,
    pub thresholds: BTreeMap<Scope, Limits>,
    pub history: u64,
}

/// The load's shape over time: each stage's length and target, reached by a linear ramp
/// from the previous stage's target (the first stage starts at its own).
#[derive(Debug, Clone, PartialEq)]
pub enum Stages {
    /// Connections, each sending its next request when answered.
    Closed(Vec<(Duration, usize)>),
    /// Requests per second, whatever the answers do.
    Open(Vec<(Duration, u64)>),
}

impl Stages {
    pub fn duration(&self) -> Duration {
        match self {
            Stages::Closed(s) => s.iter().map(|(d, _)| *d).sum(),
            Stages::Open(s) => s.iter().map(|(d, _)| *d).sum(),
        }
    }

    /// The most connections (closed) or the highest rate (open) any stage asks.
    pub fn peak(&self) -> u64 {
        match self {
            Stages::Closed(s) => s.iter().map(|(_, c)| *c as u64).max().unwrap_or(1),
            Stages::Open(s) => s.iter().map(|(_, r)| *r).max().unwrap_or(1),
        }
    }

    pub fn describe(&self) -> String {
        let part = |d: &Duration, what: String| format!("{} s at {what}", d.as_secs());
        let parts: Vec<String> = match self {
            Stages::Closed(s) => s
                .iter()
                .map(|(d, c)| part(d, format!("{c} connections")))
                .collect(),
            Stages::Open(s) => s.iter().map(|(d, r)| part(d, format!("{r}/s"))).collect(),
        };
        parts.join(", then ")
    }
}

/// What the command line changes in a scenario (each `None`: as the file says).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub connections: Option<usize>,
    pub rate: Option<u64>,
    pub duration_secs: Option<u64>,
    pub instances: Option<usize>,
    pub batch_size: Option<u64>,
}

/// The scenario `arg` names: a shipped one by name, else a file.
pub fn load(arg: &str) -> Result<Plan, String> {
    if let Some((name, text)) = SHIPPED.iter().find(|(name, _)| *name == arg) {
        return parse(name, text).map_err(|e| format!("scenarios/{name}.toml: {e}"));
    }
    let path = std::path::Path::new(arg);
    let text = std::fs::read_to_string(path).map_err(|e| {
        let known: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        format!(
            "{arg}: {e} (not a file, nor a shipped scenario: {})",
            known.join(", ")
        )
    })?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    parse(name, &text).map_err(|e| format!("{arg}: {e}"))
}

/// Parses and checks a scenario file's text; errors name the line and the key.
pub fn parse(name: &str, text: &str) -> Result<Plan, String> {
    let file: file::File = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        match line {
            Some(line) => format!("line {line}: {}", e.message().trim()),
            None => e.message().trim().to_owned(),
        }
    })?;
    let at = |span: std::ops::Range<usize>, what: &str| {
        format!("line {}: {what}", line_of(text, span.start))
    };
    let mix: Vec<(Kind, u32)> = match &file.mix {
        Some(mix) => mix.get_ref().iter().map(|(k, w)| (*k, *w)).collect(),
        None => Vec::new(),
    };
    if file.kind == ScenarioKind::Recovery {
        if file.mix.is_some() || !file.stages.is_empty() {
            return Err(
                "a `recovery` scenario has no [mix] and no [[stages]]: it starts the server itself"
                    .into(),
            );
        }
        return Ok(Plan {
            name: name.to_owned(),
            description: file.description,
            kind: file.kind,
            verify: None,
            pool: file.pool,
            mix,
            load: file.load,
            stages: Stages::Closed(Vec::new()),
            thresholds: file.thresholds,
            history: file.recovery.history,
        });
    }
    let Some(spanned_mix) = &file.mix else {
        return Err(
            "[mix]: missing: give at least one request kind a weight, e.g. `process = 1`".into(),
        );
    };
    if mix.iter().all(|(_, w)| *w == 0) {
        return Err(at(
            spanned_mix.span(),
            "[mix]: empty: give at least one request kind a weight above 0",
        ));
    }
    let mix: Vec<(Kind, u32)> = mix.into_iter().filter(|(_, w)| *w > 0).collect();
    let stages = stages(&file.stages, text)?;
    if mix.iter().any(|(k, _)| k.needs_instance()) && file.pool.instances == 0 {
        return Err("pool.instances: 0, but the mix has requests on instances".into());
    }
    match file.verify {
        Some(Verify::Throttle) if file.pool.instances != 1 || mix != [(Kind::Process, 1)] => {
            return Err(
                "verify = \"throttle\": needs pool.instances = 1 and a mix of `process` alone"
                    .into(),
            );
        }
        Some(Verify::EachOnce) if file.pool.warm => {
            return Err("verify = \"each_once\": needs pool.warm = false (a warm instance is no activation)".into());
        }
        _ => {}
    }
    if file.load.batch_size == 0 || file.load.batch_size > 100 {
        return Err("load.batch_size: must be 1 to 100 (the server's default batch bound)".into());
    }
    for (scope, limits) in &file.thresholds {
        check_limits(scope.name(), limits)?;
    }
    Ok(Plan {
        name: name.to_owned(),
        description: file.description,
        kind: file.kind,
        verify: file.verify,
        pool: file.pool,
        mix,
        load: file.load,
        stages,
        thresholds: file.thresholds,
        history: file.recovery.history,
    })
}

fn stages(stages: &[toml::Spanned<file::Stage>], text: &str) -> Result<Stages, String> {
    if stages.is_empty() {
        return Err("[[stages]]: missing: at least one stage, e.g. `duration_secs = 10` and `connections = 64`".into());
    }
    let mut closed = Vec::new();
    let mut open = Vec::new();
    for (i, stage) in stages.iter().enumerate() {
        let line = line_of(text, stage.span().start);
        let named = |what: &str| format!("line {line}: stages[{i}]: {what}");
        let s = stage.get_ref();
        if s.duration_secs == 0 {
            return Err(named("duration_secs: must be at least 1"));
        }
        let d = Duration::from_secs(s.duration_secs);
        match (s.connections, s.rate) {
            (Some(c), None) if c > 0 => closed.push((d, c)),
            (None, Some(r)) if r > 0 => open.push((d, r)),
            (Some(_), Some(_)) => {
                return Err(named(
                    "connections and rate: one or the other (closed or open loop)",
                ));
            }
            (None, None) => return Err(named("connections or rate: one is needed")),
            _ => return Err(named("connections or rate: must be at least 1")),
        }
    }
    match (closed.is_empty(), open.is_empty()) {
        (false, true) => Ok(Stages::Closed(closed)),
        (true, false) => Ok(Stages::Open(open)),
        _ => Err(
            "[[stages]]: all closed loop (connections) or all open loop (rate), not both".into(),
        ),
    }
}

fn check_limits(scope: &str, l: &Limits) -> Result<(), String> {
    let named = [
        ("p50_ms", l.p50_ms),
        ("p90_ms", l.p90_ms),
        ("p99_ms", l.p99_ms),
        ("max_ms", l.max_ms),
        ("error_rate", l.error_rate),
        ("min_throughput", l.min_throughput),
        ("min_baseline_ratio", l.min_baseline_ratio),
    ];
    for (key, value) in named {
        if let Some(v) = value
            && !(v.is_finite() && v >= 0.0)
        {
            return Err(format!("thresholds.{scope}.{key}: {v} is not a number ≥ 0"));
        }
    }
    if l.error_rate.is_some_and(|r| r > 1.0) {
        return Err(format!(
            "thresholds.{scope}.error_rate: a fraction from 0 to 1"
        ));
    }
    Ok(())
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

impl Plan {
    /// The plan with the command line's settings in place of the file's.
    pub fn with(mut self, o: &Overrides) -> Plan {
        let duration = o
            .duration_secs
            .map(Duration::from_secs)
            .unwrap_or_else(|| self.stages.duration());
        match (o.connections, o.rate) {
            (_, Some(rate)) => self.stages = Stages::Open(vec![(duration, rate.max(1))]),
            (Some(c), None) => self.stages = Stages::Closed(vec![(duration, c.max(1))]),
            (None, None) if o.duration_secs.is_some() => {
                let peak = self.stages.peak();
                self.stages = match self.stages {
                    Stages::Closed(_) => Stages::Closed(vec![(duration, peak as usize)]),
                    Stages::Open(_) => Stages::Open(vec![(duration, peak)]),
                };
            }
            (None, None) => {}
        }
        if let Some(n) = o.instances {
            self.pool.instances = n;
        }
        if let Some(b) = o.batch_size {
            self.load.batch_size = b;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_parses() {
        for (name, text) in SHIPPED {
            let plan = parse(name, text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(plan.name, name);
            assert!(!plan.description.is_empty(), "{name} has no description");
        }
    }

    #[test]
    fn bad_files_are_refused_with_the_line_and_key() {
        let good = "[mix]\nprocess = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\n";
        assert!(parse("t", good).is_ok());
        for (text, expected) in [
            (
                "[mix]\nprocess = 1\nbogus = 2\n[[stages]]\nduration_secs = 1\nconnections = 2\n",
                "line 3",
            ),
            (
                "[mix]\nprocess = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\nspeed = 3\n",
                "line 6",
            ),
            (
                "[mix]\nprocess = \"lots\"\n[[stages]]\nduration_secs = 1\nconnections = 2\n",
                "line 2",
            ),
            (
                "[mix]\nprocess = 0\n[[stages]]\nduration_secs = 1\nconnections = 2\n",
                "[mix]: empty",
            ),
            (
                "[[stages]]\nduration_secs = 1\nconnections = 2\n",
                "[mix]: missing",
            ),
            ("[mix]\nprocess = 1\n", "[[stages]]: missing"),
            (
                "[mix]\nget = 1\n\n[[stages]]\nduration_secs = 1\nconnections = 2\nrate = 5\n",
                "line 4: stages[0]: connections and rate",
            ),
            (
                "[mix]\nget = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\n[[stages]]\nduration_secs = 1\nrate = 5\n",
                "not both",
            ),
            (
                "[mix]\nget = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\n[thresholds.everything]\np99_ms = 1\n",
                "unknown threshold scope `everything`",
            ),
            (
                "[mix]\nget = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\n[thresholds.all]\np99 = 1\n",
                "line 7",
            ),
            (
                "[mix]\nget = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\n[thresholds.all]\nerror_rate = 2\n",
                "thresholds.all.error_rate",
            ),
            (
                "verify = \"throttle\"\n[mix]\nget = 1\n[[stages]]\nduration_secs = 1\nconnections = 2\n",
                "verify = \"throttle\"",
            ),
        ] {
            match parse("t", text) {
                Ok(_) => panic!("{text:?} was accepted"),
                Err(err) => assert!(err.contains(expected), "{text:?}: {err}"),
            }
        }
    }

    #[test]
    fn the_command_line_replaces_the_stages() {
        let plan = parse("t", "[mix]\nget = 1\n[[stages]]\nduration_secs = 5\nconnections = 2\n[[stages]]\nduration_secs = 5\nconnections = 8\n")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.stages.duration(), Duration::from_secs(10));
        let shorter = plan.clone().with(&Overrides {
            duration_secs: Some(2),
            ..Overrides::default()
        });
        assert_eq!(
            shorter.stages,
            Stages::Closed(vec![(Duration::from_secs(2), 8)])
        );
        let open = plan.with(&Overrides {
            rate: Some(100),
            ..Overrides::default()
        });
        assert_eq!(
            open.stages,
            Stages::Open(vec![(Duration::from_secs(10), 100)])
        );
    }
}
