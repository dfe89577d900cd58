//! Typed settings: `config/default.toml` (or the file named by `IDENTITY_OS_CONFIG`),
//! overridden by `IDENTITY_OS_<SECTION>__<KEY>` and the short forms of API.md §6, checked
//! once at start so that a bad value stops the server with one clear line.
//!
//! The built-in defaults are the shipped `config/default.toml` itself, compiled in, so the
//! two cannot disagree. The same load runs again on a reload (`reload.rs`), which applies
//! only the settings `live.rs` lists; `origin.rs` tells where each value came from.

mod live;
mod origin;

pub use live::{Change, changes};
pub use origin::{Origin, Setting, redact_url};

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// Shortest admin token accepted.
const MIN_ADMIN_TOKEN: usize = 16;

/// hyper's smallest read buffer, which bounds a request head.
const MIN_HEAD_BYTES: usize = 8192;

/// The shipped defaults.
const DEFAULTS: &str = include_str!("../../config/default.toml");
pub const DEFAULT_PATH: &str = "config/default.toml";

/// Short environment variables and the keys they set.
const SHORT_FORMS: [(&str, &str); 6] = [
    ("bind", "server__bind"),
    ("database_url", "database__url"),
    ("bootstrap_key", "auth__bootstrap_key"),
    ("min_cycle_interval_ms", "engine__min_cycle_interval_ms"),
    ("docs_enabled", "server__docs_enabled"),
    ("log", "server__log"),
];

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub engine: EngineConfig,
    pub actors: ActorsConfig,
    pub auth: AuthConfig,
    pub retention: RetentionConfig,
    pub cluster: ClusterConfig,
    pub admin: AdminConfig,
    pub plans: BTreeMap<String, PlanConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    pub max_body_bytes: usize,
    pub max_head_bytes: usize,
    pub max_uri_bytes: usize,
    pub max_connections: usize,
    pub header_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    pub body_timeout_ms: u64,
    pub docs_enabled: bool,
    pub log: String,
    pub shutdown_deadline_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    pub group_commit_max_rows: usize,
    pub group_commit_linger_ms: u64,
    pub group_commits_in_flight: usize,
    pub writer_queue: usize,
    pub durability: crate::store::Durability,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    pub min_cycle_interval_ms: u64,
    pub snapshot_every: u64,
    pub batch_max: usize,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActorsConfig {
    pub idle_timeout_ms: u64,
    pub max_resident: usize,
    pub passivations_per_second: u32,
    pub mailbox_capacity: usize,
    pub restart_max: u32,
    pub restart_window_ms: u64,
    pub restart_backoff_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub bootstrap_key: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    pub deleted_days: u64,
    pub purge_interval_ms: u64,
    /// History and drift events older than this many days are dropped (0: kept forever).
    pub history_days: u64,
}

/// The operators' listener (`docs/operations.md`); an empty `bind` is none.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    pub bind: String,
    pub token: String,
}

/// Cluster mode (`docs/cluster.md`); an empty `node_id` is a single node.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    pub node_id: String,
    pub advertise: String,
    pub lease_ms: u64,
    pub renew_interval_ms: u64,
    pub validity_ms: u64,
    pub scan_interval_ms: u64,
    pub takeover_delay_ms: u64,
    pub acquire_per_second: u32,
    pub release_per_second: u32,
    pub activations_per_second: u32,
    pub drain_grace_ms: u64,
    pub haproxy_admin: String,
    pub haproxy_map: String,
}

impl ClusterConfig {
    pub fn enabled(&self) -> bool {
        !self.node_id.is_empty()
    }
}

/// Limits of one plan; a missing limit is no limit.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub requests_per_minute: Option<u32>,
    pub monthly_cycles: Option<u64>,
}

/// A setting that cannot be used, named as the operator wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Parse(String),
    #[error("configuration: {key} = {value:?}: {reason}")]
    Invalid {
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    /// A reload changed a setting that only a restart can change.
    #[error("configuration: {key} cannot change while the server runs (restart to change it)")]
    NotLive { key: String },
}

/// Where settings come from: a config file and environment variables.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `IDENTITY_OS_CONFIG`: a file that must exist.
    pub file: Option<String>,
    /// Every `IDENTITY_OS_*` variable, name without the prefix (any case).
    pub env: Vec<(String, String)>,
}

impl Sources {
    /// The process's own environment.
    pub fn from_process() -> Sources {
        const PREFIX: &str = "IDENTITY_OS_";
        let env = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix(PREFIX).map(|k| (k.to_owned(), v)))
            .collect::<Vec<_>>();
        Sources {
            file: env
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("config"))
                .map(|(_, v)| v.clone()),
            env,
        }
    }
}

