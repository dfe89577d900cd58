//! Setup and check steps that send one request per item, a bounded number at a time.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Runs `work` on every item with at most `concurrency` in flight; the outputs come back
/// in item order, or the first error.
pub async fn each<T, R, F, Fut>(
    items: impl IntoIterator<Item = T>,
    concurrency: usize,
    work: F,
) -> Result<Vec<R>, String>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<R, String>> + Send + 'static,
    R: Send + 'static,
{
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::new();
    for item in items {
        let slot = slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let job = work(item);
        tasks.push(tokio::spawn(async move {
            let out = job.await;
            drop(slot);
            out
        }));
    }
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.map_err(|e| e.to_string())??);
    }
    Ok(outputs)
}
