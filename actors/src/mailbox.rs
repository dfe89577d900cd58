//! The bound on queued calls per actor.
//!
//! ractor's mailboxes are unbounded, so a hot entity could queue requests without limit.
//! Each slot counts the calls sent to its actor and not yet finished; a [`Permit`] travels
//! inside the message and gives its place back when dropped — after the call is handled,
//! or when the message is dropped with a stopping actor — so the count never leaks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The queue length of one slot.
#[derive(Default)]
pub(crate) struct Mailbox {
    queued: Arc<AtomicUsize>,
}

/// One queued call's place in a [`Mailbox`].
pub(crate) struct Permit {
    queued: Arc<AtomicUsize>,
}

impl Mailbox {
    /// A place for one more call, unless `capacity` calls are already queued.
    pub(crate) fn reserve(&self, capacity: usize) -> Option<Permit> {
        let mut current = self.queued.load(Ordering::Relaxed);
        loop {
            if current >= capacity {
                return None;
            }
            match self.queued.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    metrics::histogram!("identity_os_actor_mailbox_depth")
                        .record((current + 1) as f64);
                    return Some(Permit {
                        queued: self.queued.clone(),
                    });
                }
                Err(actual) => current = actual,
            }
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.queued.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_come_back_when_permits_drop() {
        let mailbox = Mailbox::default();
        let a = mailbox.reserve(2);
        let b = mailbox.reserve(2);
        assert!(a.is_some() && b.is_some());
        assert!(mailbox.reserve(2).is_none());
        drop(a);
        assert!(mailbox.reserve(2).is_some());
    }
}
