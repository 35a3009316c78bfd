//! Changing and deleting events over HTTP: permissions, PUT and PATCH,
//! read-only fields, capacity and cancelling.

use gatherhub_e2e::{TestApp, expect_error, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{get_event, join, path};

#[tokio::test]
async fn only_the_organizer_changes_and_deletes() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let event = app.create_event(&alice, json!({})).await;
    join(&app, &event, &bob).await;
    let response = app
        .patch(
            &path(&event, ""),
            &json!({"title": "Mine"}),
            Some(&bob.access),
        )
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = app
        .put(
            &path(&event, ""),
            &json!({"title": "Mine", "date": hours_from_now(5)}),
            Some(&bob.access),
        )
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        app.delete(&path(&event, ""), Some(&bob.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let patched = app
        .patch(
            &path(&event, ""),
            &json!({"title": "Renamed", "location": "Hall"}),
            Some(&alice.access),
        )
        .await;
    let patched = expect_status(patched, StatusCode::OK).await;
    assert_eq!(
        (patched["title"].as_str(), patched["location"].as_str()),
        (Some("Renamed"), Some("Hall"))
    );
    assert_eq!(patched["date"], event["date"]);
    assert_eq!(patched["membership"]["role"], "organizer");
    expect_status(
        app.delete(&path(&event, ""), Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_error(
        app.get(&path(&event, ""), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.delete(&path(&event, ""), Some(&alice.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn put_requires_title_and_date() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let event = app.create_event(&alice, json!({"location": "Hall"})).await;
    let response = app
        .put(
            &path(&event, ""),
            &json!({"description": "only this"}),
            Some(&alice.access),
        )
        .await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        body["details"],
        json!({"title": ["This field is required."], "date": ["This field is required."]})
    );
    let response = app
        .put(
            &path(&event, ""),
            &json!({"title": "New", "date": event["date"]}),
            Some(&alice.access),
        )
        .await;
    let put = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        (put["title"].as_str(), put["location"].as_str()),
        (Some("New"), Some("Hall"))
    );
}

#[tokio::test]
async fn read_only_fields_are_ignored() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let event = app
        .create_event(
            &alice,
            json!({"id": 777, "organizer": bob.id, "participant_count": 40}),
        )
        .await;
    assert_ne!(event["id"], 777);
    assert_eq!(event["organizer"]["id"], alice.id);
    assert_eq!(event["participant_count"], 1);
    let sneaky = json!({
        "id": 999, "organizer": {"id": bob.id}, "organizer_id": bob.id, "participant_count": 100,
        "waitlist_count": 5, "membership": null, "created_at": "2000-01-01T00:00:00Z", "cancelled": true,
        "title": "Renamed",
    });
    let changed = expect_status(
        app.patch(&path(&event, ""), &sneaky, Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["id"], event["id"]);
    assert_eq!(changed["organizer"]["id"], alice.id);
    assert_eq!(
        (
            changed["participant_count"].as_u64(),
            changed["waitlist_count"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(changed["created_at"], event["created_at"]);
    assert_eq!(changed["status"], "upcoming");
    assert_eq!(changed["membership"]["role"], "organizer");
    assert_eq!(changed["title"], "Renamed");
}

#[tokio::test]
async fn capacity_changes_respect_the_going_count() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let event = app
        .create_event(&alice, json!({"max_participants": 2}))
        .await;
    join(&app, &event, &bob).await;
    let waiting = join(&app, &event, &carol).await;
    assert_eq!(
        (
            waiting["status"].as_str(),
            waiting["waitlist_position"].as_u64()
        ),
        (Some("waitlisted"), Some(1))
    );
    let response = app
        .patch(
            &path(&event, ""),
            &json!({"max_participants": 1}),
            Some(&alice.access),
        )
        .await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert!(body["details"]["max_participants"].is_array(), "{body}");
    let response = app
        .patch(
            &path(&event, ""),
            &json!({"max_participants": null}),
            Some(&alice.access),
        )
        .await;
    let raised = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        (
            raised["max_participants"].clone(),
            raised["participant_count"].as_u64(),
            raised["waitlist_count"].as_u64()
        ),
        (Value::Null, Some(3), Some(0))
    );
    assert_eq!(
        get_event(&app, &event, Some(&carol)).await["membership"]["status"],
        "going"
    );
}

#[tokio::test]
async fn cancelling_closes_the_event() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let event = app.create_event(&alice, json!({})).await;
    let response = app
        .patch(
            &path(&event, ""),
            &json!({"status": "completed"}),
            Some(&alice.access),
        )
        .await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert!(body["details"]["status"].is_array());
    let response = app
        .patch(
            &path(&event, ""),
            &json!({"status": "cancelled"}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(
        expect_status(response, StatusCode::OK).await["status"],
        "cancelled"
    );
    let response = app
        .post(&path(&event, "join/"), &json!({}), Some(&bob.access))
        .await;
    expect_error(response, StatusCode::CONFLICT, "event_closed").await;
    let response = app
        .patch(
            &path(&event, ""),
            &json!({"status": "upcoming"}),
            Some(&alice.access),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
}

#[tokio::test]
async fn wrong_methods_and_ids() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let event = app.create_event(&alice, json!({})).await;
    let response = app.get(&path(&event, "join/"), Some(&alice.access)).await;
    assert_eq!(response.headers()["allow"], "POST");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let response = app
        .request(
            reqwest::Method::POST,
            &path(&event, ""),
            Some(&json!({})),
            Some(&alice.access),
        )
        .await;
    assert_eq!(response.headers()["allow"], "GET, PUT, PATCH, DELETE");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    expect_error(
        app.get("/api/v1/events/abc/", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Without the final slash the same route answers.
    let url = format!("/api/v1/events/{}", event["id"]);
    expect_status(app.get(&url, None).await, StatusCode::OK).await;
}
