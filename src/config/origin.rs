//! Where each setting's value came from, for `identity-os config show` and
//! `GET /admin/config`: the built-in defaults, a config file, or an environment variable.
//! Secrets are never shown.

use std::fmt;

use figment::Figment;
use figment::Source;
use serde::Serialize;
use serde_json::Value;

use super::{Config, live};

/// Settings whose value is a secret.
const SECRETS: [&str; 2] = ["auth.bootstrap_key", "admin.token"];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(String),
    Environment,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "file {path}"),
            Origin::Environment => f.write_str("environment"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One effective setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// Dotted, as in the file: `actors.max_resident`.
    pub key: String,
    /// As JSON (`null`: a plan limit left out, which is no limit); secrets redacted.
    pub value: Value,
    pub origin: Origin,
    /// Whether a reload can change it.
    pub live: bool,
}

impl fmt::Display for Setting {
    /// `key = value  # origin`, the value as TOML would write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = match &self.value {
            Value::Null => "(none)".to_owned(),
            v => v.to_string(),
        };
        let live = if self.live { ", live" } else { "" };
        write!(f, "{} = {value}  # {}{live}", self.key, self.origin)
    }
}

/// Every leaf of `config`, in file order of sections, with its origin in `figment`.
pub(super) fn settings(config: &Config, figment: &Figment) -> Vec<Setting> {
    let mut out = Vec::new();
    flatten(String::new(), &to_value(config), &mut out);
    out.into_iter()
        .map(|(key, value)| {
            let origin = match figment.find_metadata(&key) {
                Some(meta) if meta.name == super::ENV_SOURCE => Origin::Environment,
                Some(meta) => match &meta.source {
                    Some(Source::File(path)) => Origin::File(path.display().to_string()),
                    _ => Origin::Default,
                },
                None => Origin::Default,
            };
            let live = live::is_live(&key);
            Setting {
                value: redacted(&key, value),
                key,
                origin,
                live,
            }
        })
        .collect()
}

/// `config` as a JSON tree (every field serializes: no error is possible).
pub(super) fn to_value(config: &Config) -> Value {
    serde_json::to_value(config).unwrap_or(Value::Null)
}

/// Leaves of `value` under dotted keys.
pub(super) fn flatten(prefix: String, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(fields) => {
            for (name, v) in fields {
                let key = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(key, v, out);
            }
        }
        leaf => out.push((prefix, leaf.clone())),
    }
}

fn redacted(key: &str, value: Value) -> Value {
    match value {
        Value::String(s) if SECRETS.contains(&key) && !s.is_empty() => "<redacted>".into(),
        Value::String(s) if key == "database.url" => redact_url(&s).into(),
        v => v,
    }
}

/// A database URL with its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
