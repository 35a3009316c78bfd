//! Creating and reading events over HTTP: the shape, validation, anonymous
//! callers and private events.

use gatherhub_e2e::{TestApp, TestUser, expect_error, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{get_event, path, private_event};

async fn create(app: &TestApp, user: &TestUser, body: Value) -> reqwest::Response {
    app.post("/api/v1/events/", &body, Some(&user.access)).await
}

#[tokio::test]
async fn a_new_event_has_the_contract_shape() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let body = json!({
        "title": "  Community Meetup ", "description": "Monthly community gathering",
        "date": "2099-02-15T20:00:00+02:00", "end_date": "2099-02-15T22:30:00Z",
        "location": "Community Center", "max_participants": 50,
    });
    let event = expect_status(
        app.post("/api/v1/events/", &body, Some(&alice.access))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let mut keys: Vec<&str> = event
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "date",
            "description",
            "end_date",
            "id",
            "location",
            "max_participants",
            "membership",
            "organizer",
            "participant_count",
            "status",
            "title",
            "updated_at",
            "visibility",
            "waitlist_count"
        ]
    );
    assert!(event["id"].as_i64().unwrap() >= 1);
    assert_eq!(event["title"], "Community Meetup");
    assert_eq!(
        event["date"], "2099-02-15T18:00:00Z",
        "output is UTC with Z"
    );
    assert_eq!(event["end_date"], "2099-02-15T22:30:00Z");
    assert_eq!(event["max_participants"], 50);
    assert_eq!(event["visibility"], "public");
    assert_eq!(event["status"], "upcoming");
    assert_eq!(
        event["organizer"],
        json!({"id": alice.id, "username": "alice", "first_name": "Test", "last_name": "User"})
    );
    assert_eq!(
        (
            event["participant_count"].as_u64(),
            event["waitlist_count"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(
        event["membership"],
        json!({"role": "organizer", "status": "going", "waitlist_position": null})
    );
    for key in ["created_at", "updated_at"] {
        let at = event[key].as_str().unwrap();
        assert!(at.ends_with('Z'), "{key} {at}");
        chrono::DateTime::parse_from_rfc3339(at).unwrap();
    }
    let defaults = app.create_event(&alice, json!({})).await;
    assert_eq!(
        (
            &defaults["end_date"],
            &defaults["max_participants"],
            &defaults["description"],
            &defaults["location"]
        ),
        (&Value::Null, &Value::Null, &json!(""), &json!(""))
    );
}

#[tokio::test]
async fn anonymous_callers_read_public_events_but_cannot_write() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let event = app.create_event(&alice, json!({})).await;
    let seen = get_event(&app, &event, None).await;
    assert_eq!(seen["membership"], Value::Null);
    assert_eq!(seen["id"], event["id"]);
    let body = json!({"title": "x", "date": hours_from_now(24)});
    let response = app.post("/api/v1/events/", &body, None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_error(
        app.patch(&path(&event, ""), &body, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(
        app.delete(&path(&event, ""), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(
        app.post(&path(&event, "join/"), &json!({}), None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // A bad token never falls back to anonymous, even on a public read.
    let response = app.get(&path(&event, ""), Some("not-a-token")).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
}

#[tokio::test]
async fn create_validation_reports_every_field() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let body = expect_error(
        create(&app, &alice, json!({})).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"title": ["This field is required."], "date": ["This field is required."]})
    );
    let body = json!({
        "title": "t".repeat(201), "description": "d".repeat(10_001), "date": hours_from_now(-1),
        "location": "l".repeat(256), "max_participants": 0, "visibility": "secret", "status": "upcoming",
    });
    let body = expect_error(
        create(&app, &alice, body).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    let mut fields: Vec<&str> = body["details"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "date",
            "description",
            "location",
            "max_participants",
            "status",
            "title",
            "visibility"
        ]
    );
    assert_eq!(
        body["details"]["date"],
        json!(["The date must be in the future."])
    );

    let date = chrono::Utc::now() + chrono::Duration::days(1);
    let backwards = json!({"title": "x", "date": date.to_rfc3339(), "end_date": (date - chrono::Duration::hours(1)).to_rfc3339()});
    let body = expect_error(
        create(&app, &alice, backwards).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert!(body["details"]["end_date"].is_array(), "{body}");
    let body = expect_error(
        create(
            &app,
            &alice,
            json!({"title": "x", "date": hours_from_now(1), "max_participants": 100_001}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert!(body["details"]["max_participants"].is_array(), "{body}");
    // Wrong types and nulls are field errors too; malformed JSON is not.
    for (bad, field) in [
        (json!({"title": "x", "date": "tomorrow"}), "date"),
        (
            json!({"title": "x", "date": hours_from_now(1), "max_participants": "ten"}),
            "max_participants",
        ),
        (json!({"title": null, "date": hours_from_now(1)}), "title"),
        (
            json!({"title": "x", "date": hours_from_now(1), "visibility": null}),
            "visibility",
        ),
    ] {
        let body = expect_error(
            create(&app, &alice, bad).await,
            StatusCode::BAD_REQUEST,
            "validation_error",
        )
        .await;
        assert!(body["details"][field].is_array(), "{field}: {body}");
    }
    let response = app
        .client
        .post(app.url("/api/v1/events/"))
        .bearer_auth(&alice.access)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_json").await;
    let list = expect_status(
        app.get("/api/v1/events/", Some(&alice.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["count"], 0, "nothing was created");
}

#[tokio::test]
async fn private_events_are_404_for_non_members() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    let event = private_event(&app, &alice).await;
    let missing = expect_error(
        app.get(&path(&event, ""), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let hidden = expect_error(
        app.get(&path(&event, ""), Some(&bob.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let absent = expect_error(
        app.get("/api/v1/events/999999/", Some(&bob.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(
        hidden["message"], absent["message"],
        "hidden looks exactly like missing"
    );
    assert_eq!(missing["message"], absent["message"]);
    for response in [
        app.patch(
            &path(&event, ""),
            &json!({"title": "Mine"}),
            Some(&bob.access),
        )
        .await,
        app.delete(&path(&event, ""), Some(&bob.access)).await,
        app.post(&path(&event, "join/"), &json!({}), Some(&bob.access))
            .await,
        app.post(&path(&event, "leave/"), &json!({}), Some(&bob.access))
            .await,
        app.get(&path(&event, "members/"), Some(&bob.access)).await,
        app.get(&path(&event, "presence/"), Some(&bob.access)).await,
    ] {
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(
        get_event(&app, &event, Some(&alice)).await["visibility"],
        "private"
    );
}
