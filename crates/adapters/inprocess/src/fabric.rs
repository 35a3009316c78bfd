//! Fan-out to this process's subscribers over one bounded broadcast ring.
//!
//! Why a broadcast ring: every message is stored once and shared by all
//! subscribers (an `Arc`), sending never waits for anyone, and each
//! subscriber's backlog is bounded by the ring's capacity. A subscriber more
//! than `capacity` messages behind gets `RecvError::Lagged` and must be
//! dropped; nobody else notices.

use std::sync::Arc;

use gatherhub_ports::{Broadcast, Fabric, RealtimeError, RecvError, Subscription};
use tokio::sync::broadcast;

/// The single-instance fabric. Cheap to clone; clones share the channel.
#[derive(Clone)]
pub struct InProcessFabric {
    sender: broadcast::Sender<Arc<Broadcast>>,
}

impl InProcessFabric {
    /// A fabric where each subscriber may be at most `capacity` messages
    /// behind (at least 1).
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    /// Hands `message` to every current subscriber of this process. Never
    /// waits; with no subscriber the message is simply dropped.
    pub fn deliver(&self, message: Arc<Broadcast>) {
        // An error only means nobody is subscribed right now.
        let _ = self.sender.send(message);
    }
}

#[async_trait::async_trait]
impl Fabric for InProcessFabric {
    async fn publish(&self, message: Arc<Broadcast>) -> Result<(), RealtimeError> {
        self.deliver(message);
        Ok(())
    }

    fn subscribe(&self) -> Box<dyn Subscription> {
        Box::new(InProcessSubscription {
            receiver: self.sender.subscribe(),
        })
    }

    fn local_subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    fn backend(&self) -> &'static str {
        "in-process"
    }
}

/// One subscriber's cursor into the ring; dropping it unsubscribes.
struct InProcessSubscription {
    receiver: broadcast::Receiver<Arc<Broadcast>>,
}

#[async_trait::async_trait]
impl Subscription for InProcessSubscription {
    async fn recv(&mut self) -> Result<Arc<Broadcast>, RecvError> {
        // `broadcast::Receiver::recv` is cancel-safe, as the port requires.
        self.receiver.recv().await.map_err(|error| match error {
            broadcast::error::RecvError::Lagged(n) => RecvError::Lagged(n),
            broadcast::error::RecvError::Closed => RecvError::Closed,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

    use std::time::Duration;

    use super::*;

    fn probe(n: usize) -> Arc<Broadcast> {
        Arc::new(Broadcast::Probe(n.to_string()))
    }

    async fn next(sub: &mut Box<dyn Subscription>) -> Result<Arc<Broadcast>, RecvError> {
        tokio::time::timeout(Duration::from_secs(5), sub.recv())
            .await
            .expect("a message within 5 s")
    }

    #[tokio::test]
    async fn every_subscriber_gets_every_message_in_order() {
        let fabric = InProcessFabric::new(16);
        let mut a = fabric.subscribe();
        let mut b = fabric.subscribe();
        for n in 0..10 {
            fabric.publish(probe(n)).await.unwrap();
        }
        for sub in [&mut a, &mut b] {
            for n in 0..10 {
                assert_eq!(next(sub).await.unwrap(), probe(n));
            }
        }
    }

    #[tokio::test]
    async fn a_message_is_shared_not_copied() {
        let fabric = InProcessFabric::new(4);
        let mut a = fabric.subscribe();
        let mut b = fabric.subscribe();
        let message = probe(1);
        fabric.publish(message.clone()).await.unwrap();
        assert!(Arc::ptr_eq(&next(&mut a).await.unwrap(), &message));
        assert!(Arc::ptr_eq(&next(&mut b).await.unwrap(), &message));
    }

    #[tokio::test]
    async fn a_laggard_is_told_while_others_get_everything() {
        let fabric = InProcessFabric::new(4);
        let mut slow = fabric.subscribe();
        let mut fast = fabric.subscribe();
        for n in 0..10 {
            fabric.publish(probe(n)).await.unwrap();
            assert_eq!(next(&mut fast).await.unwrap(), probe(n));
        }
        assert_eq!(next(&mut slow).await, Err(RecvError::Lagged(6)));
    }

    #[tokio::test]
    async fn dropping_a_subscription_unsubscribes() {
        let fabric = InProcessFabric::new(4);
        assert_eq!(fabric.local_subscribers(), 0);
        let a = fabric.subscribe();
        let b = fabric.clone().subscribe();
        assert_eq!(fabric.local_subscribers(), 2);
        drop(a);
        drop(b);
        assert_eq!(fabric.local_subscribers(), 0);
        // Publishing with nobody listening is fine.
        fabric.publish(probe(0)).await.unwrap();
    }

    #[tokio::test]
    async fn later_subscribers_see_only_later_messages() {
        let fabric = InProcessFabric::new(4);
        let _keep = fabric.subscribe();
        fabric.publish(probe(0)).await.unwrap();
        let mut late = fabric.subscribe();
        fabric.publish(probe(1)).await.unwrap();
        assert_eq!(next(&mut late).await.unwrap(), probe(1));
    }
}
