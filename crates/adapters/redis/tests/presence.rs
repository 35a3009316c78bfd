//! Presence on Redis against a real Redis: a user is online while they hold
//! a connection on any instance; transitions are reported once; a crashed
//! instance's users go offline by themselves and are announced once; a Redis
//! restart (a private redis-server) loses nobody for long.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::time::{Duration, Instant};

use gatherhub_domain::UserId;
use gatherhub_ports::{ConnectionId, Presence};
use gatherhub_redis::testing::{RedisServer, shared_url, unique_prefix};
use gatherhub_redis::{RedisConfig, RedisRealtime};

const PATIENCE: Duration = Duration::from_secs(10);

fn config(url: &str, prefix: &str) -> RedisConfig {
    let mut config = RedisConfig::new(url).with_prefix(prefix);
    config.min_backoff = Duration::from_millis(50);
    config.max_backoff = Duration::from_millis(250);
    config
}

/// An instance whose presence claims expire after `ttl` without a heartbeat.
async fn instance(url: &str, prefix: &str, ttl: Duration) -> RedisRealtime {
    let mut config = config(url, prefix);
    config.presence_ttl = ttl;
    config.heartbeat = ttl / 4;
    let realtime = RedisRealtime::start(&config).unwrap();
    let started = Instant::now();
    while !realtime.fabric.is_linked() {
        assert!(started.elapsed() < PATIENCE, "never linked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    realtime
}

fn conn(name: &str) -> ConnectionId {
    ConnectionId(name.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_while_connected_anywhere() {
    let prefix = unique_prefix();
    let ttl = Duration::from_secs(60);
    let a = instance(&shared_url(), &prefix, ttl).await;
    let b = instance(&shared_url(), &prefix, ttl).await;
    let (ann, bob) = (UserId(1), UserId(2));

    assert!(
        a.presence.connect(ann, &conn("a-1")).await.unwrap(),
        "first connection"
    );
    assert!(
        !a.presence.connect(ann, &conn("a-1")).await.unwrap(),
        "same id again"
    );
    assert!(
        !b.presence.connect(ann, &conn("b-1")).await.unwrap(),
        "second instance"
    );
    assert_eq!(b.presence.online(&[bob, ann]).await.unwrap(), vec![ann]);

    assert!(
        !a.presence.disconnect(ann, &conn("a-1")).await.unwrap(),
        "still on b"
    );
    assert!(
        !a.presence.disconnect(ann, &conn("a-1")).await.unwrap(),
        "unknown now"
    );
    assert_eq!(a.presence.online(&[ann]).await.unwrap(), vec![ann]);
    assert!(
        b.presence.disconnect(ann, &conn("b-1")).await.unwrap(),
        "last one"
    );
    assert!(a.presence.online(&[ann, bob]).await.unwrap().is_empty());

    // Order follows the question.
    b.presence.connect(bob, &conn("b-2")).await.unwrap();
    a.presence.connect(ann, &conn("a-3")).await.unwrap();
    assert_eq!(
        a.presence.online(&[bob, ann]).await.unwrap(),
        vec![bob, ann]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_first_connections_report_one_arrival() {
    let prefix = unique_prefix();
    let ttl = Duration::from_secs(60);
    let a = instance(&shared_url(), &prefix, ttl).await;
    let b = instance(&shared_url(), &prefix, ttl).await;
    let user = UserId(9);
    let mut arrivals = 0;
    for round in 0..20 {
        let (ca, cb) = (conn(&format!("a-{round}")), conn(&format!("b-{round}")));
        let (x, y) = tokio::join!(a.presence.connect(user, &ca), b.presence.connect(user, &cb));
        arrivals += usize::from(x.unwrap()) + usize::from(y.unwrap());
        assert_eq!(arrivals, round + 1, "exactly one arrival per round");
        let (x, y) = tokio::join!(
            a.presence.disconnect(user, &ca),
            b.presence.disconnect(user, &cb)
        );
        assert_eq!(
            usize::from(x.unwrap()) + usize::from(y.unwrap()),
            1,
            "one departure"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_instances_users_go_offline_by_themselves() {
    let prefix = unique_prefix();
    let ttl = Duration::from_millis(800);
    let survivor = instance(&shared_url(), &prefix, ttl).await;
    let mut departures = survivor.presence.departures().expect("first call");
    assert!(survivor.presence.departures().is_none(), "handed out once");
    let crashed = instance(&shared_url(), &prefix, ttl).await;
    let (ann, bob) = (UserId(1), UserId(2));
    crashed.presence.connect(ann, &conn("c-1")).await.unwrap();
    crashed.presence.connect(bob, &conn("c-2")).await.unwrap();
    survivor.presence.connect(bob, &conn("s-1")).await.unwrap();

    // Alive well past the TTL while its heartbeat runs.
    tokio::time::sleep(ttl * 2).await;
    assert_eq!(
        survivor.presence.online(&[ann, bob]).await.unwrap(),
        vec![ann, bob]
    );

    drop(crashed); // stops its tasks without any goodbye, like a crash
    let mut orphans = Vec::new();
    for _ in 0..2 {
        let orphan = tokio::time::timeout(PATIENCE, departures.recv())
            .await
            .unwrap();
        orphans.push(orphan.unwrap());
    }
    orphans.sort_by_key(|(user, _)| *user);
    assert_eq!(orphans, vec![(ann, conn("c-1")), (bob, conn("c-2"))]);
    // Offline already: claims past their TTL no longer count.
    assert_eq!(
        survivor.presence.online(&[ann, bob]).await.unwrap(),
        vec![bob]
    );
    // Closing them the usual way tells who went offline: Ann had no other
    // connection, Bob still has one on the survivor.
    assert!(
        survivor
            .presence
            .disconnect(ann, &conn("c-1"))
            .await
            .unwrap()
    );
    assert!(
        !survivor
            .presence
            .disconnect(bob, &conn("c-2"))
            .await
            .unwrap()
    );
    // Handed out once.
    assert!(
        tokio::time::timeout(ttl * 2, departures.recv())
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_come_back_after_redis_restarts_empty() {
    let mut server = RedisServer::start();
    let prefix = unique_prefix();
    let a = instance(&server.url(), &prefix, Duration::from_secs(60)).await;
    let user = UserId(5);
    a.presence.connect(user, &conn("a-1")).await.unwrap();

    server.stop();
    assert!(
        a.presence.online(&[user]).await.is_err(),
        "unavailable, not a wrong answer"
    );
    assert!(a.presence.connect(UserId(6), &conn("a-2")).await.is_err());
    server.resume();

    // Re-registered as soon as the link is back, not a heartbeat later.
    let started = Instant::now();
    loop {
        if let Ok(online) = a.presence.online(&[user, UserId(6)]).await
            && online == vec![user, UserId(6)]
        {
            break;
        }
        assert!(started.elapsed() < PATIENCE, "presence never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_heartbeat_never_revives_or_preempts_a_connection() {
    let a = instance(&shared_url(), &unique_prefix(), Duration::from_secs(60)).await;
    let user = UserId(3);
    // A heartbeat racing ahead of its connect does not make the connect
    // look like a second one (which would swallow presence.online).
    a.presence.heartbeat(user, &conn("a-1")).await.unwrap();
    assert!(a.presence.online(&[user]).await.unwrap().is_empty());
    assert!(a.presence.connect(user, &conn("a-1")).await.unwrap());
    // One arriving after the disconnect does not bring the user back.
    assert!(a.presence.disconnect(user, &conn("a-1")).await.unwrap());
    a.presence.heartbeat(user, &conn("a-1")).await.unwrap();
    assert!(a.presence.online(&[user]).await.unwrap().is_empty());
}
