//! `/api/v1/voting/` end to end: shapes, validation, visibility, who may
//! vote and manage, results and voters, closing, and a same-user vote race.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

mod ballots;
mod polls;
mod race;

use futures_util::future::join_all;
use gatherhub_e2e::{TestApp, TestUser, expect_error, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An app with an organizer (`org`) of a public event that `bob` joined, an
/// outsider `out`, and one single-choice poll by `bob` with three options.
struct Setup {
    app: TestApp,
    org: TestUser,
    bob: TestUser,
    out: TestUser,
    event: i64,
    poll: Value,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let org = app.register("org").await;
    let bob = app.register("bob").await;
    let out = app.register("out").await;
    let event = app.create_event(&org, json!({})).await["id"]
        .as_i64()
        .unwrap();
    join(&app, event, &bob).await;
    let poll = create(
        &app,
        &bob,
        json!({"event": event, "title": "Venue", "options": options(&["Hall", "Park", "Pub"])}),
    )
    .await;
    Setup {
        app,
        org,
        bob,
        out,
        event,
        poll,
    }
}

async fn join(app: &TestApp, event: i64, user: &TestUser) -> Value {
    let response = app
        .post(
            &format!("/api/v1/events/{event}/join/"),
            &json!({}),
            Some(&user.access),
        )
        .await;
    expect_status(response, StatusCode::CREATED).await
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    expect_status(
        app.post("/api/v1/voting/", &body, Some(&user.access)).await,
        StatusCode::CREATED,
    )
    .await
}

fn options(texts: &[&str]) -> Value {
    texts.iter().map(|t| json!({"text": t})).collect()
}

fn path(poll: &Value, tail: &str) -> String {
    format!("/api/v1/voting/{}/{tail}", poll["id"])
}

fn option(poll: &Value, index: usize) -> i64 {
    poll["options"][index]["id"].as_i64().unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}
