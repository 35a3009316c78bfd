//! Settings of the Redis adapter: where Redis is, the namespace of its keys
//! and channels, and the bounds on every wait (deadpool sets none by default,
//! so without them a hung Redis would hang REST writes and readiness probes).

use std::fmt;
use std::time::Duration;

/// How to reach Redis and how long to wait for it.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port/db`; may hold a password, so it is
    /// never printed (see the `Debug` impl).
    pub url: String,
    /// Prefix of every key and channel, so several deployments (or parallel
    /// tests) can share one Redis without hearing each other.
    pub prefix: String,
    /// Command connections (multiplexed, so a few go a long way).
    pub pool_size: usize,
    /// Longest wait for a pooled connection.
    pub wait_timeout: Duration,
    /// Longest time to open a connection (TCP + handshake).
    pub connect_timeout: Duration,
    /// Longest wait for the answer to one command.
    pub command_timeout: Duration,
    /// First delay before reconnecting the subscriber; doubled up to
    /// `max_backoff` while Redis stays away.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Messages a subscriber of this instance may fall behind by before it
    /// is dropped as too slow (the in-process ring's capacity).
    pub subscriber_queue: usize,
    /// How long a user stays online on Redis without a heartbeat refresh:
    /// after a crash, that instance's users go offline within this time.
    pub presence_ttl: Duration,
    /// How often this instance refreshes its users' presence (and looks for
    /// crashed instances whose users must be announced offline).
    pub heartbeat: Duration,
}

impl RedisConfig {
    /// Defaults suited to production for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "gatherhub".into(),
            pool_size: 8,
            wait_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_millis(1000),
            command_timeout: Duration::from_millis(1000),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            subscriber_queue: 256,
            presence_ttl: Duration::from_secs(90),
            heartbeat: Duration::from_secs(30),
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The channel every instance publishes real-time messages on.
    pub(crate) fn messages_channel(&self) -> String {
        format!("{}:rt:messages", self.prefix)
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &"[redacted]")
            .field("prefix", &self.prefix)
            .field("pool_size", &self.pool_size)
            .field("wait_timeout", &self.wait_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("subscriber_queue", &self.subscriber_queue)
            .field("presence_ttl", &self.presence_ttl)
            .field("heartbeat", &self.heartbeat)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_url() {
        let config = RedisConfig::new("redis://:hunter2@cache.internal:6379/0");
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("cache.internal"), "{printed}");
    }
}
