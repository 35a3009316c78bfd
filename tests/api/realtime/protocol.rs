//! The upgrade (token, origin) and the client protocol: subscribe,
//! unsubscribe, ping, error replies that keep the connection open, and the
//! closes for oversized frames (1009) and floods (1008).

use gatherhub_e2e::{TestApp, expect_status};
use gatherhub_server::Settings;
use gatherhub_server::config::DatabaseUrl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::client::{Ws, refused, ws_url};

fn with_header(url: &str, name: &'static str, value: &str) -> Request {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert(name, HeaderValue::from_str(value).unwrap());
    request
}

#[tokio::test]
async fn the_upgrade_checks_the_token() {
    let app = TestApp::spawn().await;
    let alice = app.register("up_alice").await;

    let (ws, hello) = Ws::connect(&app, "events", Some(&alice.access)).await;
    assert_eq!(
        hello,
        json!({"type": "connection.established", "stream": "events",
               "user": {"id": alice.id, "username": "up_alice", "first_name": "Test", "last_name": "User"}})
    );
    drop(ws);
    let bearer = with_header(
        &ws_url(&app, "voting", None),
        "authorization",
        &format!("Bearer {}", alice.access),
    );
    let (_ws, hello) = Ws::open(bearer).await;
    assert_eq!(hello["stream"], "voting");
    assert_eq!(hello["user"]["id"], alice.id);

    for stream in ["events", "tasks", "voting"] {
        let (status, body) = refused(ws_url(&app, stream, Some("not-a-token")))
            .await
            .expect("an invalid token is refused");
        assert_eq!(status, 401, "{stream}");
        assert_eq!(body["error"], "token_invalid", "{body}");
        assert!(
            body["message"].is_string() && body["timestamp"].is_string(),
            "{body}"
        );
    }
    let (status, _) = refused(with_header(
        &ws_url(&app, "events", None),
        "authorization",
        "Basic eA==",
    ))
    .await
    .expect("a malformed header is refused");
    assert_eq!(status, 401);
    // The refresh token is not an access token.
    let (status, _) = refused(ws_url(&app, "events", Some(&alice.refresh)))
        .await
        .expect("a refresh token is refused");
    assert_eq!(status, 401);

    // A revoked session's access token is refused like any invalid one.
    expect_status(
        app.post(
            "/api/v1/auth/logout/",
            &json!({"refresh": alice.refresh}),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let (status, body) = refused(ws_url(&app, "events", Some(&alice.access)))
        .await
        .expect("a revoked token is refused");
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("token_revoked"))
    );
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let settings = Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Memory,
        rate_limit_enabled: false,
        cors_allowed_origins: vec!["https://app.example.com".into()],
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let url = ws_url(&app, "events", None);
    let (status, body) = refused(with_header(&url, "origin", "https://evil.example.com"))
        .await
        .expect("a foreign origin is refused");
    assert_eq!(status, 403);
    assert_eq!(body["error"], "forbidden");
    assert!(refused(with_header(&url, "origin", "null")).await.is_some());
    let (_allowed, _) = Ws::open(with_header(&url, "origin", "https://app.example.com")).await;
    let (_own, _) = Ws::open(with_header(&url, "origin", &app.address)).await;
    let (_no_origin, _) = Ws::open(url.as_str()).await;
}

#[tokio::test]
async fn bad_messages_get_errors_and_the_connection_stays_open() {
    let app = TestApp::spawn().await;
    let (mut ws, _) = Ws::connect(&app, "events", None).await;
    let error = |reply: &Value, code: &str| {
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(reply["error"], code, "{reply}");
        assert!(
            reply["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{reply}"
        );
    };

    ws.send(Message::text("{not json")).await;
    error(&ws.next().await, "invalid_json");
    ws.send_json(json!(["subscribe"])).await;
    error(&ws.next().await, "invalid_message");
    ws.send_json(json!({"type": "subscribe", "event_id": "one"}))
        .await;
    error(&ws.next().await, "validation_error");
    ws.send(Message::binary(vec![1, 2, 3])).await;
    error(&ws.next().await, "unsupported");

    // Clients cannot inject server events: refused, and nobody receives it.
    let (mut other, _) = Ws::connect(&app, "events", None).await;
    ws.send_json(json!({"type": "event.deleted", "event_id": 1, "data": {"id": 1}}))
        .await;
    error(&ws.next().await, "unknown_type");
    other.assert_quiet().await;

    ws.send_json(json!({"type": "ping"})).await;
    assert_eq!(ws.next().await, json!({"type": "pong"}));
}

#[tokio::test]
async fn subscribe_narrows_the_stream_to_the_events_named() {
    let app = TestApp::spawn().await;
    let alice = app.register("sub_alice").await;
    let first = app.create_event(&alice, json!({"title": "First"})).await;
    let second = app.create_event(&alice, json!({"title": "Second"})).await;
    let (first_id, second_id) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let touch = |id: i64| {
        let app = &app;
        let token = alice.access.clone();
        async move {
            expect_status(
                app.patch(
                    &format!("/api/v1/events/{id}/"),
                    &json!({"description": "x"}),
                    Some(&token),
                )
                .await,
                StatusCode::OK,
            )
            .await;
        }
    };
    let (mut ws, _) = Ws::connect(&app, "events", None).await;

    ws.send_json(json!({"type": "subscribe", "event_id": second_id}))
        .await;
    ws.assert_quiet().await;
    touch(first_id).await;
    touch(second_id).await;
    assert_eq!(ws.expect("event.updated").await["event_id"], second_id);
    ws.assert_quiet().await;

    ws.send_json(json!({"type": "subscribe", "event_id": first_id}))
        .await;
    ws.send_json(json!({"type": "unsubscribe", "event_id": second_id}))
        .await;
    ws.assert_quiet().await;
    touch(second_id).await;
    touch(first_id).await;
    assert_eq!(ws.expect("event.updated").await["event_id"], first_id);
    ws.assert_quiet().await;
}

#[tokio::test]
async fn frames_over_64_kib_close_with_1009() {
    let app = TestApp::spawn().await;
    let (mut ws, _) = Ws::connect(&app, "voting", None).await;
    // Exactly 64 KiB is accepted (and answered: it is not JSON).
    ws.send(Message::text("x".repeat(64 * 1024))).await;
    assert_eq!(ws.next().await["error"], "invalid_json");
    ws.send(Message::text("x".repeat(64 * 1024 + 1))).await;
    assert_eq!(ws.closed().await, Some(1009));
}

#[tokio::test]
async fn a_flood_of_client_messages_closes_with_1008() {
    let app = TestApp::spawn().await;
    let (mut calm, _) = Ws::connect(&app, "events", None).await;
    let (mut ws, _) = Ws::connect(&app, "events", None).await;
    for _ in 0..200 {
        // The server may already have closed: later sends may fail.
        if futures_util::SinkExt::send(ws.socket(), Message::text(r#"{"type":"ping"}"#))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(ws.closed().await, Some(1008));
    // A client within the limits is unaffected.
    for _ in 0..5 {
        calm.send_json(json!({"type": "ping"})).await;
        assert_eq!(calm.next().await["type"], "pong");
    }
}
