//! Tracing setup: human-readable lines in development, one JSON object per
//! line in production (`LOG_FORMAT`). `RUST_LOG` wins over `LOG_LEVEL`.
//!
//! What is logged is decided where it is logged: every line logged while a
//! request is served names its id, method and path (never the query string,
//! which may hold a `?token=`; [`RequestContext`]), and request lines add the
//! status and latency; no handler logs bodies, tokens, passwords or
//! emails (`crates/server/tests/ops_logs.rs` holds them to it).
//!
//! Lines are formatted on the thread that logs them, appended to a shared
//! buffer, and written to stdout in batches by one background thread
//! (`gatherhub-log`, [`batch`]): every 25 ms, or as soon as 64 KiB are
//! pending, with one write. Logging a line wakes nobody: a request worker
//! never waits on a write system call or on a slow log collector behind the
//! pipe. (The per-line queue used before, `tracing-appender`, woke the writer
//! thread for every line: about 20 µs of CPU per request under load, 7 % of
//! the server's, in futex wakes, yield spinning and one write per line.)
//!
//! A line reaches stdout at most about 25 ms after it is logged. Nothing is
//! allocated up front; buffers grow with the load and shrink back after a
//! burst. Logging is not lossy: if stdout stays blocked until 4 MiB are
//! pending, logging threads wait for the writer rather than drop lines or
//! grow further. If stdout fails (a closed pipe), the batches that fail are
//! lost and one note goes to stderr. Keep the returned guard alive for the
//! life of the process: dropping it writes what is pending (waiting at most
//! 5 s for a stuck stdout) and stops the thread; lines logged after that are
//! discarded.

mod batch;
#[cfg(test)]
mod captured;
mod json;
mod request;
mod text;

pub use batch::{BatchWriter, Limits, LineWriter, LogGuard};
pub use json::{JsonLines, JsonMembers};
pub use request::RequestContext;
pub use text::TextLines;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are ignored (tests spawn
/// many apps in one process) and return `None`. Should the log thread fail to
/// start, lines are written to stdout directly and `None` is returned.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat, level: &str) -> Option<LogGuard> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    match BatchWriter::new(std::io::stdout(), Limits::default()) {
        // Already installed: keep the first subscriber (and its writer); the
        // guard drops here and stops this one's thread.
        Ok((writer, guard)) => install(format, filter, writer).then_some(guard),
        Err(error) => {
            eprintln!("gatherhub: cannot start the log thread ({error}): logging unbuffered");
            install(format, filter, std::io::stdout);
            None
        }
    }
}

/// Installs the subscriber writing to `writer`; false if one was already.
fn install<W>(format: LogFormat, filter: EnvFilter, writer: W) -> bool
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let result = match format {
        LogFormat::Json => builder
            .fmt_fields(JsonMembers)
            .event_format(JsonLines)
            .try_init(),
        LogFormat::Text => builder.event_format(TextLines).try_init(),
    };
    result.is_ok()
}