/// A loaded configuration and where each of its values came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub settings: Vec<Setting>,
}

impl Config {
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        Config::load_traced(sources).map(|loaded| loaded.config)
    }

    /// As [`Config::load`], with every setting's origin (for `config show`).
    pub fn load_traced(sources: &Sources) -> Result<Loaded, ConfigError> {
        let figment = Config::figment(sources)?;
        let config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Parse(one_line(&e)))?;
        config.validate()?;
        let settings = origin::settings(&config, &figment);
        Ok(Loaded { config, settings })
    }

    fn figment(sources: &Sources) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        match &sources.file {
            Some(path) => {
                if !std::path::Path::new(path).is_file() {
                    return Err(ConfigError::Invalid {
                        key: "IDENTITY_OS_CONFIG",
                        value: path.clone(),
                        reason: "no such file",
                    });
                }
                figment = figment.merge(Toml::file(path));
            }
            None if std::path::Path::new(DEFAULT_PATH).is_file() => {
                figment = figment.merge(Toml::file(DEFAULT_PATH));
            }
            None => {}
        }
        let vars: Vec<(String, String)> = sources
            .env
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("config"))
            .map(|(k, v)| {
                let key = k.to_ascii_lowercase();
                let key = SHORT_FORMS
                    .iter()
                    .find(|(short, _)| *short == key)
                    .map_or(key, |(_, long)| (*long).to_owned());
                (key, v.clone())
            })
            .collect();
        Ok(figment.merge(EnvPairs(vars)))
    }

    /// The log filter `server.log` names. PostgreSQL notices ("relation … already
    /// exists, skipping") are not news, unless the filter asks for sqlx.
    pub fn log_filter(&self) -> Result<EnvFilter, ConfigError> {
        let log = &self.server.log;
        let directives = if log.contains("sqlx") {
            log.clone()
        } else {
            format!("{log},sqlx::postgres::notice=warn")
        };
        EnvFilter::try_new(directives).map_err(|_| ConfigError::Invalid {
            key: "server.log",
            value: log.clone(),
            reason: "not a log filter, e.g. \"info\" or \"identity_os=debug\"",
        })
    }

    /// The admin listener's address, if one is set.
    pub fn admin_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        if self.admin.bind.is_empty() {
            return Ok(None);
        }
        self.admin
            .bind
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::Invalid {
                key: "admin.bind",
                value: self.admin.bind.clone(),
                reason: "expected host:port, e.g. 127.0.0.1:9000",
            })
    }

    /// The admin listener is for operators: off the loopback interface it needs a token.
    fn validate_admin(&self) -> Result<(), ConfigError> {
        let token = &self.admin.token;
        if !token.is_empty() && token.len() < MIN_ADMIN_TOKEN {
            return Err(ConfigError::Invalid {
                key: "admin.token",
                value: "<hidden>".into(),
                reason: "must be at least 16 characters",
            });
        }
        if let Some(addr) = self.admin_addr()?
            && !addr.ip().is_loopback()
            && token.is_empty()
        {
            return Err(ConfigError::Invalid {
                key: "admin.token",
                value: String::new(),
                reason: "required when admin.bind is not a loopback address",
            });
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, value: String, reason| ConfigError::Invalid { key, value, reason };
        self.bind_addr()?;
        let url = &self.database.url;
        if !(url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("sqlite:"))
        {
            return Err(invalid(
                "database.url",
                url.clone(),
                "expected postgres://… or sqlite://…",
            ));
        }
        let key = &self.auth.bootstrap_key;
        if !key.is_empty() && !crate::api_key::is_well_formed(key) {
            return Err(invalid(
                "auth.bootstrap_key",
                "<hidden>".into(),
                "expected idos_sk_ followed by at least 24 letters or digits",
            ));
        }
        if self.server.max_head_bytes < MIN_HEAD_BYTES {
            return Err(invalid(
                "server.max_head_bytes",
                self.server.max_head_bytes.to_string(),
                "must be at least 8192",
            ));
        }
        let positive: [(&'static str, u64); 12] = [
            ("server.max_uri_bytes", self.server.max_uri_bytes as u64),
            ("server.max_connections", self.server.max_connections as u64),
            ("server.header_timeout_ms", self.server.header_timeout_ms),
            ("server.idle_timeout_ms", self.server.idle_timeout_ms),
            ("server.body_timeout_ms", self.server.body_timeout_ms),
            ("engine.snapshot_every", self.engine.snapshot_every),
            ("engine.batch_max", self.engine.batch_max as u64),
            ("server.max_body_bytes", self.server.max_body_bytes as u64),
            (
                "database.max_connections",
                u64::from(self.database.max_connections),
            ),
            ("actors.max_resident", self.actors.max_resident as u64),
            (
                "actors.passivations_per_second",
                u64::from(self.actors.passivations_per_second),
            ),
            (
                "actors.mailbox_capacity",
                self.actors.mailbox_capacity as u64,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(invalid(key, value.to_string(), "must be at least 1"));
            }
        }
        self.validate_cluster()?;
        self.validate_admin()?;
        self.log_filter()?;
        if !self.plans.contains_key("unlimited") {
            return Err(invalid(
                "plans",
                String::new(),
                "the `unlimited` plan must exist (bootstrap keys use it)",
            ));
        }
        Ok(())
    }

    /// Cluster mode needs PostgreSQL, a node name fit for a header and a lease whose
    /// local validity ends before another node can take it.
    fn validate_cluster(&self) -> Result<(), ConfigError> {
        let c = &self.cluster;
        if !c.enabled() {
            return Ok(());
        }
        let invalid = |key, value: String, reason| ConfigError::Invalid { key, value, reason };
        if self.database.url.starts_with("sqlite:") {
            return Err(invalid(
                "cluster.node_id",
                c.node_id.clone(),
                "cluster mode needs PostgreSQL: database.url is SQLite (a single node only)",
            ));
        }
        let fit = c.node_id.len() <= 64
            && c.node_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !fit {
            return Err(invalid(
                "cluster.node_id",
                c.node_id.clone(),
                "expected at most 64 letters, digits, '-', '_' or '.'",
            ));
        }
        if !c.advertise.is_empty() && c.advertise.parse::<SocketAddr>().is_err() {
            return Err(invalid(
                "cluster.advertise",
                c.advertise.clone(),
                "expected host:port, e.g. 127.0.0.2:8000",
            ));
        }
        if c.renew_interval_ms == 0 || c.renew_interval_ms >= c.validity_ms {
            return Err(invalid(
                "cluster.renew_interval_ms",
                c.renew_interval_ms.to_string(),
                "must be at least 1 and below cluster.validity_ms",
            ));
        }
        if c.validity_ms >= c.lease_ms {
            return Err(invalid(
                "cluster.validity_ms",
                c.validity_ms.to_string(),
                "must be below cluster.lease_ms: a node stops serving before its lease can be taken",
            ));
        }
        let positive = [
            ("cluster.scan_interval_ms", c.scan_interval_ms),
            (
                "cluster.acquire_per_second",
                u64::from(c.acquire_per_second),
            ),
            (
                "cluster.release_per_second",
                u64::from(c.release_per_second),
            ),
            (
                "cluster.activations_per_second",
                u64::from(c.activations_per_second),
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(invalid(key, value.to_string(), "must be at least 1"));
            }
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.bind.parse().map_err(|_| ConfigError::Invalid {
            key: "server.bind",
            value: self.server.bind.clone(),
            reason: "expected host:port, e.g. 127.0.0.1:8000",
        })
    }

    pub fn min_cycle_interval(&self) -> Duration {
        Duration::from_millis(self.engine.min_cycle_interval_ms)
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention.deleted_days.saturating_mul(86_400))
    }

    /// How long history is kept, if not forever.
    pub fn history_retention(&self) -> Option<Duration> {
        let days = self.retention.history_days;
        (days > 0).then(|| Duration::from_secs(days.saturating_mul(86_400)))
    }
}

/// The environment's name as a figment source.
const ENV_SOURCE: &str = "IDENTITY_OS_* environment variables";

/// Environment pairs as a figment provider: `section__key` nests into `section.key`,
/// and values are read as TOML-ish scalars (`1000`, `true`, text).
struct EnvPairs(Vec<(String, String)>);

impl figment::Provider for EnvPairs {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(ENV_SOURCE)
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        let mut dict = figment::value::Dict::new();
        for (key, raw) in &self.0 {
            let value = raw
                .parse::<figment::value::Value>()
                .unwrap_or_else(|_| raw.clone().into());
            if let figment::value::Value::Dict(_, d) =
                figment::util::nest(&key.replace("__", "."), value)
            {
                dict = merge(dict, d);
            }
        }
        Ok(figment::Profile::Default.collect(dict))
    }
}

