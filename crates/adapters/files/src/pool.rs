//! `BlockingPool` on tokio's blocking threads, at most N jobs at once.

use std::sync::Arc;

use gatherhub_ports::{BlockingError, BlockingPool};
use tokio::sync::Semaphore;

/// Runs jobs with `spawn_blocking`, never more than `max_concurrency` at a
/// time; the others wait, as cheap futures, in FIFO order.
///
/// The bound is what keeps memory in check: an image job holds a decoded
/// image (tens of MiB at the size limit), and tokio's blocking pool would
/// otherwise start up to 512 of them at once. A job keeps its permit until it
/// finishes, even when the request that started it was dropped, so cancelled
/// requests cannot exceed the bound either.
///
/// Must be used from inside a tokio runtime.
#[derive(Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    /// A pool running at most `max_concurrency` jobs at once (at least one).
    pub fn new(max_concurrency: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrency.max(1))),
        }
    }

    /// A pool sized to the machine's available parallelism.
    pub fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }
}

#[async_trait::async_trait]
impl BlockingPool for CpuPool {
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>) -> Result<(), BlockingError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| BlockingError("the pool is closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job();
        })
        .await
        .map_err(|error| {
            BlockingError(if error.is_panic() {
                "the job panicked".into()
            } else {
                "the job was cancelled".into()
            })
        })
    }
}
