//! End-to-end tests of `/api/v1/events/`: the event shape, validation,
//! visibility and permissions, membership and the waitlist, listing and
//! pagination, and concurrent joins.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

mod crud;
mod listing;
mod membership;
mod race;
mod update;

use gatherhub_e2e::{TestApp, TestUser, expect_status};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `/api/v1/events/{id}/` plus `rest`.
fn path(event: &Value, rest: &str) -> String {
    format!("/api/v1/events/{}/{rest}", event["id"])
}

async fn private_event(app: &TestApp, user: &TestUser) -> Value {
    app.create_event(user, json!({"visibility": "private", "title": "Secret"}))
        .await
}

async fn join(app: &TestApp, event: &Value, user: &TestUser) -> Value {
    let response = app
        .post(&path(event, "join/"), &json!({}), Some(&user.access))
        .await;
    expect_status(response, StatusCode::CREATED).await
}

async fn get_event(app: &TestApp, event: &Value, user: Option<&TestUser>) -> Value {
    let response = app
        .get(&path(event, ""), user.map(|u| u.access.as_str()))
        .await;
    expect_status(response, StatusCode::OK).await
}
