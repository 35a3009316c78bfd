//! Presence across instances: a user is online while they hold a connection
//! on any instance, members are told on every instance, and the presence
//! endpoint of every instance agrees.

use std::time::{Duration, Instant};

use gatherhub_domain::UserId;
use gatherhub_e2e::{TestApp, expect_status};
use gatherhub_ports::{ConnectionId, Presence};
use gatherhub_redis::testing::shared_url;
use gatherhub_redis::{RedisConfig, RedisRealtime};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Cluster;
use super::ws::Ws;

/// Ids of the event's members online now, as read through `app`.
async fn online(app: &TestApp, event: i64, token: &str) -> Vec<i64> {
    let body = expect_status(
        app.get(&format!("/api/v1/events/{event}/presence/"), Some(token))
            .await,
        StatusCode::OK,
    )
    .await;
    body["online"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["id"].as_i64().unwrap())
        .collect()
}

/// Waits (boundedly) until `app` holds `count` open sockets, i.e. it has
/// finished handling the ones closed before.
async fn until_open_sockets(app: &TestApp, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body: Value = app.get("/health/status/", None).await.json().await.unwrap();
        let open = body["websockets"]["open_connections"].as_i64().unwrap();
        if open == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{open} sockets open, expected {count}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_counts_connections_on_every_instance() {
    let cluster = Cluster::new(&shared_url()).await;
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let alice = a.register("cp_alice").await;
    let bob = a.register("cp_bob").await;
    let event = a.create_event(&alice, json!({})).await["id"]
        .as_i64()
        .unwrap();
    expect_status(
        b.post(
            &format!("/api/v1/events/{event}/join/"),
            &json!({}),
            Some(&bob.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    let mut watcher = Ws::connect(&a, "events", Some(&alice.access)).await;
    assert_eq!(
        watcher.expect("presence.online").await["data"]["user"]["id"],
        alice.id
    );

    // Bob comes online on the other instance: Alice is told on hers, and
    // both instances list him.
    let bob_on_b = Ws::connect(&b, "events", Some(&bob.access)).await;
    let message = watcher.expect("presence.online").await;
    assert_eq!(message["event_id"], event);
    assert_eq!(message["data"]["user"]["id"], bob.id);
    assert_eq!(online(&a, event, &alice.access).await, [alice.id, bob.id]);
    assert_eq!(online(&b, event, &bob.access).await, [alice.id, bob.id]);

    // A second socket on the first instance, then closing the one on the
    // other: Bob is still online, and nobody is told otherwise.
    let bob_on_a = Ws::connect(&a, "voting", Some(&bob.access)).await;
    until_open_sockets(&a, 2).await;
    bob_on_b.close().await;
    until_open_sockets(&b, 0).await;
    assert_eq!(online(&b, event, &alice.access).await, [alice.id, bob.id]);
    assert_eq!(watcher.settle().await, Vec::<Value>::new());

    // His last socket closes: offline everywhere.
    bob_on_a.close().await;
    let message = watcher.expect("presence.offline").await;
    assert_eq!(message["data"]["user"]["id"], bob.id);
    assert_eq!(online(&b, event, &alice.access).await, [alice.id]);
    assert_eq!(online(&a, event, &alice.access).await, [alice.id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_instances_users_are_announced_offline_by_a_survivor() {
    let cluster = Cluster::new(&shared_url()).await;
    let heartbeat = Duration::from_millis(300);
    let a = cluster.instance_with_heartbeat(heartbeat).await;
    let _b = cluster.instance_with_heartbeat(heartbeat).await;
    let alice = a.register("cr_alice").await;
    let bob = a.register("cr_bob").await;
    let event = a.create_event(&alice, json!({})).await["id"]
        .as_i64()
        .unwrap();
    expect_status(
        a.post(
            &format!("/api/v1/events/{event}/join/"),
            &json!({}),
            Some(&bob.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut watcher = Ws::connect(&a, "events", Some(&alice.access)).await;
    watcher.expect("presence.online").await;

    // A third instance, reduced to its Redis presence, holds Bob's only
    // connection and then dies without a goodbye.
    let mut config = RedisConfig::new(shared_url()).with_prefix(cluster.prefix.clone());
    config.heartbeat = heartbeat;
    config.presence_ttl = heartbeat * 3;
    let doomed = RedisRealtime::start(&config).unwrap();
    let connection = ConnectionId("doomed-1".into());
    assert!(
        doomed
            .presence
            .connect(UserId(bob.id), &connection)
            .await
            .unwrap()
    );
    assert_eq!(online(&a, event, &alice.access).await, [alice.id, bob.id]);
    drop(doomed);

    // One survivor notices, and Alice is told once.
    let message = watcher.expect("presence.offline").await;
    assert_eq!(message["event_id"], event);
    assert_eq!(message["data"]["user"]["id"], bob.id);
    assert_eq!(online(&a, event, &alice.access).await, [alice.id]);
    tokio::time::sleep(heartbeat * 4).await;
    assert_eq!(
        watcher.settle().await,
        Vec::<Value>::new(),
        "announced once"
    );
}
