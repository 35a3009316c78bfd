//! Running CPU-heavy work (image decoding and encoding) away from the async
//! workers, which must never block. The core stays free of any runtime: the
//! adapter decides where the work runs and how much of it at once.

/// A job that could not run to completion.
#[derive(Debug, thiserror::Error)]
#[error("blocking job failed: {0}")]
pub struct BlockingError(pub String);

/// A place to run blocking work.
#[async_trait::async_trait]
pub trait BlockingPool: Send + Sync {
    /// Runs `job` to completion on a thread where blocking is allowed, and
    /// resolves when it has finished. MUST return an error, never panic, when
    /// the job panicked or could not be started. An adapter SHOULD bound how
    /// many jobs run at once (each may hold a large decoded image), queueing
    /// the rest.
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>) -> Result<(), BlockingError>;
}
