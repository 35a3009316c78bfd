//! Joining, leaving, the waitlist, organizer-managed members and presence.

use gatherhub_e2e::{TestApp, TestUser, expect_error, expect_status};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{get_event, join, path, private_event};

async fn members(app: &TestApp, event: &Value, user: Option<&TestUser>) -> Value {
    let response = app
        .get(&path(event, "members/"), user.map(|u| u.access.as_str()))
        .await;
    expect_status(response, StatusCode::OK).await
}

/// (username, status, waitlist_position) of every member, in list order.
async fn roster(app: &TestApp, event: &Value) -> Vec<(String, String, Value)> {
    members(app, event, None).await["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["username"].as_str().unwrap().to_owned(),
                m["status"].as_str().unwrap().to_owned(),
                m["waitlist_position"].clone(),
            )
        })
        .collect()
}

fn row(name: &str, status: &str, position: Value) -> (String, String, Value) {
    (name.to_owned(), status.to_owned(), position)
}

#[tokio::test]
async fn joining_gives_a_membership_and_joining_again_returns_it() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let event = app.create_event(&alice, json!({})).await;
    let joined = join(&app, &event, &bob).await;
    let mut keys: Vec<&str> = joined
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["joined_at", "role", "status", "user", "waitlist_position"]
    );
    assert_eq!(
        joined["user"],
        json!({"id": bob.id, "username": "bob", "first_name": "Test", "last_name": "User"})
    );
    assert_eq!(
        (joined["role"].as_str(), joined["status"].as_str()),
        (Some("member"), Some("going"))
    );
    assert_eq!(joined["waitlist_position"], Value::Null);
    assert!(joined["joined_at"].as_str().unwrap().ends_with('Z'));
    let again = app
        .post(&path(&event, "join/"), &json!({}), Some(&bob.access))
        .await;
    assert_eq!(expect_status(again, StatusCode::OK).await, joined);
    let seen = get_event(&app, &event, Some(&bob)).await;
    assert_eq!(
        seen["membership"],
        json!({"role": "member", "status": "going", "waitlist_position": null})
    );
    assert_eq!(seen["participant_count"], 2);
}

