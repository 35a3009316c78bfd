//! The Redis fabric against a real Redis: delivery across instances, exactly
//! once, isolation by prefix, readiness probes through Redis, and surviving
//! a Redis restart (a private redis-server this test stops and starts).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use gatherhub_domain::{EventId, UserId};
use gatherhub_ports::{
    Audience, Broadcast, Fabric, Kind, RealtimeEvent, RecvError, Subscription, Version,
};
use gatherhub_redis::testing::{RedisServer, shared_url, unique_prefix};
use gatherhub_redis::{RedisConfig, RedisRealtime};

/// Every wait in these tests: generous, only so that a bug fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);

fn config(url: &str, prefix: &str) -> RedisConfig {
    let mut config = RedisConfig::new(url).with_prefix(prefix);
    config.min_backoff = Duration::from_millis(50);
    config.max_backoff = Duration::from_millis(250);
    config
}

async fn linked(url: &str, prefix: &str) -> RedisRealtime {
    let realtime = RedisRealtime::start(&config(url, prefix)).unwrap();
    wait_until(|| realtime.fabric.is_linked()).await;
    realtime
}

async fn wait_until(mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < PATIENCE, "condition never became true");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn vote(event: i64, body: &str) -> Arc<Broadcast> {
    Arc::new(Broadcast::Event(RealtimeEvent {
        kind: Kind::VoteCast,
        event_id: EventId(event),
        versions: vec![
            Version {
                audience: Audience::users([UserId(1), UserId(2)]),
                envelope: Arc::from(format!("{{\"members\":\"{body}\"}}")),
            },
            Version {
                audience: Audience::Public,
                envelope: Arc::from(format!("{{\"public\":\"{body}\"}}")),
            },
        ],
    }))
}

async fn next(subscription: &mut Box<dyn Subscription>) -> Arc<Broadcast> {
    tokio::time::timeout(PATIENCE, subscription.recv())
        .await
        .expect("a message arrives")
        .expect("the fabric is open")
}

