//! Tracing setup: human-readable lines in development, one JSON object per
//! line in production (`LOG_FORMAT`). `RUST_LOG` wins over `LOG_LEVEL`.
//!
//! What is logged is decided where it is logged: request lines carry the
//! method, the path (never the query string, which may hold a `?token=`), the
//! status and the request id; no handler logs bodies, tokens, passwords or
//! emails (`tests/api/ops_logs.rs` holds them to it).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are ignored (tests spawn
/// many apps in one process).
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // Already installed: keep the first subscriber.
    drop(result);
}
