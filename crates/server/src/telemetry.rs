//! Tracing setup: human-readable lines in development, one JSON object per
//! line in production (`LOG_FORMAT`). `RUST_LOG` wins over `LOG_LEVEL`.
//!
//! What is logged is decided where it is logged: request lines carry the
//! method, the path (never the query string, which may hold a `?token=`), the
//! status and the request id; no handler logs bodies, tokens, passwords or
//! emails (`tests/api/ops_logs.rs` holds them to it).
//!
//! Lines are formatted on the thread that logs them but written to stdout by
//! one background thread (`tracing-appender`): a request worker never waits
//! on a write system call or on a slow log collector behind the pipe. The
//! queue holds 16 384 lines (its slots are allocated up front: the default
//! 128 000 cost 4 MiB of idle memory) and is not lossy: if stdout stays
//! blocked that long, logging waits rather than dropping lines. Keep the returned guard
//! alive for the life of the process: dropping it flushes what is queued.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are ignored (tests spawn
/// many apps in one process) and return `None`.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat, level: &str) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(16_384)
        .thread_name("gatherhub-log")
        .finish(std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // Already installed: keep the first subscriber (and its writer).
    result.is_ok().then_some(guard)
}
