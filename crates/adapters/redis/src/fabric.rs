//! The fabric over Redis pub/sub: each message is encoded once and published
//! on one channel; the one subscriber connection of every instance decodes
//! it once and fans it out in-process through the same bounded ring as the
//! single-instance fabric (`gatherhub_inprocess::InProcessFabric`).
//!
//! Messages published here are delivered to this instance's subscribers
//! directly (not through Redis): local delivery keeps working while Redis is
//! down, and does not pay a round trip. Copies coming back from Redis carry
//! this instance's id and are skipped, except readiness probes, which only
//! travel through Redis so that the `channels` check measures the real path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gatherhub_inprocess::InProcessFabric;
use gatherhub_ports::{Broadcast, Fabric, RealtimeError, Subscription};

use crate::link::LinkState;
use crate::pool::{Commands, RedisError};

/// After a failed publish, later ones fail at once for this long, so a
/// burst of writes during an outage does not queue behind connect timeouts.
const BREAKER_OPEN: Duration = Duration::from_secs(1);

pub struct RedisFabric {
    commands: Commands,
    channel: String,
    /// This instance's id: the prefix of everything it publishes.
    origin: String,
    /// This instance's subscribers.
    local: InProcessFabric,
    link: LinkState,
    /// Until when (ms since `epoch`) publishing skips Redis.
    breaker_until: AtomicU64,
    epoch: Instant,
    /// The pub/sub link task, stopped with the fabric.
    link_task: Option<tokio::task::JoinHandle<()>>,
}

impl RedisFabric {
    pub(crate) fn new(
        commands: Commands,
        channel: String,
        origin: String,
        queue: usize,
        link: LinkState,
    ) -> Self {
        Self {
            commands,
            channel,
            origin,
            local: InProcessFabric::new(queue),
            link,
            breaker_until: AtomicU64::new(0),
            epoch: Instant::now(),
            link_task: None,
        }
    }

    /// Hands the link task over, to be stopped when the fabric is dropped.
    pub(crate) fn owning(mut self, task: tokio::task::JoinHandle<()>) -> Self {
        self.link_task = Some(task);
        self
    }

    /// Whether this instance is subscribed to Redis right now.
    pub fn is_linked(&self) -> bool {
        self.link.is_up()
    }

    /// Handles one payload from the pub/sub link: decode once, fan out.
    pub(crate) fn receive(&self, payload: &[u8]) {
        let Some((origin, text)) = std::str::from_utf8(payload)
            .ok()
            .and_then(|text| text.split_once(' '))
        else {
            tracing::warn!("redis fabric: skipped a malformed message");
            return;
        };
        let own = origin == self.origin;
        let Some(message) = Broadcast::decode(text) else {
            tracing::warn!("redis fabric: skipped a message of an unknown format");
            return;
        };
        let deliver = match message {
            Broadcast::Probe(_) => own,
            _ => !own,
        };
        if deliver {
            self.local.deliver(Arc::new(message));
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn send_to_redis(&self, payload: String) -> Result<(), RedisError> {
        let channel = self.channel.clone();
        self.commands
            .run(|mut connection| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async::<i64>(&mut connection)
                    .await
            })
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Fabric for RedisFabric {
    async fn publish(&self, message: Arc<Broadcast>) -> Result<(), RealtimeError> {
        if !matches!(*message, Broadcast::Probe(_)) {
            self.local.deliver(message.clone());
        }
        if self.elapsed_ms() < self.breaker_until.load(Ordering::Relaxed) {
            return Err(RealtimeError::Unavailable(
                "redis is down; not published to other instances".into(),
            ));
        }
        // Encoded once, whatever the number of instances and subscribers.
        let mut payload = String::with_capacity(self.origin.len() + 1);
        payload.push_str(&self.origin);
        payload.push(' ');
        payload.push_str(&message.encode());
        match self.send_to_redis(payload).await {
            Ok(()) => Ok(()),
            Err(error) => {
                let until = self.elapsed_ms() + BREAKER_OPEN.as_millis() as u64;
                self.breaker_until.store(until, Ordering::Relaxed);
                Err(RealtimeError::Unavailable(error.to_string()))
            }
        }
    }

    fn subscribe(&self) -> Box<dyn Subscription> {
        self.local.subscribe()
    }

    fn local_subscribers(&self) -> usize {
        self.local.local_subscribers()
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

impl Drop for RedisFabric {
    fn drop(&mut self) {
        if let Some(task) = &self.link_task {
            task.abort();
        }
    }
}
