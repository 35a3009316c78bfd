//! Running as one of several instances: with `REDIS_URL`, the real-time
//! fabric and presence are the Redis adapter's, so a change made through any
//! instance reaches subscribers on every instance; without it they stay
//! in-process. Also registers the real-time readiness checks, and closes
//! the connections of crashed instances.

use std::sync::Arc;

use gatherhub_app::{Actor, App};
use gatherhub_domain::UserId;
use gatherhub_ports::{ConnectionId, Fabric, Presence};
use gatherhub_redis::{RedisConfig, RedisRealtime};

use crate::Settings;
use crate::readiness::ReadinessChecks;
use crate::realtime_checks::{ChannelsCheck, RedisCheck};
use crate::startup::StartupError;

/// Presence claims live this many heartbeats (WebSocket pings) without a
/// refresh before a crashed instance's users count as offline.
const PRESENCE_TTL_HEARTBEATS: u32 = 3;

/// The Redis adapter when `REDIS_URL` is set. Needs a tokio runtime. Fails
/// only on an invalid URL: an unreachable Redis is retried in the background.
pub fn start_redis(settings: &Settings) -> Result<Option<RedisRealtime>, StartupError> {
    let Some(url) = &settings.redis_url else {
        return Ok(None);
    };
    let mut config = RedisConfig::new(url.expose()).with_prefix(settings.redis_prefix.clone());
    config.subscriber_queue = settings.ws.queue_size;
    config.heartbeat = settings.ws.ping_interval;
    config.presence_ttl = settings.ws.ping_interval * PRESENCE_TTL_HEARTBEATS;
    let redis = RedisRealtime::start(&config)
        .map_err(|error| StartupError::Config(format!("REDIS_URL: {error}")))?;
    tracing::info!(prefix = %settings.redis_prefix, "real-time: Redis fabric and presence");
    Ok(Some(redis))
}

/// The fabric and presence to build the app with: Redis's when configured.
pub fn parts(
    redis: Option<&RedisRealtime>,
    in_process: impl FnOnce() -> (Arc<dyn Fabric>, Arc<dyn Presence>),
) -> (Arc<dyn Fabric>, Arc<dyn Presence>) {
    match redis {
        Some(redis) => (redis.fabric.clone(), redis.presence.clone()),
        None => in_process(),
    }
}

/// Adds `channels` (always) and `redis` (when configured; readiness reads
/// `not_configured` otherwise). Both are non-critical.
pub fn with_checks(
    checks: ReadinessChecks,
    fabric: Arc<dyn Fabric>,
    redis: Option<&RedisRealtime>,
) -> ReadinessChecks {
    let checks = checks.with(Arc::new(ChannelsCheck::new(fabric)));
    match redis {
        Some(redis) => checks.with(Arc::new(RedisCheck(redis.commands.clone()))),
        None => checks,
    }
}

/// Background work of a fleet member, stopped when dropped (with the
/// `Application`, so nothing outlives a stopped server).
#[derive(Default)]
pub struct Background(Vec<tokio::task::JoinHandle<()>>);

impl Background {
    /// With Redis: closes the connections that crashed instances left
    /// behind, through the same use case as a socket closing here, so whoever
    /// is left without a live connection anywhere is announced offline to
    /// their events (once: each orphan goes to one instance).
    pub fn start(redis: Option<&RedisRealtime>, app: &App) -> Self {
        let Some(mut orphans) = redis.and_then(|redis| redis.presence.departures()) else {
            return Self::default();
        };
        let app = app.clone();
        Self(vec![tokio::spawn(async move {
            while let Some((user, connection)) = orphans.recv().await {
                close_orphan(&app, user, &connection).await;
            }
        })])
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

async fn close_orphan(app: &App, user: UserId, connection: &ConnectionId) {
    // The use case needs who the user is; the orphan names only their id.
    match app.deps.repos.users.get(user).await {
        Ok(Some(found)) => {
            let actor = Actor {
                user_id: user,
                is_staff: found.is_staff,
            };
            app.events
                .disconnected(&actor, &found.summary(), connection)
                .await;
        }
        // A deleted user: drop the claim, nobody to announce.
        Ok(None) => {
            if let Err(error) = app
                .deps
                .realtime
                .presence
                .disconnect(user, connection)
                .await
            {
                tracing::warn!(%error, "presence: orphaned connection not closed");
            }
        }
        Err(error) => tracing::warn!(%error, "presence: orphaned connection not closed"),
    }
}
