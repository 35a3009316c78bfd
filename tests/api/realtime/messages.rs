//! Every server message type of API §6 arrives after the REST action that
//! causes it, with `data` equal to what REST returns for that object.

use gatherhub_e2e::{TestApp, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::client::Ws;

/// The event as an anonymous caller reads it (membership null).
async fn public_event(app: &TestApp, id: i64) -> Value {
    expect_status(
        app.get(&format!("/api/v1/events/{id}/"), None).await,
        StatusCode::OK,
    )
    .await
}

pub(super) fn check_envelope(message: &Value, kind: &str, event_id: i64) {
    assert_eq!(message["type"], kind, "{message}");
    assert_eq!(message["event_id"], event_id, "{message}");
    let timestamp = message["timestamp"].as_str().expect("timestamp");
    assert!(
        timestamp.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
        "{timestamp}"
    );
}

#[tokio::test]
async fn event_messages_follow_their_rest_actions() {
    let app = TestApp::spawn().await;
    let alice = app.register("rt_alice").await;
    let bob = app.register("rt_bob").await;
    let carol = app.register("rt_carol").await;
    let dave = app.register("rt_dave").await;
    let (mut anon, _) = Ws::connect(&app, "events", None).await;

    let event = app
        .create_event(&alice, json!({"max_participants": 2}))
        .await;
    let id = event["id"].as_i64().unwrap();
    let created = anon.expect("event.created").await;
    check_envelope(&created, "event.created", id);
    assert_eq!(created["data"], public_event(&app, id).await);

    let path = format!("/api/v1/events/{id}/");
    // A refused write announces nothing.
    expect_status(
        app.patch(&path, &json!({"title": "Hijacked"}), Some(&bob.access))
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    anon.assert_quiet().await;
    let joined = expect_status(
        app.post(&format!("{path}join/"), &json!({}), Some(&bob.access))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let message = anon.expect("member.joined").await;
    check_envelope(&message, "member.joined", id);
    assert_eq!(message["data"], joined);

    let waitlisted = expect_status(
        app.post(&format!("{path}join/"), &json!({}), Some(&carol.access))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(waitlisted["status"], "waitlisted");
    assert_eq!(anon.expect("member.joined").await["data"], waitlisted);

    // Bob leaves: Carol takes his place.
    expect_status(
        app.post(&format!("{path}leave/"), &json!({}), Some(&bob.access))
            .await,
        StatusCode::OK,
    )
    .await;
    let left = anon.expect("member.left").await;
    check_envelope(&left, "member.left", id);
    assert_eq!(left["data"]["user"]["id"], bob.id);
    assert_eq!(left["data"]["user"]["username"], "rt_bob");
    assert!(left["data"]["user"].get("email").is_none());
    let promoted = anon.expect("member.promoted").await;
    check_envelope(&promoted, "member.promoted", id);
    let members = expect_status(
        app.get(&format!("{path}members/"), None).await,
        StatusCode::OK,
    )
    .await;
    let carol_row = members["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["id"] == carol.id)
        .unwrap()
        .clone();
    assert_eq!(promoted["data"], carol_row);
    assert_eq!(promoted["data"]["status"], "going");

    // A raised capacity promotes too, after the update itself.
    expect_status(
        app.post(&format!("{path}join/"), &json!({}), Some(&dave.access))
            .await,
        StatusCode::CREATED,
    )
    .await;
    anon.expect("member.joined").await;
    let updated = expect_status(
        app.patch(
            &path,
            &json!({"max_participants": 3, "title": "Bigger"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let message = anon.expect("event.updated").await;
    check_envelope(&message, "event.updated", id);
    assert_eq!(message["data"], public_event(&app, id).await);
    assert_eq!(message["data"]["title"], updated["title"]);
    assert!(message["data"]["membership"].is_null());
    let promoted = anon.expect("member.promoted").await;
    assert_eq!(promoted["data"]["user"]["id"], dave.id);

    expect_status(
        app.patch(&path, &json!({"status": "cancelled"}), Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    let cancelled = anon.expect("event.cancelled").await;
    check_envelope(&cancelled, "event.cancelled", id);
    assert_eq!(cancelled["data"]["status"], "cancelled");
    assert_eq!(cancelled["data"], public_event(&app, id).await);

    expect_status(
        app.delete(&path, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let deleted = anon.expect("event.deleted").await;
    check_envelope(&deleted, "event.deleted", id);
    assert_eq!(deleted["data"], json!({"id": id}));
    anon.assert_quiet().await;
}

/// The ids of the event's members online now, as `token`'s holder reads them.
async fn online(app: &TestApp, id: i64, token: &str) -> Vec<i64> {
    let body = expect_status(
        app.get(&format!("/api/v1/events/{id}/presence/"), Some(token))
            .await,
        StatusCode::OK,
    )
    .await;
    body["online"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            assert!(u.get("email").is_none(), "{u}");
            u["id"].as_i64().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn presence_follows_connections_of_members() {
    let app = TestApp::spawn().await;
    let alice = app.register("pr_alice").await;
    let bob = app.register("pr_bob").await;
    let event = app
        .create_event(&alice, json!({"visibility": "private"}))
        .await;
    let id = event["id"].as_i64().unwrap();
    expect_status(
        app.post(
            &format!("/api/v1/events/{id}/members/"),
            &json!({"username": "pr_bob"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(online(&app, id, &alice.access).await.is_empty());

    let (mut watcher, _) = Ws::connect(&app, "events", Some(&alice.access)).await;
    // Her own first socket makes Alice online, and her events' members (she
    // is one) are told.
    let own = watcher.expect("presence.online").await;
    assert_eq!(own["data"]["user"]["id"], alice.id);
    assert_eq!(online(&app, id, &bob.access).await, [alice.id]);

    let (mut first, _) = Ws::connect(&app, "events", Some(&bob.access)).await;
    let message = watcher.expect("presence.online").await;
    check_envelope(&message, "presence.online", id);
    assert_eq!(message["data"]["user"]["id"], bob.id);
    assert!(message["data"]["user"].get("email").is_none());
    assert_eq!(
        online(&app, id, &alice.access).await,
        [alice.id, bob.id],
        "member order"
    );

    // A second socket of Bob's changes nothing, nor does closing one of two.
    let (second, _) = Ws::connect(&app, "voting", Some(&bob.access)).await;
    drop(second);
    assert_eq!(watcher.settle().await, Vec::<Value>::new());
    first
        .send(tokio_tungstenite::tungstenite::Message::Close(None))
        .await;
    let message = watcher.expect("presence.offline").await;
    check_envelope(&message, "presence.offline", id);
    assert_eq!(message["data"]["user"]["id"], bob.id);
    assert_eq!(online(&app, id, &alice.access).await, [alice.id]);
}

#[tokio::test]
async fn task_messages_follow_their_rest_actions() {
    let app = TestApp::spawn().await;
    let alice = app.register("tk_alice").await;
    let bob = app.register("tk_bob").await;
    let event = app.create_event(&alice, json!({})).await;
    let id = event["id"].as_i64().unwrap();
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
    let (mut ws, hello) = Ws::connect(&app, "tasks", Some(&alice.access)).await;
    assert_eq!(hello["stream"], "tasks");

    let task = expect_status(
        app.post(
            "/api/v1/tasks/",
            &json!({"event": id, "title": "Book the venue", "due_date": hours_from_now(5)}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let task_id = task["id"].as_i64().unwrap();
    let message = ws.expect("task.created").await;
    check_envelope(&message, "task.created", id);
    assert_eq!(message["data"], task);

    let path = format!("/api/v1/tasks/{task_id}/");
    let changed = expect_status(
        app.patch(&path, &json!({"priority": "high"}), Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ws.expect("task.updated").await["data"], changed);

    let assigned = expect_status(
        app.post(
            &format!("{path}assign/"),
            &json!({"assignee_id": bob.id}),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let message = ws.expect("task.assigned").await;
    assert_eq!(message["data"], assigned);
    assert_eq!(message["data"]["assignee"]["id"], bob.id);

    let completed = expect_status(
        app.post(&format!("{path}complete/"), &json!({}), Some(&bob.access))
            .await,
        StatusCode::OK,
    )
    .await;
    let message = ws.expect("task.completed").await;
    assert_eq!(message["data"], completed);
    assert_eq!(message["data"]["status"], "done");
    // Completing a done task changes nothing, so nothing is sent.
    expect_status(
        app.post(&format!("{path}complete/"), &json!({}), Some(&bob.access))
            .await,
        StatusCode::OK,
    )
    .await;
    ws.assert_quiet().await;

    expect_status(
        app.delete(&path, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let deleted = ws.expect("task.deleted").await;
    check_envelope(&deleted, "task.deleted", id);
    assert_eq!(deleted["data"], json!({"id": task_id}));
}
