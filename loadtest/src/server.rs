//! Starting the processes a run measures on a free loopback port: the Identity OS server
//! under test (`--server-bin`; for `recovery`, which kills and restarts it, and for
//! `--compare`, which runs it once per durability mode) and the baseline, which runs as a
//! process of its own like the server does.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A started process; it is killed when dropped.
pub struct Launched {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Starts `bin` with exactly the `IDENTITY_OS_*` settings `env` (a cluster node on an
/// address of its own) and waits until it reports its address; its log is appended to
/// `log`, if given.
pub async fn launch_env(
    bin: &str,
    env: &[(String, String)],
    log: Option<&Path>,
) -> Result<Launched, String> {
    let mut command = Command::new(bin);
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Launched::start(command, bin, log).await
}

/// Starts `bin` on `database_url` with bootstrap key `key` and extra `IDENTITY_OS_*`
/// settings, and waits until it reports its address.
pub async fn launch(
    bin: &str,
    database_url: &str,
    key: &str,
    settings: &[(&str, &str)],
) -> Result<Launched, String> {
    let mut command = Command::new(bin);
    command
        .env("IDENTITY_OS_BIND", "127.0.0.1:0")
        .env("IDENTITY_OS_DATABASE_URL", database_url)
        .env("IDENTITY_OS_BOOTSTRAP_KEY", key)
        .env("IDENTITY_OS_LOG", "info")
        .envs(settings.iter().copied());
    Launched::start(command, bin, None).await
}

/// Starts this tool's own baseline (`loadtest baseline`) answering with the bytes of
/// `reply`: in a process of its own, so that it shares the machine with the load
/// generator the way the server under test does, not a runtime.
pub async fn launch_baseline(reply: &Path) -> Result<Launched, String> {
    let exe = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let mut command = Command::new(&exe);
    command
        .args(["baseline", "--bind", "127.0.0.1:0", "--reply"])
        .arg(reply);
    Launched::start(command, "the baseline", None).await
}

impl Launched {
    /// Spawns `command` and waits for the `address=HOST:PORT` it logs on stderr; the
    /// rest of its log goes to `log` (appended), if given.
    async fn start(
        mut command: Command,
        what: &str,
        log: Option<&Path>,
    ) -> Result<Launched, String> {
        let mut log = match log {
            Some(path) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            ),
            None => None,
        };
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("start {what}: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let address = tokio::time::timeout(Duration::from_secs(120), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("address=").nth(1) {
                    return Some(
                        rest.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| format!("{what} did not report its address"))?;
        // Keep draining its log so that it never blocks on a full pipe.
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(file) = &mut log {
                    let _ = writeln!(file, "{line}");
                }
            }
        });
        Ok(Launched {
            child,
            base: format!("http://{address}"),
        })
    }

    /// CPU time the process has used so far (`/proc`; `None` off Linux or once it
    /// has exited).
    pub fn cpu_time(&self) -> Option<Duration> {
        crate::cpu::of_process(self.child.id()?)
    }
}
