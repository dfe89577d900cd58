//! The `identity-os` command line: `serve` (default), `migrate`, `keys`, `openapi`,
//! `cluster status`, `config check|show`.

use clap::{Parser, Subcommand};

use crate::api_key;
use crate::config::{Config, Loaded, Sources};
use crate::ids::KeyId;
use crate::server::{self, StartError};
use crate::timestamp::Timestamp;

#[derive(Debug, Parser)]
#[command(
    name = "identity-os",
    version,
    about = "Stateful personality models for AI agents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API keys (works while a server runs on the same database).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the OpenAPI document the server serves at /openapi.json (needs no
    /// database), for client generators.
    Openapi,
    /// Cluster mode (docs/cluster.md).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// The settings (config/default.toml, docs/operations.md); needs no database.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Checks FILE (default: the file the server would read) exactly as the server loads
    /// it at start, IDENTITY_OS_* variables included; a bad value is named in one line
    /// and the exit status is non-zero.
    Check { file: Option<String> },
    /// Prints every setting in force, each with where its value came from (default,
    /// file, environment) and whether a reload can change it; secrets redacted.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// The live nodes (shards, epochs, lease time left, heartbeat age) and the shards no
    /// node holds, from the database.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an account on PLAN with a new key; prints the key alone on stdout.
    Create {
        #[arg(long)]
        plan: String,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// One key a line: id, plan, label, created time, revoked or active.
    List,
    /// Revoke a key by its id (key_…).
    Revoke { id: String },
}

/// `openapi`: the document as the server serves it.
pub fn openapi(config: &Config) -> Result<String, StartError> {
    serde_json::to_string_pretty(&crate::http::document(config))
        .map_err(|e| StartError(format!("openapi: {e}")))
}

/// `config check` and `config show`, on settings already loaded from `sources`.
pub fn config(command: &ConfigCommand, sources: &Sources, loaded: &Loaded) -> String {
    match command {
        ConfigCommand::Check { .. } => {
            let what = match &sources.file {
                Some(file) => file.clone(),
                None if std::path::Path::new(crate::config::DEFAULT_PATH).is_file() => {
                    crate::config::DEFAULT_PATH.to_owned()
                }
                None => "built-in defaults".to_owned(),
            };
            format!("{what}: ok ({} settings)", loaded.settings.len())
        }
        ConfigCommand::Show => loaded
            .settings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Runs a command other than `serve`; returns what to print on stdout.
pub async fn run_admin(command: Command, config: Config) -> Result<String, StartError> {
    if let Command::Keys(KeysCommand::Create { plan, .. }) = &command
        && !config.plans.contains_key(plan)
    {
        let known: Vec<_> = config.plans.keys().map(String::as_str).collect();
        return Err(StartError(format!(
            "--plan {plan:?}: unknown plan (configured: {})",
            known.join(", ")
        )));
    }
    let store = server::open_store(&config).await?;
    let fail = |e: crate::store::StoreError| StartError(format!("keys: {e}"));
    let out = match command {
        // Served by `main` without a database.
        Command::Serve | Command::Openapi | Command::Config(_) => String::new(),
        Command::Migrate => "migrations applied".to_owned(),
        Command::Keys(KeysCommand::Create { plan, label }) => {
            let key = api_key::generate();
            server::create_key(&store, &plan, &api_key::hash(&key), &label)
                .await
                .map_err(fail)?;
            key
        }
        Command::Keys(KeysCommand::List) => store
            .list_keys()
            .await
            .map_err(fail)?
            .iter()
            .map(|k| {
                let state = match k.revoked_at {
                    Some(at) => format!("revoked {}", at.to_rfc3339()),
                    None => "active".to_owned(),
                };
                format!(
                    "{}\t{}\t{}\t{}\t{state}",
                    k.id,
                    k.plan,
                    k.label,
                    k.created_at.to_rfc3339()
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Command::Cluster(ClusterCommand::Status) => {
            let crate::store::Backend::Postgres(pool) = store.backend() else {
                return Err(StartError(
                    "cluster status: cluster mode needs PostgreSQL (database.url is SQLite)".into(),
                ));
            };
            crate::cluster::status(pool, config.cluster.validity_ms)
                .await
                .map_err(|e| StartError(format!("cluster status: {e}")))?
                .render()
        }
        Command::Keys(KeysCommand::Revoke { id }) => {
            let id = KeyId::parse(&id).map_err(|e| StartError(e.to_string()))?;
            let key = store
                .revoke_key(&id, Timestamp::now())
                .await
                .map_err(|e| match e {
                    crate::store::StoreError::NotFound => StartError(format!("no key {id}")),
                    e => fail(e),
                })?;
            format!("revoked {}", key.id)
        }
    };
    store.close().await;
    Ok(out)
}
