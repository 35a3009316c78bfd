//! Redis going away and coming back, on a private redis-server this test
//! owns: REST keeps answering and readiness says `degraded` (200) while it is
//! down; once it is back, delivery across instances resumes by itself.

use std::time::{Duration, Instant};

use gatherhub_e2e::TestApp;
use gatherhub_redis::testing::RedisServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::ws::Ws;
use super::{Cluster, poll, readiness, vote};

/// Waits (boundedly) until `app`'s readiness has `status`.
async fn until_ready_status(app: &TestApp, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = readiness(app).await;
        if body["status"] == status {
            return body;
        }
        assert!(Instant::now() < deadline, "readiness stayed {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_degrades_real_time_only_and_heals_by_itself() {
    let mut redis = RedisServer::start();
    let cluster = Cluster::new(&redis.url()).await;
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let (status, body) = readiness(&a).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "healthy", "{body}");
    for check in ["redis", "channels", "database"] {
        assert_eq!(body["checks"][check]["status"], "healthy", "{body}");
        assert!(body["checks"][check]["latency_ms"].is_number(), "{body}");
    }
    let alice = a.register("rs_alice").await;
    let bob = a.register("rs_bob").await;
    let (event, poll, options) = poll(&a, &alice, json!({})).await;
    let mut on_b = Ws::connect(&b, "voting", None).await;
    let mut on_a = Ws::connect(&a, "voting", None).await;
    let _alice_online = Ws::connect(&b, "events", Some(&alice.access)).await;

    redis.stop();

    // REST answers as usual, and promptly.
    let started = Instant::now();
    vote(&a, &alice, poll, options[0]).await;
    let joined = b
        .post(
            &format!("/api/v1/events/{event}/join/"),
            &json!({}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::CREATED);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "REST waited on Redis"
    );
    // This instance's own subscribers still hear its changes.
    assert_eq!(on_a.expect("vote.cast").await["data"]["total_votes"], 1);

    for app in [&a, &b] {
        let body = until_ready_status(app, "degraded").await;
        let (status, _) = readiness(app).await;
        assert_eq!(status, StatusCode::OK, "degraded is still ready");
        assert_eq!(body["checks"]["redis"]["status"], "unhealthy", "{body}");
        assert_eq!(body["checks"]["channels"]["status"], "unhealthy", "{body}");
        assert_eq!(body["checks"]["database"]["status"], "healthy", "{body}");
    }
    assert_eq!(a.get("/health/live/", None).await.status(), StatusCode::OK);
    // Presence cannot be known: 503, never a wrong list.
    let presence = a
        .get(
            &format!("/api/v1/events/{event}/presence/"),
            Some(&alice.access),
        )
        .await;
    assert_eq!(presence.status(), StatusCode::SERVICE_UNAVAILABLE);

    redis.resume();

    for app in [&a, &b] {
        until_ready_status(app, "healthy").await;
    }
    // Redis came back empty: B put Alice's connection back by itself.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = a
            .get(
                &format!("/api/v1/events/{event}/presence/"),
                Some(&alice.access),
            )
            .await;
        if response.status() == StatusCode::OK {
            let body: Value = response.json().await.unwrap();
            if body["online"][0]["id"] == alice.id {
                break;
            }
        }
        assert!(Instant::now() < deadline, "presence never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The subscriber on B, connected all along, hears A's changes again.
    let results = vote(&a, &bob, poll, options[1]).await;
    let message = on_b.expect("vote.cast").await;
    assert_eq!(message["data"]["total_votes"], 2, "{message}");
    assert_eq!(message["data"]["options"], results["options"]);
}
