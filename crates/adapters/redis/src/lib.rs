//! GatherHub's real-time fabric across instances, over Redis: messages
//! published on any instance reach subscribers on every instance through one
//! Redis pub/sub connection per process, fanned out in-process; presence is
//! kept in Redis with claims whose TTL the heartbeat refreshes, so a crashed
//! instance's users go offline by themselves. Commands go through a
//! deadpool-redis pool whose every wait is bounded. Nothing here needs Redis
//! to be up at startup: it connects, and reconnects, in the background.

mod config;
mod fabric;
mod link;
mod pool;
mod presence;
#[cfg(feature = "testing")]
pub mod testing;

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

pub use config::RedisConfig;
pub use fabric::RedisFabric;
pub use pool::{Commands, RedisError};
pub use presence::RedisPresence;

/// The fabric, presence and commands of one instance, sharing one pool and
/// one pub/sub connection. The fabric and presence each stop their
/// background task when dropped.
pub struct RedisRealtime {
    pub fabric: Arc<RedisFabric>,
    pub presence: Arc<RedisPresence>,
    pub commands: Commands,
}

impl RedisRealtime {
    /// Starts the adapter (in the current tokio runtime). Fails only on an
    /// invalid configuration; an unreachable Redis is retried in the
    /// background while the fabric reports `Unavailable`.
    pub fn start(config: &RedisConfig) -> Result<Self, RedisError> {
        let commands = Commands::new(config)?;
        let client = redis::Client::open(config.url.as_str())
            .map_err(|error| RedisError::Config(error.to_string()))?;
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let channel = config.messages_channel();
        // The link delivers to the fabric, which owns the link: the link
        // holds it weakly so that dropping the fabric stops everything.
        let slot: Arc<OnceLock<Weak<RedisFabric>>> = Arc::default();
        let target = slot.clone();
        let (link, link_task) = link::spawn(
            client,
            vec![channel.clone()],
            config,
            Arc::new(move |_channel: &str, payload: &[u8]| {
                if let Some(fabric) = target.get().and_then(Weak::upgrade) {
                    fabric.receive(payload);
                }
            }),
        );
        let fabric = Arc::new(
            RedisFabric::new(
                commands.clone(),
                channel,
                instance.clone(),
                config.subscriber_queue,
                link.clone(),
            )
            .owning(link_task),
        );
        let _ = slot.set(Arc::downgrade(&fabric));
        let presence = RedisPresence::start(commands.clone(), config, &instance, &link);
        Ok(Self {
            fabric,
            presence: Arc::new(presence),
            commands,
        })
    }

    /// `PING` through the command pool, with its round-trip time.
    pub async fn ping(&self) -> Result<Duration, RedisError> {
        self.commands.ping().await
    }
}
