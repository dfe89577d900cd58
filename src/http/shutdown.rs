//! Graceful shutdown as a value: a flag readiness checks and a signal tasks wait on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    draining: AtomicBool,
    /// Out of the load balancer's rotation (`/readyz` 503) while still serving: the
    /// cluster's grace before draining.
    unready: AtomicBool,
    notify: Notify,
}

impl Shutdown {
    /// Starts draining: `/readyz` answers 503 and waiters wake.
    pub fn begin(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// `/readyz` answers 503 from now on; serving goes on until [`Shutdown::begin`].
    pub fn leave_rotation(&self) {
        self.inner.unready.store(true, Ordering::SeqCst);
    }

    /// Whether `/readyz` should answer 503.
    pub fn is_unready(&self) -> bool {
        self.inner.unready.load(Ordering::SeqCst) || self.is_draining()
    }

    /// Resolves once draining has begun.
    pub async fn wait(&self) {
        let notified = self.inner.notify.notified();
        if self.is_draining() {
            return;
        }
        notified.await;
    }
}
