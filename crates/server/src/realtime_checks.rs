//! Readiness of the real-time side, both non-critical (a failure is
//! `degraded`, 200, so a Redis blip does not take every instance out of
//! rotation): `redis` pings Redis through the command pool, and `channels`
//! sends a probe through the fabric and waits for it to come back, which
//! with Redis is a real round trip through pub/sub.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gatherhub_ports::{Broadcast, Fabric, RecvError};
use gatherhub_redis::Commands;

use crate::readiness::{Check, ReadinessCheck};

/// The longest a probe may take: a load balancer's probe must never hang.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// `redis`: a `PING` with its latency.
pub struct RedisCheck(pub Commands);

#[async_trait::async_trait]
impl ReadinessCheck for RedisCheck {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn critical(&self) -> bool {
        false
    }

    async fn check(&self) -> Check {
        let started = Instant::now();
        match tokio::time::timeout(PROBE_TIMEOUT, self.0.ping()).await {
            Ok(Ok(_)) => Check::healthy(started),
            Ok(Err(error)) => {
                tracing::warn!(%error, "readiness: redis check failed");
                Check::unhealthy()
            }
            Err(_) => {
                tracing::warn!("readiness: redis check timed out");
                Check::unhealthy()
            }
        }
    }
}

/// `channels`: a publish → receive round trip through the fabric.
pub struct ChannelsCheck {
    fabric: Arc<dyn Fabric>,
    /// Makes every probe of this process distinct, so concurrent checks
    /// never mistake each other's probes for their own.
    sequence: AtomicU64,
    instance: String,
}

impl ChannelsCheck {
    pub fn new(fabric: Arc<dyn Fabric>) -> Self {
        Self {
            fabric,
            sequence: AtomicU64::new(0),
            instance: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    async fn round_trip(&self) -> Result<(), String> {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let probe = format!("readiness {} {n}", self.instance);
        // Subscribe first: the probe must find us listening.
        let mut subscription = self.fabric.subscribe();
        self.fabric
            .publish(Arc::new(Broadcast::Probe(probe.clone())))
            .await
            .map_err(|error| error.to_string())?;
        loop {
            match subscription.recv().await {
                Ok(message) => {
                    if matches!(&*message, Broadcast::Probe(text) if *text == probe) {
                        return Ok(());
                    }
                }
                // Busy fabric: other messages overtook the probe; it may
                // still be ahead in the queue.
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Err("fabric closed".into()),
            }
        }
    }
}

#[async_trait::async_trait]
impl ReadinessCheck for ChannelsCheck {
    fn name(&self) -> &'static str {
        "channels"
    }

    fn critical(&self) -> bool {
        false
    }

    async fn check(&self) -> Check {
        let started = Instant::now();
        match tokio::time::timeout(PROBE_TIMEOUT, self.round_trip()).await {
            Ok(Ok(())) => Check::healthy(started),
            Ok(Err(error)) => {
                tracing::warn!(%error, "readiness: real-time round trip failed");
                Check::unhealthy()
            }
            Err(_) => {
                tracing::warn!("readiness: real-time round trip timed out");
                Check::unhealthy()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use gatherhub_inprocess::InProcessFabric;
    use gatherhub_ports::{RealtimeError, Subscription};

    use super::*;

    #[tokio::test]
    async fn a_working_fabric_is_healthy_with_its_latency() {
        let check = ChannelsCheck::new(Arc::new(InProcessFabric::new(4)));
        let result = check.check().await;
        assert_eq!(result.status, "healthy");
        assert!(result.latency_ms.is_some());
        assert!(!check.critical());
    }

    /// Accepts publications but never delivers them.
    struct Deaf(InProcessFabric);

    #[async_trait::async_trait]
    impl Fabric for Deaf {
        async fn publish(&self, _: Arc<Broadcast>) -> Result<(), RealtimeError> {
            Ok(())
        }
        fn subscribe(&self) -> Box<dyn Subscription> {
            self.0.subscribe()
        }
        fn local_subscribers(&self) -> usize {
            0
        }
        fn backend(&self) -> &'static str {
            "deaf"
        }
    }

    /// Refuses every publication, like Redis being down.
    struct Down(InProcessFabric);

    #[async_trait::async_trait]
    impl Fabric for Down {
        async fn publish(&self, _: Arc<Broadcast>) -> Result<(), RealtimeError> {
            Err(RealtimeError::Unavailable("down".into()))
        }
        fn subscribe(&self) -> Box<dyn Subscription> {
            self.0.subscribe()
        }
        fn local_subscribers(&self) -> usize {
            0
        }
        fn backend(&self) -> &'static str {
            "down"
        }
    }

    #[tokio::test]
    async fn a_lost_or_refused_probe_is_unhealthy_within_the_bound() {
        for fabric in [
            Arc::new(Deaf(InProcessFabric::new(4))) as Arc<dyn Fabric>,
            Arc::new(Down(InProcessFabric::new(4))),
        ] {
            let started = Instant::now();
            let result = ChannelsCheck::new(fabric).check().await;
            assert_eq!(result.status, "unhealthy");
            assert!(started.elapsed() < PROBE_TIMEOUT + Duration::from_secs(5));
        }
    }
}
