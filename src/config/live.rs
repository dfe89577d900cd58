//! Which settings a reload may change, and what a reload changes.
//!
//! Live: what the running server reads at its next use — actor supervision, the engine's
//! throttle, snapshot cadence and batch bound, the group-commit knobs, plans, the log
//! filter, retention. Not live: whatever was bound or opened at start (listen addresses,
//! the database and its pool, the writer's queue, cluster identity and timing, the
//! bootstrap key, the admin listener).

use serde::Serialize;
use serde_json::Value;

use super::origin::{flatten, to_value};
use super::{Config, ConfigError};

/// Live settings: exact keys, or every key under a section ending in `.`.
const LIVE: [&str; 9] = [
    "actors.",
    "engine.min_cycle_interval_ms",
    "engine.snapshot_every",
    "engine.batch_max",
    "database.group_commit_max_rows",
    "database.group_commit_linger_ms",
    "plans.",
    "server.log",
    "retention.",
];

pub(super) fn is_live(key: &str) -> bool {
    LIVE.iter().any(|live| match live.strip_suffix('.') {
        Some(section) => key
            .strip_prefix(section)
            .is_some_and(|k| k.starts_with('.')),
        None => key == *live,
    })
}

/// One setting a reload changes; `null` for a plan limit that is absent on that side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub key: String,
    pub from: Value,
    pub to: Value,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} -> {}", self.key, self.from, self.to)
    }
}

/// What going from `old` to `new` changes, or the first changed setting that is not
/// live (then nothing may be applied).
pub fn changes(old: &Config, new: &Config) -> Result<Vec<Change>, ConfigError> {
    let leaves = |c: &Config| {
        let mut out = Vec::new();
        flatten(String::new(), &to_value(c), &mut out);
        out.into_iter()
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (before, after) = (leaves(old), leaves(new));
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let from = before.get(key).cloned().unwrap_or(Value::Null);
        let to = after.get(key).cloned().unwrap_or(Value::Null);
        if from == to {
            continue;
        }
        if !is_live(key) {
            return Err(ConfigError::NotLive { key: key.clone() });
        }
        out.push(Change {
            key: key.clone(),
            from,
            to,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_keys_are_matched_whole() {
        assert!(is_live("actors.max_resident"));
        assert!(is_live("plans.free.requests_per_minute"));
        assert!(is_live("engine.batch_max"));
        assert!(!is_live("actorsx.max_resident"));
        assert!(!is_live("engine.batch_maximum"));
        assert!(!is_live("server.bind"));
        assert!(!is_live("database.url"));
        assert!(!is_live("cluster.node_id"));
    }

    #[test]
    fn a_non_live_change_is_refused_by_name_and_live_ones_are_listed() {
        let old = Config::load(&Default::default()).unwrap_or_else(|e| panic!("{e}"));
        let mut new = old.clone();
        new.actors.max_resident = 1000;
        new.plans.remove("free");
        let changed = changes(&old, &new).unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<&str> = changed.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "actors.max_resident",
                "plans.free.monthly_cycles",
                "plans.free.requests_per_minute"
            ]
        );
        assert_eq!(changed[0].to, Value::from(1000));
        assert_eq!(changed[1].to, Value::Null);
        new.server.bind = "127.0.0.1:9".into();
        assert_eq!(
            changes(&old, &new),
            Err(ConfigError::NotLive {
                key: "server.bind".into()
            })
        );
    }
}
