//! Soak sampling: every 10 s of a run, the server's resident memory and open file
//! descriptors and the number of PostgreSQL processes (its connections' backends and its
//! own workers), from `/proc` (Linux only), into the report; afterwards a check or a
//! problem on growth after warm-up (the first third of the run): resident memory fitted
//! by least squares, and flagged when the fit rises by more than 5 % (and 1 MiB) over the
//! rest of the run.
//!
//! The server is the process listening on the target's port (found through
//! `/proc/net/tcp*` and each process's sockets), so any run against a local server is
//! sampled without being told its pid.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How often a sample is taken.
pub const EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    /// Seconds since the run started.
    pub at_secs: f64,
    pub rss_kib: u64,
    pub open_fds: u64,
    pub postgres_processes: u64,
}

/// Samples the server behind `port` every [`EVERY`] until dropped (the returned task is
/// aborted by the caller when the run ends).
pub async fn sample(port: u16, into: std::sync::Arc<std::sync::Mutex<Vec<Sample>>>) {
    let Some(pid) = listening_pid(port) else {
        return;
    };
    let started = Instant::now();
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        let Some(rss_kib) = rss_kib(pid) else {
            return; // The server is gone.
        };
        let sample = Sample {
            at_secs: started.elapsed().as_secs_f64(),
            rss_kib,
            open_fds: open_fds(pid),
            postgres_processes: postgres_processes(),
        };
        if let Ok(mut samples) = into.lock() {
            samples.push(sample);
        }
    }
}

/// The verdict on the samples: `Ok(check)` or `Err(problem)`; `None` with too few
/// samples after warm-up to fit a line (fewer than 3).
pub fn judge(samples: &[Sample]) -> Option<Result<String, String>> {
    let end = samples.last()?.at_secs;
    let settled: Vec<&Sample> = samples.iter().filter(|s| s.at_secs >= end / 3.0).collect();
    if settled.len() < 3 {
        return None;
    }
    let n = settled.len() as f64;
    let (mean_t, mean_r) = (
        settled.iter().map(|s| s.at_secs).sum::<f64>() / n,
        settled.iter().map(|s| s.rss_kib as f64).sum::<f64>() / n,
    );
    let covariance: f64 = settled
        .iter()
        .map(|s| (s.at_secs - mean_t) * (s.rss_kib as f64 - mean_r))
        .sum();
    let variance: f64 = settled.iter().map(|s| (s.at_secs - mean_t).powi(2)).sum();
    let slope = covariance / variance.max(1e-9); // KiB per second
    let span = settled.last()?.at_secs - settled.first()?.at_secs;
    let growth = slope * span;
    let text = format!(
        "server RSS after warm-up: {:.1} MiB on average, fitted slope {:+.1} KiB/min ({:+.1} MiB over the last {:.0} s); open files {}–{}, PostgreSQL processes {}–{}",
        mean_r / 1024.0,
        slope * 60.0,
        growth / 1024.0,
        span,
        settled.iter().map(|s| s.open_fds).min().unwrap_or(0),
        settled.iter().map(|s| s.open_fds).max().unwrap_or(0),
        settled
            .iter()
            .map(|s| s.postgres_processes)
            .min()
            .unwrap_or(0),
        settled
            .iter()
            .map(|s| s.postgres_processes)
            .max()
            .unwrap_or(0),
    );
    Some(if growth > 0.05 * mean_r && growth > 1024.0 {
        Err(format!("{text}: RSS GROWS after warm-up"))
    } else {
        Ok(text)
    })
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

fn postgres_processes() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .count() as u64
}

/// The process that listens on TCP `port` (v4 or v6), by the socket's inode.
fn listening_pid(port: u16) -> Option<u32> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| {
            let text = std::fs::read_to_string(table).ok()?;
            text.lines().skip(1).find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let local_port = fields.get(1)?.rsplit(':').next()?;
                let listening = fields.get(3) == Some(&"0A");
                (listening && u16::from_str_radix(local_port, 16).ok() == Some(port))
                    .then(|| fields.get(9).map(|i| (*i).to_owned()))
                    .flatten()
            })
        })?;
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let fds = std::fs::read_dir(entry.path().join("fd")).ok()?;
            fds.flatten()
                .any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == socket)
                })
                .then_some(pid)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss: impl Fn(f64) -> u64) -> Vec<Sample> {
        (0..30)
            .map(|i| {
                let t = f64::from(i) * 10.0;
                Sample {
                    at_secs: t,
                    rss_kib: rss(t),
                    open_fds: 40,
                    postgres_processes: 20,
                }
            })
            .collect()
    }

    #[test]
    fn growth_after_warm_up_is_flagged_and_flat_memory_is_not() {
        // Warm-up climbs, then flat: fine.
        let flat = samples(|t| {
            if t < 100.0 {
                50_000 + t as u64 * 100
            } else {
                60_000
            }
        });
        assert!(matches!(judge(&flat), Some(Ok(_))), "{:?}", judge(&flat));
        // Still climbing by 1 MiB a minute after warm-up: flagged.
        let leaking = samples(|t| 60_000 + (t * 1024.0 / 60.0) as u64);
        assert!(matches!(judge(&leaking), Some(Err(e)) if e.contains("GROWS")));
        assert_eq!(judge(&leaking[..2]), None);
    }

    #[test]
    fn this_process_is_found_by_its_listening_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        assert_eq!(listening_pid(port), Some(std::process::id()));
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(open_fds(std::process::id()) > 0);
    }
}
