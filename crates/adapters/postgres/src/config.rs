//! How to reach PostgreSQL and how long anything may take: the pool's size and
//! timeouts and the per-connection `statement_timeout`.

use std::fmt;
use std::time::Duration;

/// Connection settings of a [`PgStore`](crate::PgStore). Build it with
/// [`PgConfig::new`] and adjust the public fields. Every wait is bounded so a
/// saturated or unreachable database answers `RepoError::Unavailable` (503)
/// instead of hanging a request.
#[derive(Clone, PartialEq, Eq)]
pub struct PgConfig {
    /// `postgres://user:password@host:port/database`. A secret: the `Debug`
    /// output never shows it.
    pub url: String,
    /// Most connections the pool opens.
    pub max_size: usize,
    /// Longest a caller waits for a pooled connection to become free.
    pub wait_timeout: Duration,
    /// Longest opening (and setting up) a new connection may take.
    pub create_timeout: Duration,
    /// Longest the health check of an idle connection may take before reuse.
    pub recycle_timeout: Duration,
    /// A pooled connection unused for at least this long is health-checked
    /// (`SELECT 1`) before it is handed out; one used more recently is only
    /// checked for being closed or broken, which costs no round trip. Under
    /// load connections come back within milliseconds, so requests do not
    /// pay a ping each; a connection that sat idle through a network cut is
    /// still caught before use. Zero checks every checkout.
    pub ping_after_idle: Duration,
    /// PostgreSQL's `statement_timeout`, set on every new connection. Lock
    /// waits count towards it, so a blocked statement fails instead of hanging.
    pub statement_timeout: Duration,
    /// Shares the pool is split into, one per request worker thread (see
    /// [`bind_worker`](crate::bind_worker)): worker `i` takes its
    /// connections from share `i` first, and those connections are opened
    /// and driven on its own runtime, so a statement costs no wake-up of
    /// another thread. A worker whose share stays in use for a moment
    /// (10 ms) borrows from another. `max_size` is split between them (at most one share
    /// per connection). 1, the default, is one pool for every thread.
    pub shards: usize,
}

impl PgConfig {
    pub const DEFAULT_MAX_SIZE: usize = 16;
    pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(2);
    pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(3);
    pub const DEFAULT_RECYCLE_TIMEOUT: Duration = Duration::from_secs(2);
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

    /// The defaults (pool of 16, wait 2 s, create 3 s, recycle 2 s, statements
    /// 5 s, health check after 1 s idle, one share) for the database at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_size: Self::DEFAULT_MAX_SIZE,
            wait_timeout: Self::DEFAULT_WAIT_TIMEOUT,
            create_timeout: Self::DEFAULT_CREATE_TIMEOUT,
            recycle_timeout: Self::DEFAULT_RECYCLE_TIMEOUT,
            statement_timeout: Self::DEFAULT_STATEMENT_TIMEOUT,
            ping_after_idle: Self::DEFAULT_PING_AFTER_IDLE,
            shards: 1,
        }
    }
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &"<redacted>")
            .field("max_size", &self.max_size)
            .field("wait_timeout", &self.wait_timeout)
            .field("create_timeout", &self.create_timeout)
            .field("recycle_timeout", &self.recycle_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("ping_after_idle", &self.ping_after_idle)
            .field("shards", &self.shards)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_url() {
        let config = PgConfig::new("postgres://app:s3cret@db.internal:5432/gatherhub");
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(!printed.contains("db.internal"), "{printed}");
        assert!(printed.contains("max_size: 16"), "{printed}");
    }
}
