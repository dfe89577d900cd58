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

    /// Resolves once draining has begun.
    pub async fn wait(&self) {
        let notified = self.inner.notify.notified();
        if self.is_draining() {
            return;
        }
        notified.await;
    }
}