#[tokio::test]
async fn a_full_event_waitlists_and_leaving_promotes_the_first_in_line() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let event = app
        .create_event(&alice, json!({"max_participants": 2}))
        .await;
    let (bob, carol, dave) = (
        app.register("bob").await,
        app.register("carol").await,
        app.register("dave").await,
    );
    assert_eq!(join(&app, &event, &bob).await["status"], "going");
    let c = join(&app, &event, &carol).await;
    let d = join(&app, &event, &dave).await;
    assert_eq!(
        (c["status"].as_str(), c["waitlist_position"].as_u64()),
        (Some("waitlisted"), Some(1))
    );
    assert_eq!(
        (d["status"].as_str(), d["waitlist_position"].as_u64()),
        (Some("waitlisted"), Some(2))
    );
    let seen = get_event(&app, &event, Some(&dave)).await;
    assert_eq!(
        (
            seen["participant_count"].as_u64(),
            seen["waitlist_count"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(
        seen["membership"],
        json!({"role": "member", "status": "waitlisted", "waitlist_position": 2})
    );

    let left = app
        .post(&path(&event, "leave/"), &json!({}), Some(&bob.access))
        .await;
    assert_eq!(
        expect_status(left, StatusCode::OK).await,
        json!({"status": "left"})
    );
    assert_eq!(
        roster(&app, &event).await,
        [
            row("alice", "going", Value::Null),
            row("carol", "going", Value::Null),
            row("dave", "waitlisted", json!(1))
        ]
    );
    let again = app
        .post(&path(&event, "leave/"), &json!({}), Some(&bob.access))
        .await;
    expect_error(again, StatusCode::CONFLICT, "not_member").await;
    let organizer = app
        .post(&path(&event, "leave/"), &json!({}), Some(&alice.access))
        .await;
    expect_error(organizer, StatusCode::CONFLICT, "organizer_cannot_leave").await;
}

#[tokio::test]
async fn members_are_listed_going_first_then_the_waitlist() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let event = app
        .create_event(&alice, json!({"max_participants": 1}))
        .await;
    let bob = app.register("bob").await;
    join(&app, &event, &bob).await;
    let page = members(&app, &event, None).await;
    assert_eq!(
        (page["count"].as_u64(), &page["next"], &page["previous"]),
        (Some(2), &Value::Null, &Value::Null)
    );
    let first = &page["results"][0];
    assert_eq!(
        (first["role"].as_str(), first["status"].as_str()),
        (Some("organizer"), Some("going"))
    );
    assert!(
        first["user"].get("email").is_none(),
        "never another user's email"
    );
    assert_eq!(page["results"][1]["waitlist_position"], 1);
    let secret = private_event(&app, &alice).await;
    expect_error(
        app.get(&path(&secret, "members/"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(members(&app, &secret, Some(&alice)).await["count"], 1);
}

#[tokio::test]
async fn the_organizer_adds_members_to_a_private_event() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let event = private_event(&app, &alice).await;
    let response = app
        .post(
            &path(&event, "members/"),
            &json!({"username": "BOB"}),
            Some(&alice.access),
        )
        .await;
    let added = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(
        (added["user"]["id"].as_i64(), added["status"].as_str()),
        (Some(bob.id), Some("going"))
    );
    assert_eq!(
        get_event(&app, &event, Some(&bob)).await["membership"]["role"],
        "member"
    );
    let listed = expect_status(
        app.get("/api/v1/events/", Some(&bob.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["count"], 1);

    let response = app
        .post(
            &path(&event, "members/"),
            &json!({"username": "bob"}),
            Some(&alice.access),
        )
        .await;
    expect_error(response, StatusCode::CONFLICT, "already_member").await;
    let response = app
        .post(
            &path(&event, "members/"),
            &json!({"username": "ghost"}),
            Some(&alice.access),
        )
        .await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(body["details"], json!({"username": ["User not found."]}));
    let response = app
        .post(&path(&event, "members/"), &json!({}), Some(&alice.access))
        .await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        body["details"],
        json!({"username": ["This field is required."]})
    );
    // A member who is not the organizer sees the event but may not add people.
    let response = app
        .post(
            &path(&event, "members/"),
            &json!({"username": "carol"}),
            Some(&bob.access),
        )
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    // A stranger does not even learn that it exists.
    let response = app
        .post(
            &path(&event, "members/"),
            &json!({"username": "carol"}),
            Some(&carol.access),
        )
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_organizer_removes_members() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let event = app
        .create_event(&alice, json!({"max_participants": 2}))
        .await;
    let (bob, carol) = (app.register("bob").await, app.register("carol").await);
    join(&app, &event, &bob).await;
    join(&app, &event, &carol).await;
    let bob_path = path(&event, &format!("members/{}/", bob.id));
    expect_error(
        app.delete(&bob_path, Some(&carol.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.delete(&bob_path, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_status(
        app.delete(&bob_path, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        roster(&app, &event).await,
        [
            row("alice", "going", Value::Null),
            row("carol", "going", Value::Null)
        ]
    );
    expect_error(
        app.delete(&bob_path, Some(&alice.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let organizer = path(&event, &format!("members/{}/", alice.id));
    expect_error(
        app.delete(&organizer, Some(&alice.access)).await,
        StatusCode::CONFLICT,
        "organizer_cannot_leave",
    )
    .await;
}

#[tokio::test]
async fn presence_is_for_members() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (
        app.register("alice").await,
        app.register("bob").await,
        app.register("carol").await,
    );
    let event = app.create_event(&alice, json!({})).await;
    let response = app
        .get(&path(&event, "presence/"), Some(&alice.access))
        .await;
    assert_eq!(
        expect_status(response, StatusCode::OK).await,
        json!({"online": []})
    );
    expect_error(
        app.get(&path(&event, "presence/"), Some(&bob.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.get(&path(&event, "presence/"), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    join(&app, &event, &bob).await;
    expect_status(
        app.get(&path(&event, "presence/"), Some(&bob.access)).await,
        StatusCode::OK,
    )
    .await;
    let secret = private_event(&app, &alice).await;
    expect_error(
        app.get(&path(&secret, "presence/"), Some(&carol.access))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
