//! A subscriber receives a message only if it may see that thing through REST
//! at that moment: public events for anyone, private events and all tasks for
//! members only, also as membership changes while connected.
//!
//! "Never receives" is checked with a marker: after the private change, a
//! public change is made, and the next message must be the marker (the
//! fabric keeps each publisher's order).

use gatherhub_e2e::{TestApp, expect_error, expect_status};
use reqwest::StatusCode;
use serde_json::json;

use super::client::{Ws, refused, ws_url};

#[tokio::test]
async fn anonymous_subscribers_get_public_events_only() {
    let app = TestApp::spawn().await;
    let alice = app.register("vis_alice").await;
    let (mut events, hello) = Ws::connect(&app, "events", None).await;
    assert!(hello["user"].is_null());
    let (mut voting, _) = Ws::connect(&app, "voting", None).await;

    let private = app
        .create_event(&alice, json!({"visibility": "private"}))
        .await;
    let private_id = private["id"].as_i64().unwrap();
    expect_status(
        app.post(
            "/api/v1/voting/",
            &json!({"event": private_id, "title": "Hidden", "options": [{"text": "A"}, {"text": "B"}]}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.patch(
            &format!("/api/v1/events/{private_id}/"),
            &json!({"title": "Still hidden"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let public = app
        .create_event(&alice, json!({"title": "Open to all"}))
        .await;
    let public_id = public["id"].as_i64().unwrap();
    expect_status(
        app.post(
            "/api/v1/voting/",
            &json!({"event": public_id, "title": "Seen", "options": [{"text": "A"}, {"text": "B"}]}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let next = events.next().await;
    assert_eq!(next["type"], "event.created");
    assert_eq!(
        next["event_id"], public_id,
        "the private event leaked: {next}"
    );
    let next = voting.next().await;
    assert_eq!(next["type"], "poll.created");
    assert_eq!(
        next["data"]["title"], "Seen",
        "the private poll leaked: {next}"
    );
    events.assert_quiet().await;
    voting.assert_quiet().await;

    // The organizer sees her private event's messages.
    let (mut own, _) = Ws::connect(&app, "events", Some(&alice.access)).await;
    expect_status(
        app.patch(
            &format!("/api/v1/events/{private_id}/"),
            &json!({"title": "Mine"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(own.expect("event.updated").await["event_id"], private_id);
    events.assert_quiet().await;
}

#[tokio::test]
async fn private_messages_start_when_added_and_stop_when_removed() {
    let app = TestApp::spawn().await;
    let alice = app.register("pm_alice").await;
    let bob = app.register("pm_bob").await;
    let private = app
        .create_event(&alice, json!({"visibility": "private"}))
        .await;
    let id = private["id"].as_i64().unwrap();
    let marker = app.create_event(&alice, json!({"title": "Marker"})).await;
    let marker_id = marker["id"].as_i64().unwrap();
    let (mut bob_ws, _) = Ws::connect(&app, "events", Some(&bob.access)).await;
    let path = format!("/api/v1/events/{id}/");
    let touch = |title: &'static str| {
        let app = &app;
        let path = path.clone();
        let token = alice.access.clone();
        async move {
            expect_status(
                app.patch(&path, &json!({"title": title}), Some(&token))
                    .await,
                StatusCode::OK,
            )
            .await;
        }
    };
    let mark = || async {
        expect_status(
            app.patch(
                &format!("/api/v1/events/{marker_id}/"),
                &json!({"description": "tick"}),
                Some(&alice.access),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    };

    touch("Before").await;
    mark().await;
    let next = bob_ws.expect("event.updated").await;
    assert_eq!(
        next["event_id"], marker_id,
        "leaked to a non-member: {next}"
    );

    expect_status(
        app.post(
            &format!("{path}members/"),
            &json!({"username": "pm_bob"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let joined = bob_ws.expect("member.joined").await;
    assert_eq!(joined["event_id"], id);
    assert_eq!(joined["data"]["user"]["id"], bob.id);
    touch("During").await;
    let during = bob_ws.expect("event.updated").await;
    assert_eq!(during["event_id"], id);
    assert_eq!(during["data"]["title"], "During");

    expect_status(
        app.delete(&format!("{path}members/{}/", bob.id), Some(&alice.access))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    touch("After").await;
    expect_status(
        app.delete(&path, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    mark().await;
    let next = bob_ws.expect("event.updated").await;
    assert_eq!(
        next["event_id"], marker_id,
        "leaked to a removed member: {next}"
    );
    bob_ws.assert_quiet().await;
}

#[tokio::test]
async fn members_hear_of_their_private_event_being_deleted() {
    let app = TestApp::spawn().await;
    let alice = app.register("del_alice").await;
    let bob = app.register("del_bob").await;
    let private = app
        .create_event(&alice, json!({"visibility": "private"}))
        .await;
    let id = private["id"].as_i64().unwrap();
    expect_status(
        app.post(
            &format!("/api/v1/events/{id}/members/"),
            &json!({"username": "del_bob"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (mut bob_ws, _) = Ws::connect(&app, "events", Some(&bob.access)).await;
    let (mut anon, _) = Ws::connect(&app, "events", None).await;
    expect_status(
        app.delete(&format!("/api/v1/events/{id}/"), Some(&alice.access))
            .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let deleted = bob_ws.expect("event.deleted").await;
    assert_eq!(deleted["data"], json!({"id": id}));
    anon.assert_quiet().await;
}

#[tokio::test]
async fn tasks_go_to_going_members_only() {
    let app = TestApp::spawn().await;
    let alice = app.register("tv_alice").await;
    let bob = app.register("tv_bob").await;
    let carol = app.register("tv_carol").await;

    let (status, body) = refused(ws_url(&app, "tasks", None)).await.expect("refused");
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unauthorized");

    let event = app
        .create_event(&alice, json!({"max_participants": 2}))
        .await;
    let id = event["id"].as_i64().unwrap();
    let (mut bob_ws, _) = Ws::connect(&app, "tasks", Some(&bob.access)).await;
    let (mut carol_ws, _) = Ws::connect(&app, "tasks", Some(&carol.access)).await;
    let create = |title: &'static str| {
        let app = &app;
        let token = alice.access.clone();
        async move {
            expect_status(
                app.post(
                    "/api/v1/tasks/",
                    &json!({"event": id, "title": title}),
                    Some(&token),
                )
                .await,
                StatusCode::CREATED,
            )
            .await
        }
    };

    create("Before joining").await;
    bob_ws.assert_quiet().await;

    expect_status(
        app.post(
            &format!("/api/v1/events/{id}/join/"),
            &json!({}),
            Some(&bob.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // Carol is waitlisted: a member, but tasks are for going members.
    let waitlisted = expect_status(
        app.post(
            &format!("/api/v1/events/{id}/join/"),
            &json!({}),
            Some(&carol.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(waitlisted["status"], "waitlisted");
    let task = create("After joining").await;
    let message = bob_ws.expect("task.created").await;
    assert_eq!(message["data"], task);
    carol_ws.assert_quiet().await;
    expect_error(
        app.get(
            &format!("/api/v1/tasks/{}/", task["id"]),
            Some(&carol.access),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Bob leaves: Carol is promoted and now gets tasks; Bob does not.
    expect_status(
        app.post(
            &format!("/api/v1/events/{id}/leave/"),
            &json!({}),
            Some(&bob.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let task = create("After promotion").await;
    assert_eq!(carol_ws.expect("task.created").await["data"], task);
    bob_ws.assert_quiet().await;
}
