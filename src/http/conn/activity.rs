//! What a connection is doing, and so when it must have done it by.
//!
//! A connection is waiting for a request head (from its accept, or from the first byte
//! of a later request), busy with a request (its head read, its answer not yet given),
//! or idle between requests. The head and idle phases have deadlines
//! (`server.header_timeout_ms`, `server.idle_timeout_ms`); a busy one has none here: a
//! body's own deadline is the extractor's (`server.body_timeout_ms`).

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

pub struct Activity {
    opened: Instant,
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `opened`.
    since_ms: AtomicU64,
}

impl Activity {
    /// A connection just accepted: waiting for its first request's head.
    pub fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        self.since_ms.store(self.now_ms(), Ordering::Release);
        self.phase.store(phase, Ordering::Release);
    }

    /// Bytes came in: if the connection was idle, a request head has begun.
    pub fn bytes_read(&self) {
        if self.phase.load(Ordering::Acquire) == IDLE
            && self
                .phase
                .compare_exchange(IDLE, HEAD, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.since_ms.store(self.now_ms(), Ordering::Release);
        }
    }

    /// A request's head has been read; it is being answered.
    pub fn busy(&self) {
        self.phase.store(BUSY, Ordering::Release);
    }

    /// The answer is given; the connection waits for the next request.
    pub fn idle(&self) {
        self.enter(IDLE);
    }

    /// When the current phase must end, if it has a deadline.
    pub fn deadline(&self, header: Duration, idle: Duration) -> Option<Instant> {
        let limit = match self.phase.load(Ordering::Acquire) {
            HEAD => header,
            IDLE => idle,
            _ => return None,
        };
        let since = Duration::from_millis(self.since_ms.load(Ordering::Acquire));
        Some(self.opened + since + limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phase_has_its_deadline() {
        let (header, idle) = (Duration::from_secs(10), Duration::from_secs(60));
        let a = Activity::new();
        let first = a.deadline(header, idle);
        assert_eq!(
            first,
            Some(a.opened + header),
            "a new connection owes a head"
        );
        a.busy();
        assert_eq!(a.deadline(header, idle), None, "a request being answered");
        a.idle();
        let idle_until = a.deadline(header, idle).unwrap_or(a.opened);
        assert!(idle_until >= a.opened + idle);
        a.bytes_read();
        let head_until = a.deadline(header, idle).unwrap_or(a.opened);
        assert!(
            head_until < idle_until,
            "a begun head has the shorter deadline"
        );
        a.bytes_read();
        assert_eq!(
            a.deadline(header, idle),
            Some(head_until),
            "more bytes do not extend it"
        );
    }
}
