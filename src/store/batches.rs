//! The batching pattern of the activation loader and of creation: one task drains a
//! queue into batches and runs each in a task of its own, a few at once. A batch takes
//! whatever is queued when a slot frees, so under load requests share round trips and
//! commits, while a lone request still goes at once (no linger).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};

/// Starts the draining task; send requests into the returned queue. `work` runs one
/// batch of at most `max_batch` requests; at most `in_flight` run at once.
pub(crate) fn spawn<T, F, Fut>(
    max_batch: usize,
    in_flight: usize,
    work: F,
) -> mpsc::UnboundedSender<T>
where
    T: Send + 'static,
    F: Fn(Vec<T>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(in_flight.max(1)));
        while let Some(first) = rx.recv().await {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let run = work(batch);
            tokio::spawn(async move {
                run.await;
                drop(permit);
            });
        }
    });
    tx
}