fn merge(mut into: figment::value::Dict, from: figment::value::Dict) -> figment::value::Dict {
    for (k, v) in from {
        match (into.remove(&k), v) {
            (Some(figment::value::Value::Dict(_, a)), figment::value::Value::Dict(tag, b)) => {
                into.insert(k, figment::value::Value::Dict(tag, merge(a, b)));
            }
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
    into
}

/// figment errors can span lines; the operator gets one.
fn one_line(e: &figment::Error) -> String {
    e.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Sources {
        Sources {
            file: None,
            env: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load(&env(pairs))
    }

    #[test]
    fn cluster_mode_needs_postgresql_and_a_validity_inside_the_lease() {
        assert!(!load(&[]).is_ok_and(|c| c.cluster.enabled()));
        let sqlite = load(&[("cluster__node_id", "n1")]);
        assert!(
            matches!(
                &sqlite,
                Err(ConfigError::Invalid {
                    key: "cluster.node_id",
                    ..
                })
            ),
            "{sqlite:?}"
        );
        let pg = ("database_url", "postgres://postgres@127.0.0.1/test");
        let c = load(&[pg, ("cluster__node_id", "n-1.a")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.cluster.enabled());
        for (key, bad, named) in [
            ("cluster__node_id", "n 1", "cluster.node_id"),
            ("cluster__validity_ms", "6000", "cluster.validity_ms"),
            (
                "cluster__renew_interval_ms",
                "4000",
                "cluster.renew_interval_ms",
            ),
            ("cluster__advertise", "somewhere", "cluster.advertise"),
        ] {
            let r = load(&[pg, ("cluster__node_id", "n1"), (key, bad)]);
            assert!(
                matches!(&r, Err(ConfigError::Invalid { key, .. }) if *key == named),
                "{key}={bad}: {r:?}"
            );
        }
    }

    #[test]
    fn defaults_are_the_shipped_file() {
        let c = load(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.server.bind, "127.0.0.1:8000");
        assert_eq!(c.database.url, "sqlite://data/identity-os.db");
        assert_eq!(c.min_cycle_interval(), Duration::from_secs(1));
        assert_eq!(c.plans["free"].requests_per_minute, Some(10));
        assert_eq!(c.plans["pro"].monthly_cycles, Some(500_000));
        assert_eq!(c.plans["unlimited"], PlanConfig::default());
        assert!(!c.server.docs_enabled);
        assert_eq!(c.retention(), Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn short_forms_and_section_keys_override() {
        let c = load(&[
            ("BIND", "127.0.0.1:0"),
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
            ("MIN_CYCLE_INTERVAL_MS", "10"),
            ("DOCS_ENABLED", "true"),
            ("LOG", "identity_os=debug"),
            ("DATABASE__MAX_CONNECTIONS", "32"),
            ("PLANS__FREE__REQUESTS_PER_MINUTE", "5"),
            ("BOOTSTRAP_KEY", "idos_sk_abcdefghijklmnopqrstuvwx"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.bind_addr().map(|a| a.port()), Ok(0));
        assert_eq!(c.database.url, "postgres://postgres@127.0.0.1/test");
        assert_eq!(c.engine.min_cycle_interval_ms, 10);
        assert!(c.server.docs_enabled);
        assert_eq!(c.server.log, "identity_os=debug");
        assert_eq!(c.database.max_connections, 32);
        assert_eq!(c.plans["free"].requests_per_minute, Some(5));
        assert_eq!(c.auth.bootstrap_key, "idos_sk_abcdefghijklmnopqrstuvwx");
    }

    #[test]
    fn bad_settings_name_themselves_in_one_line() {
        let err = load(&[("BIND", "not an address")]).map(|_| ());
        assert!(
            matches!(
                err,
                Err(ConfigError::Invalid {
                    key: "server.bind",
                    ..
                })
            ),
            "{err:?}"
        );
        let err = load(&[("DATABASE_URL", "mysql://x")]).map(|_| ());
        assert!(matches!(
            err,
            Err(ConfigError::Invalid {
                key: "database.url",
                ..
            })
        ));
        let err = load(&[("BOOTSTRAP_KEY", "letmein")]).map(|_| ());
        assert!(matches!(
            err,
            Err(ConfigError::Invalid {
                key: "auth.bootstrap_key",
                ..
            })
        ));
        let err = load(&[("ENGINE__BATCH_MAX", "0")]).map(|_| ());
        assert!(matches!(
            err,
            Err(ConfigError::Invalid {
                key: "engine.batch_max",
                ..
            })
        ));
        for bad in [
            ("MIN_CYCLE_INTERVAL_MS", "soon"),
            ("SERVER__NO_SUCH_KEY", "1"),
        ] {
            let err = load(&[bad]).map(|_| ());
            let Err(ConfigError::Parse(line)) = err else {
                panic!("{bad:?} accepted")
            };
            assert!(!line.contains('\n'));
            assert!(
                line.to_lowercase()
                    .contains(&bad.0.to_lowercase().replace("server__", "")),
                "{line}"
            );
        }
        let missing = Sources {
            file: Some("/nonexistent/identity-os.toml".into()),
            env: Vec::new(),
        };
        assert!(matches!(
            Config::load(&missing),
            Err(ConfigError::Invalid {
                key: "IDENTITY_OS_CONFIG",
                ..
            })
        ));
    }
}
