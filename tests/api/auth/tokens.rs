//! Tokens and sessions over HTTP: rotating refresh, reuse detection,
//! concurrent refreshes, token kinds and logout.

use gatherhub_e2e::{PASSWORD, TestApp, expect_error, expect_status};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{keys, login, profile, refresh};

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_session() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let pair = expect_status(refresh(&app, &alice.refresh).await, StatusCode::OK).await;
    assert_eq!(keys(&pair), ["access", "refresh"]);
    let new_access = pair["access"].as_str().unwrap();
    let new_refresh = pair["refresh"].as_str().unwrap();
    expect_status(
        app.get("/api/v1/auth/profile/", Some(new_access)).await,
        StatusCode::OK,
    )
    .await;

    // The spent token again: theft. The whole session goes.
    expect_error(
        refresh(&app, &alice.refresh).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    expect_error(
        refresh(&app, new_refresh).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    for access in [alice.access.as_str(), new_access] {
        let response = app.get("/api/v1/auth/profile/", Some(access)).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;
    }
}

#[tokio::test]
async fn exactly_one_of_many_concurrent_refreshes_succeeds() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let calls = (0..20).map(|_| refresh(&app, &alice.refresh));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(calls)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn token_kinds_are_not_interchangeable() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    expect_error(
        refresh(&app, &alice.access).await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    let response = app.get("/api/v1/auth/profile/", Some(&alice.refresh)).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
    let response = app
        .post(
            "/api/v1/auth/logout/",
            &json!({"refresh": alice.access}),
            None,
        )
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
    expect_error(
        refresh(&app, "garbage").await,
        StatusCode::UNAUTHORIZED,
        "token_invalid",
    )
    .await;
    let body = expect_error(
        app.post("/api/v1/auth/refresh/", &json!({}), None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"refresh": ["This field is required."]})
    );
}

#[tokio::test]
async fn logout_revokes_the_sessions_refresh_and_access_tokens() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let other = expect_status(login(&app, "alice", PASSWORD).await, StatusCode::OK).await;
    let response = app
        .post(
            "/api/v1/auth/logout/",
            &json!({"refresh": alice.refresh}),
            None,
        )
        .await;
    assert_eq!(
        expect_status(response, StatusCode::NO_CONTENT).await,
        Value::Null
    );
    expect_error(
        profile(&app, &alice).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    expect_error(
        refresh(&app, &alice.refresh).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    let again = app
        .post(
            "/api/v1/auth/logout/",
            &json!({"refresh": alice.refresh}),
            None,
        )
        .await;
    expect_error(again, StatusCode::UNAUTHORIZED, "token_revoked").await;
    // The other login is another session and lives on.
    let response = app
        .get("/api/v1/auth/profile/", other["access"].as_str())
        .await;
    expect_status(response, StatusCode::OK).await;
}
