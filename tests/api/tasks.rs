//! `/api/v1/tasks/` end to end: shapes, validation, who may see and change
//! what, assigning and claiming, completion, the list and its filters.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

mod access;
mod crud;
mod workflow;

use gatherhub_e2e::{TestApp, TestUser, expect_error, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An app with an organizer (`org`) of a public event that `bob` and `carol`
/// joined, and `out`, who did not.
struct Setup {
    app: TestApp,
    org: TestUser,
    bob: TestUser,
    carol: TestUser,
    out: TestUser,
    event: i64,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let org = app.register("org").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let out = app.register("out").await;
    let event = app.create_event(&org, json!({})).await["id"]
        .as_i64()
        .unwrap();
    for user in [&bob, &carol] {
        join(&app, event, user).await;
    }
    Setup {
        app,
        org,
        bob,
        carol,
        out,
        event,
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

async fn create(s: &Setup, user: &TestUser, body: Value) -> Value {
    let response = s
        .app
        .post("/api/v1/tasks/", &body, Some(&user.access))
        .await;
    expect_status(response, StatusCode::CREATED).await
}

fn path(task: &Value) -> String {
    format!("/api/v1/tasks/{}/", task["id"])
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
