//! The scenario file format (TOML; `loadtest/scenarios/*.toml` are the shipped ones).
//!
//! ```toml
//! description = "what it shows"
//! verify = "throttle"          # optional end-of-run check (see `Verify`)
//! [pool]                       # the instances the requests go to
//! instances = 100              # created before the run (not measured)
//! warm = true                  # read once first, so that they are resident
//! persona = "persona_explorer" # optional: created from this persona
//! reuse = false                # true: the account's existing instances first
//! [mix]                        # request kinds and their weights
//! process = 12
//! snapshot = 2
//! [load]
//! think_time_ms = 0            # a connection's pause after each answer (closed loop)
//! batch_size = 10              # observations per batch
//! [[stages]]                   # in order; each ramps linearly from the previous one
//! duration_secs = 10
//! connections = 128            # closed loop… (or `rate = 2000`: open loop)
//! [thresholds.all]             # a run that breaks one fails, naming it
//! p99_ms = 250
//! error_rate = 0.0
//! [thresholds.process]
//! p99_ms = 100
//! ```
//!
//! Every table refuses keys it does not know; serde and toml name the line and the key.
//! What they cannot see (an empty mix, a stage with both a rate and connections) is
//! checked after parsing and named the same way, with the line from the span.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::kinds::Kind;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    #[serde(default)]
    pub description: String,
    /// `load` (default) or `recovery` (starts the server itself; see `[recovery]`).
    #[serde(default)]
    pub kind: ScenarioKind,
    pub verify: Option<Verify>,
    #[serde(default)]
    pub pool: Pool,
    pub mix: Option<Spanned<BTreeMap<Kind, u32>>>,
    #[serde(default)]
    pub load: Load,
    #[serde(default)]
    pub stages: Vec<Spanned<Stage>>,
    #[serde(default)]
    pub thresholds: BTreeMap<Scope, Limits>,
    #[serde(default)]
    pub recovery: Recovery,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioKind {
    #[default]
    Load,
    Recovery,
}

/// End-of-run checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verify {
    /// One instance under many clients: its stored cycles equal the answers that said a
    /// cycle was made, at most one per `--interval-ms`.
    Throttle,
    /// Every instance of the pool read once: every request is an activation.
    EachOnce,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    #[serde(default = "Pool::default_instances")]
    pub instances: usize,
    #[serde(default = "yes")]
    pub warm: bool,
    pub persona: Option<String>,
    /// Take the account's existing instances (newest first) before creating any: a run
    /// on the instances an earlier run left.
    #[serde(default)]
    pub reuse: bool,
}

impl Pool {
    fn default_instances() -> usize {
        100
    }
}

impl Default for Pool {
    fn default() -> Pool {
        Pool {
            instances: Pool::default_instances(),
            warm: true,
            persona: None,
            reuse: false,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    #[serde(default)]
    pub think_time_ms: u64,
    #[serde(default = "Load::default_batch")]
    pub batch_size: u64,
}

impl Load {
    fn default_batch() -> u64 {
        10
    }
}

impl Default for Load {
    fn default() -> Load {
        Load {
            think_time_ms: 0,
            batch_size: Load::default_batch(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub duration_secs: u64,
    pub connections: Option<usize>,
    pub rate: Option<u64>,
}

/// What a threshold applies to: every answer, or those of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    All,
    Kind(Kind),
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Kind(kind) => kind.name(),
        }
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Scope, D::Error> {
        let name = String::deserialize(d)?;
        if name == "all" {
            return Ok(Scope::All);
        }
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .map(Scope::Kind)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown threshold scope `{name}`: `all` or a request kind ({})",
                    Kind::ALL.map(Kind::name).join(", ")
                ))
            })
    }
}

/// Limits a run must stay within (`[thresholds.all]` or `[thresholds.<kind>]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Answers that failed their check (or never came), over all answers.
    pub error_rate: Option<f64>,
    /// Answers per second, at least.
    pub min_throughput: Option<f64>,
    /// Throughput over the baseline's in the same run (`--baseline`), at least.
    pub min_baseline_ratio: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recovery {
    /// History rows written before the crash.
    #[serde(default = "Recovery::default_history")]
    pub history: u64,
}

impl Recovery {
    fn default_history() -> u64 {
        1_000_000
    }
}

impl Default for Recovery {
    fn default() -> Recovery {
        Recovery {
            history: Recovery::default_history(),
        }
    }
}
