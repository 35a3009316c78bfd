//! Delivery across instances: what is written through one instance reaches
//! the subscribers of the others, and only those who may see it.

use gatherhub_e2e::{TestApp, expect_status};
use gatherhub_redis::testing::shared_url;
use reqwest::StatusCode;
use serde_json::json;

use super::ws::Ws;
use super::{Cluster, poll, vote};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_cast_through_one_instance_reaches_subscribers_of_another() {
    let cluster = Cluster::new(&shared_url()).await;
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let alice = a.register("cl_alice").await;
    let (event, poll, options) = poll(&a, &alice, json!({})).await;
    let mut on_a = Ws::connect(&a, "voting", None).await;
    let mut on_b = Ws::connect(&b, "voting", None).await;
    let mut member_on_b = Ws::connect(&b, "voting", Some(&alice.access)).await;

    let results = vote(&a, &alice, poll, options[0]).await;

    for socket in [&mut on_b, &mut member_on_b, &mut on_a] {
        let message = socket.expect("vote.cast").await;
        assert_eq!(message["event_id"], event, "{message}");
        assert_eq!(message["data"]["poll"], poll, "{message}");
        assert_eq!(message["data"]["total_votes"], 1, "{message}");
        assert_eq!(message["data"]["options"], results["options"], "{message}");
        assert_eq!(message["data"]["voter"]["id"], alice.id, "{message}");
        // Exactly once, whatever the number of instances.
        assert_eq!(socket.settle().await, Vec::<serde_json::Value>::new());
    }
    // A member reads the voters, an anonymous subscriber does not (REST's rule).
    let mut on_b_again = Ws::connect(&b, "voting", None).await;
    let mut member_again = Ws::connect(&b, "voting", Some(&alice.access)).await;
    vote(&a, &alice, poll, options[1]).await;
    let anonymous = on_b_again.expect("vote.cast").await;
    assert!(anonymous["data"].get("voters").is_none(), "{anonymous}");
    let member = member_again.expect("vote.cast").await;
    assert!(member["data"]["voters"].is_object(), "{member}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_events_messages_reach_only_its_members_on_every_instance() {
    let cluster = Cluster::new(&shared_url()).await;
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let alice = a.register("pv_alice").await;
    let bob = a.register("pv_bob").await;
    let (event, poll, options) = poll(&a, &alice, json!({"visibility": "private"})).await;
    let mut member = Ws::connect(&b, "voting", Some(&alice.access)).await;
    let mut outsider = Ws::connect(&b, "voting", Some(&bob.access)).await;
    let mut anonymous = Ws::connect(&b, "voting", None).await;

    vote(&a, &alice, poll, options[0]).await;
    assert_eq!(member.expect("vote.cast").await["event_id"], event);
    for socket in [&mut outsider, &mut anonymous] {
        assert_eq!(socket.settle().await, Vec::<serde_json::Value>::new());
    }

    // Bob is added through the other instance while connected: from the
    // next change on, he receives the event's messages too.
    expect_status(
        b.post(
            &format!("/api/v1/events/{event}/members/"),
            &json!({"username": "pv_bob"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    vote(&a, &bob, poll, options[1]).await;
    assert_eq!(
        outsider.expect("vote.cast").await["data"]["total_voters"],
        2
    );
    assert_eq!(member.expect("vote.cast").await["data"]["total_voters"], 2);
    assert_eq!(anonymous.settle().await, Vec::<serde_json::Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_through_one_instance_closes_the_sessions_sockets_on_another() {
    let cluster = Cluster::new(&shared_url()).await;
    let a = cluster.instance().await;
    let b = cluster.instance().await;
    let carol = a.register("lo_carol").await;
    let mut on_b = Ws::connect(&b, "events", Some(&carol.access)).await;
    let mut anonymous = Ws::connect(&b, "events", None).await;

    expect_status(
        a.post(
            "/api/v1/auth/logout/",
            &json!({"refresh": carol.refresh}),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;

    assert_eq!(on_b.closed().await, Some(1008));
    assert_eq!(anonymous.settle().await, Vec::<serde_json::Value>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_instances_do_not_hear_each_other() {
    // The control experiment: the delivery above is Redis's doing.
    let cluster = Cluster::new(&shared_url()).await;
    let a = cluster.lone_instance().await;
    let b: TestApp = cluster.lone_instance().await;
    let alice = a.register("ln_alice").await;
    let (_, poll, options) = poll(&a, &alice, json!({})).await;
    let mut on_a = Ws::connect(&a, "voting", None).await;
    let mut on_b = Ws::connect(&b, "voting", None).await;
    vote(&a, &alice, poll, options[0]).await;
    on_a.expect("vote.cast").await;
    assert_eq!(on_b.settle().await, Vec::<serde_json::Value>::new());
}
