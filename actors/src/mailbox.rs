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
    queued: AtomicUsize,
}

/// Whatever owns a [`Mailbox`] (a registry slot); a permit keeps its owner alive.
pub(crate) trait HasMailbox: Send + Sync + 'static {
    fn mailbox(&self) -> &Mailbox;
}

/// One queued call's place in its owner's [`Mailbox`].
pub(crate) struct Permit<O: HasMailbox> {
    owner: Arc<O>,
}

impl Mailbox {
    /// Calls queued now.
    pub(crate) fn depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// A place for one more call in `owner`'s mailbox, unless `capacity` calls are
    /// already queued.
    pub(crate) fn reserve<O: HasMailbox>(owner: &Arc<O>, capacity: usize) -> Option<Permit<O>> {
        let queued = &owner.mailbox().queued;
        let mut current = queued.load(Ordering::Relaxed);
        loop {
            if current >= capacity {
                return None;
            }
            match queued.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    metrics::histogram!("identity_os_actor_mailbox_depth")
                        .record((current + 1) as f64);
                    return Some(Permit {
                        owner: owner.clone(),
                    });
                }
                Err(actual) => current = actual,
            }
        }
    }
}

impl<O: HasMailbox> Drop for Permit<O> {
    fn drop(&mut self) {
        self.owner.mailbox().queued.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl HasMailbox for Mailbox {
        fn mailbox(&self) -> &Mailbox {
            self
        }
    }

    #[test]
    fn places_come_back_when_permits_drop() {
        let owner = Arc::new(Mailbox::default());
        let a = Mailbox::reserve(&owner, 2);
        let b = Mailbox::reserve(&owner, 2);
        assert!(a.is_some() && b.is_some());
        assert!(Mailbox::reserve(&owner, 2).is_none());
        drop(a);
        assert!(Mailbox::reserve(&owner, 2).is_some());
    }
}
