//! Live reload: SIGHUP or `POST /admin/reload` reads the same sources as start-up (the
//! config file, then `IDENTITY_OS_*` variables) and applies the result all or nothing.
//!
//! All or nothing: the new configuration is loaded and validated whole, and compared
//! with the one in force (`config/live.rs`); a value that does not parse or validate, or
//! any change to a setting that is not live, refuses the reload with one line naming the
//! key, and nothing changes. Only then is it applied, by steps that cannot fail: each
//! part of the server swaps in its new setting, which its next use reads, so no request
//! in flight is disturbed.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tracing_subscriber::EnvFilter;

use crate::config::{Change, Config, ConfigError, Loaded, Setting, Sources, changes};
use crate::http::AppState;

/// Swaps the process's log filter (installed by `main`; a test server has none).
pub type SwapLogFilter = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

pub struct Reloader {
    state: AppState,
    log_filter: Option<SwapLogFilter>,
    /// The settings in force with their origins, for `GET /admin/config`.
    settings: ArcSwap<Vec<Setting>>,
    /// One reload at a time: two would each compare with the same old configuration.
    busy: tokio::sync::Mutex<()>,
}

impl Reloader {
    pub fn new(
        state: AppState,
        settings: Vec<Setting>,
        log_filter: Option<SwapLogFilter>,
    ) -> Reloader {
        Reloader {
            state,
            log_filter,
            settings: ArcSwap::from_pointee(settings),
            busy: tokio::sync::Mutex::new(()),
        }
    }

    /// Reloads from the process's sources; logs and counts the outcome.
    pub async fn reload(&self) -> Result<Vec<Change>, ConfigError> {
        let _one_at_a_time = self.busy.lock().await;
        let outcome = Config::load_traced(&Sources::from_process()).and_then(|new| self.apply(new));
        match &outcome {
            Ok(changed) => {
                metrics::counter!("identity_os_config_reloads_total", "outcome" => "applied")
                    .increment(1);
                let list: Vec<String> = changed.iter().map(Change::to_string).collect();
                tracing::info!(changes = %list.join("; "), count = list.len(), "configuration reloaded");
            }
            Err(e) => {
                metrics::counter!("identity_os_config_reloads_total", "outcome" => "refused")
                    .increment(1);
                tracing::warn!(error = %e, "configuration reload refused; nothing changed");
            }
        }
        outcome
    }

    /// The settings in force, each with where its value came from.
    pub fn settings(&self) -> Vec<Setting> {
        self.settings.load().to_vec()
    }

    /// Applies `loaded` if it differs from the configuration in force only in live
    /// settings.
    fn apply(&self, loaded: Loaded) -> Result<Vec<Change>, ConfigError> {
        let Loaded {
            config: new,
            settings,
        } = loaded;
        let state = &self.state;
        let old = state.config.load_full();
        let changed = changes(&old, &new)?;
        // Origins can change with equal values (a default now written in the file).
        self.settings.store(Arc::new(settings));
        if changed.is_empty() {
            return Ok(changed);
        }
        let log_filter = new.log_filter()?;
        // Validated whole: from here on nothing can fail.
        if new.server.log != old.server.log
            && let Some(swap) = &self.log_filter
            && let Err(e) = swap(log_filter)
        {
            tracing::warn!(error = %e, "the log filter could not be swapped");
        }
        state
            .instances
            .reconfigure(crate::server::runtime_config(&new));
        let db = &new.database;
        state.store.set_group_commit(
            db.group_commit_max_rows,
            Duration::from_millis(db.group_commit_linger_ms),
        );
        state.rate_limits.reconfigure(&new.plans);
        state.quotas.reconfigure(&new.plans);
        state.openapi.refresh(&new);
        state.config.store(Arc::new(new));
        Ok(changed)
    }
}

/// Reloads on every SIGHUP until the process ends.
pub async fn on_sighup(reloader: Arc<Reloader>) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP: reload only through the admin port");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading the configuration");
        // The outcome is logged by `reload`.
        let _ = reloader.reload().await;
    }
}
