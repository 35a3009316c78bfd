//! Tracing setup: human-readable logs by default, JSON when asked for.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are ignored (tests spawn
/// many apps in one process).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // Already installed: keep the first subscriber.
    drop(result);
}
