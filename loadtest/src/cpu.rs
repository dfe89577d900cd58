//! CPU time from `/proc` (Linux only): of a process, of this load generator, and of
//! every PostgreSQL process on the machine. A report divides it by the answers counted,
//! so that it says where each answer's CPU went, not only how fast answers came: on a
//! machine whose cores the load generator, the server and the database share, those
//! figures are what bound every throughput ratio.

use std::time::Duration;

/// CPU time (user + system) process `pid` has used so far; `None` off Linux or once it
/// has exited.
pub fn of_process(pid: u32) -> Option<Duration> {
    ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?).map(|(_, t)| t)
}

/// This process's CPU time so far: the load generator's own share.
pub fn of_self() -> Option<Duration> {
    ticks(&std::fs::read_to_string("/proc/self/stat").ok()?).map(|(_, t)| t)
}

/// The CPU time of every running process named `postgres` (the postmaster, its
/// backends and background workers), whichever database they serve, with what their
/// exited children used: a backend whose connection closed (a pool recycles them) leaves
/// its time to the postmaster. `None` when there are none or `/proc` cannot be read.
pub fn of_postgres() -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(("postgres", time)) = ticks(&stat) {
            total += time + children(&stat).unwrap_or_default();
            found = true;
        }
    }
    found.then_some(total)
}

/// The user + system time of a process's exited and reaped children (cutime, cstime).
fn children(stat: &str) -> Option<Duration> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The command name and user + system time of a `/proc/<pid>/stat` line.
fn ticks(stat: &str) -> Option<(&str, Duration)> {
    // The command name is in parentheses and may hold spaces; after it, utime and stime
    // are the 12th and 13th fields, in ticks of USER_HZ (100 on Linux, fixed by its ABI).
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((name, Duration::from_millis(ticks * 10)))
}

/// Microseconds of CPU per answer between two readings.
pub fn per_answer(before: Option<Duration>, after: Option<Duration>, answered: u64) -> Option<f64> {
    let used = after?.checked_sub(before?)?;
    (answered > 0).then(|| used.as_secs_f64() * 1e6 / answered as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_its_name_and_time() {
        let line = "4242 (tokio rt) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0 100 0 0";
        assert_eq!(ticks(line), Some(("tokio rt", Duration::from_secs(3))));
        assert_eq!(children(line), Some(Duration::ZERO));
        let reaped = "7 (postgres) S 1 2 3 4 5 6 7 8 9 10 250 50 120 30 20 0 8 0 100 0 0";
        assert_eq!(children(reaped), Some(Duration::from_millis(1500)));
    }
}
