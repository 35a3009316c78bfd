//! The command side: a deadpool-redis pool with every wait bounded, and one
//! helper that runs a command under an overall deadline, so that a Redis that
//! is down or hung answers "unavailable" quickly instead of hanging a caller.

use std::future::Future;
use std::time::{Duration, Instant};

use deadpool_redis::redis::AsyncConnectionConfig;
use deadpool_redis::{Connection, Manager, Pool, Runtime};

use crate::RedisConfig;

/// Why a Redis operation did not happen. Never carries the URL.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("invalid REDIS_URL: {0}")]
    Config(String),
    #[error("redis is unavailable: {0}")]
    Unavailable(String),
    #[error("redis did not answer in time")]
    Timeout,
}

impl From<redis::RedisError> for RedisError {
    fn from(error: redis::RedisError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<deadpool_redis::PoolError> for RedisError {
    fn from(error: deadpool_redis::PoolError) -> Self {
        match error {
            deadpool_redis::PoolError::Timeout(_) => Self::Timeout,
            deadpool_redis::PoolError::Backend(error) => error.into(),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// Command connections to Redis.
#[derive(Clone)]
pub struct Commands {
    pool: Pool,
    /// The longest a whole operation (wait + connect + command) may take.
    deadline: Duration,
}

impl Commands {
    pub fn new(config: &RedisConfig) -> Result<Self, RedisError> {
        let connection = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.command_timeout));
        let manager = Manager::new_with_config(config.url.as_str(), connection)
            .map_err(|error| RedisError::Config(error.to_string()))?;
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .wait_timeout(Some(config.wait_timeout))
            .create_timeout(Some(config.connect_timeout))
            .recycle_timeout(Some(config.command_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| RedisError::Config(error.to_string()))?;
        Ok(Self {
            pool,
            deadline: config.wait_timeout + config.connect_timeout + config.command_timeout,
        })
    }

    /// Runs `work` on a pooled connection, bounded by the overall deadline.
    pub async fn run<T, F, Fut>(&self, work: F) -> Result<T, RedisError>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let pool = self.pool.clone();
        let attempt = async move {
            let connection = pool.get().await?;
            Ok::<_, RedisError>(work(connection).await?)
        };
        tokio::time::timeout(self.deadline, attempt)
            .await
            .map_err(|_| RedisError::Timeout)?
    }

    /// `PING`, returning its round-trip time.
    pub async fn ping(&self) -> Result<Duration, RedisError> {
        let started = Instant::now();
        self.run(|mut connection| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await?;
        Ok(started.elapsed())
    }
}