/// Nothing arrives within a short while (used only to show absence).
async fn nothing(subscription: &mut Box<dyn Subscription>) {
    if let Ok(message) = tokio::time::timeout(Duration::from_millis(300), subscription.recv()).await
    {
        panic!("unexpected message: {message:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_reaches_every_instance_once_and_intact() {
    let prefix = unique_prefix();
    let a = linked(&shared_url(), &prefix).await;
    let b = linked(&shared_url(), &prefix).await;
    let mut on_a = a.fabric.subscribe();
    let mut on_b = b.fabric.subscribe();
    let mut also_on_b = b.fabric.subscribe();
    assert_eq!(b.fabric.local_subscribers(), 2);

    for n in 0..3 {
        a.fabric.publish(vote(7, &format!("n{n}"))).await.unwrap();
    }
    for n in 0..3 {
        let expected = vote(7, &format!("n{n}"));
        // In publish order, byte for byte, on both instances.
        assert_eq!(next(&mut on_a).await, expected);
        assert_eq!(next(&mut on_b).await, expected);
        assert_eq!(next(&mut also_on_b).await, expected);
    }
    // The copy echoed back by Redis is not delivered a second time on A.
    nothing(&mut on_a).await;
    nothing(&mut on_b).await;

    drop(also_on_b);
    assert_eq!(b.fabric.local_subscribers(), 1);
    assert_eq!(a.fabric.backend(), "redis");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixes_keep_deployments_apart() {
    let a = linked(&shared_url(), &unique_prefix()).await;
    let b = linked(&shared_url(), &unique_prefix()).await;
    let mut on_b = b.fabric.subscribe();
    a.fabric.publish(vote(1, "x")).await.unwrap();
    nothing(&mut on_b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_travel_through_redis_and_come_back_only_to_their_sender() {
    let prefix = unique_prefix();
    let a = linked(&shared_url(), &prefix).await;
    let b = linked(&shared_url(), &prefix).await;
    let mut on_a = a.fabric.subscribe();
    let mut on_b = b.fabric.subscribe();
    let probe = Arc::new(Broadcast::Probe("probe-1".into()));
    a.fabric.publish(probe.clone()).await.unwrap();
    assert_eq!(next(&mut on_a).await, probe);
    nothing(&mut on_b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_payloads_are_skipped() {
    let prefix = unique_prefix();
    let a = linked(&shared_url(), &prefix).await;
    let mut on_a = a.fabric.subscribe();
    let client = redis::Client::open(shared_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let channel = format!("{prefix}:rt:messages");
    for junk in [
        "",
        "no-space",
        "someone gh1 event vote.cast x\n",
        "x gh9 nope",
    ] {
        redis::cmd("PUBLISH")
            .arg(&channel)
            .arg(junk)
            .query_async::<i64>(&mut connection)
            .await
            .unwrap();
    }
    // Still alive and delivering.
    let b = linked(&shared_url(), &prefix).await;
    b.fabric.publish(vote(3, "after junk")).await.unwrap();
    assert_eq!(next(&mut on_a).await, vote(3, "after junk"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_lags_alone() {
    let mut config = config(&shared_url(), &unique_prefix());
    config.subscriber_queue = 8;
    let a = RedisRealtime::start(&config).unwrap();
    let mut slow = a.fabric.subscribe();
    let mut healthy = a.fabric.subscribe();
    let total = 18;
    for n in 0..total {
        a.fabric.publish(vote(1, &n.to_string())).await.unwrap();
        assert_eq!(next(&mut healthy).await, vote(1, &n.to_string()));
    }
    let lagged = tokio::time::timeout(PATIENCE, slow.recv()).await.unwrap();
    assert!(
        matches!(lagged, Err(RecvError::Lagged(n)) if n >= 10),
        "{lagged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_fails_fast_while_redis_is_down_and_resumes_after() {
    let mut server = RedisServer::start();
    let prefix = unique_prefix();
    let a = linked(&server.url(), &prefix).await;
    let b = linked(&server.url(), &prefix).await;
    let mut on_a = a.fabric.subscribe();
    let mut on_b = b.fabric.subscribe();

    server.stop();
    wait_until(|| !a.fabric.is_linked() && !b.fabric.is_linked()).await;
    let started = Instant::now();
    let failed = a.fabric.publish(vote(1, "during outage")).await;
    assert!(failed.is_err(), "publishing reports the outage");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "fails fast: {:?}",
        started.elapsed()
    );
    // This instance's own subscribers still get it; the other cannot.
    assert_eq!(next(&mut on_a).await, vote(1, "during outage"));
    assert!(a.ping().await.is_err());

    server.resume();
    wait_until(|| a.fabric.is_linked() && b.fabric.is_linked()).await;
    // Past the breaker, publishing reaches the other instance again.
    let started = Instant::now();
    loop {
        if a.fabric.publish(vote(1, "after")).await.is_ok() {
            break;
        }
        assert!(started.elapsed() < PATIENCE, "publishing never resumed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(next(&mut on_b).await, vote(1, "after"));
    assert!(a.ping().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_adapter_closes_its_subscription() {
    let prefix = unique_prefix();
    let channel = format!("{prefix}:rt:messages");
    let client = redis::Client::open(shared_url()).unwrap();
    let connection = client.get_multiplexed_async_connection().await.unwrap();
    let subscribers = |mut connection: redis::aio::MultiplexedConnection, channel: String| async move {
        let (_, count): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&channel)
            .query_async::<Vec<(String, i64)>>(&mut connection)
            .await
            .unwrap()
            .remove(0);
        count
    };
    let a = linked(&shared_url(), &prefix).await;
    assert_eq!(subscribers(connection.clone(), channel.clone()).await, 1);
    drop(a);
    let started = Instant::now();
    while subscribers(connection.clone(), channel.clone()).await != 0 {
        assert!(
            started.elapsed() < PATIENCE,
            "the pub/sub connection leaked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
