//! Liveness and cleanup: logout and password changes close the session's
//! sockets with 1008, the heartbeat keeps live peers and drops silent ones, a
//! slow consumer is dropped while others get every message in order, and
//! closed sockets leave nothing behind.

use std::time::{Duration, Instant};

use gatherhub_e2e::{PASSWORD, TestApp, TestUser, expect_status};
use gatherhub_server::Settings;
use gatherhub_server::config::DatabaseUrl;
use gatherhub_server::ws::WsSettings;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::client::{Ws, ws_url};

/// An in-memory app with these WebSocket settings.
async fn tuned(ws: WsSettings) -> TestApp {
    TestApp::spawn_with(Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Memory,
        rate_limit_enabled: false,
        ws,
        ..Settings::default()
    })
    .await
}

/// A second session of `user`: its (access, refresh) pair.
async fn login(app: &TestApp, user: &TestUser) -> (String, String) {
    let body = expect_status(
        app.post(
            "/api/v1/auth/login/",
            &json!({"username": user.username, "password": PASSWORD}),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    (
        body["access"].as_str().unwrap().to_owned(),
        body["refresh"].as_str().unwrap().to_owned(),
    )
}

/// Open WebSockets as `/health/status/` reports them.
async fn open_sockets(app: &TestApp) -> i64 {
    let response = app.get("/health/status/", None).await;
    let body: serde_json::Value = response.json().await.unwrap();
    body["websockets"]["open_connections"].as_i64().unwrap()
}

/// Waits (boundedly) until `/health/status/` reports `count` open sockets.
async fn until_open_sockets(app: &TestApp, count: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let open = open_sockets(app).await;
        if open == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{open} sockets open, expected {count}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn logout_closes_that_sessions_sockets_with_1008() {
    let app = TestApp::spawn().await;
    let alice = app.register("lo_alice").await;
    let (other_access, _) = login(&app, &alice).await;
    let (mut events, _) = Ws::connect(&app, "events", Some(&alice.access)).await;
    let (mut tasks, _) = Ws::connect(&app, "tasks", Some(&alice.access)).await;
    let (mut other, _) = Ws::connect(&app, "voting", Some(&other_access)).await;
    let (mut anonymous, _) = Ws::connect(&app, "events", None).await;

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
    assert_eq!(events.closed().await, Some(1008));
    assert_eq!(tasks.closed().await, Some(1008));
    // Another session of the same user, and other people, stay connected.
    other.assert_quiet().await;
    anonymous.assert_quiet().await;
}

#[tokio::test]
async fn a_stolen_refresh_token_closes_the_sessions_sockets_with_1008() {
    let app = TestApp::spawn().await;
    let alice = app.register("theft_alice").await;
    let (mut ws, _) = Ws::connect(&app, "events", Some(&alice.access)).await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/refresh/", &json!({"refresh": token}), None)
                .await
        }
    };
    expect_status(refresh(alice.refresh.clone()).await, StatusCode::OK).await;
    ws.assert_quiet().await;
    // The spent token again: theft. The whole session goes, sockets included.
    expect_status(
        refresh(alice.refresh.clone()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(ws.closed().await, Some(1008));
}

#[tokio::test]
async fn a_password_change_closes_every_older_session_with_1008() {
    let app = TestApp::spawn().await;
    let alice = app.register("pw_alice").await;
    let (other_access, _) = login(&app, &alice).await;
    let (mut first, _) = Ws::connect(&app, "events", Some(&alice.access)).await;
    let (mut second, _) = Ws::connect(&app, "voting", Some(&other_access)).await;
    let fresh = expect_status(
        app.post(
            "/api/v1/auth/change-password/",
            &json!({"current_password": PASSWORD, "new_password": "a-brand-new-passphrase-42"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first.closed().await, Some(1008));
    assert_eq!(second.closed().await, Some(1008));
    let (mut renewed, _) =
        Ws::connect(&app, "events", Some(fresh["access"].as_str().unwrap())).await;
    renewed.assert_quiet().await;
}

/// A peer that upgrades by hand and then never writes a byte (not even a
/// pong), reading everything the server sends until it hangs up; returns
/// the code of the server's close frame.
async fn silent_peer_close_code(app: &TestApp) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "GET /ws/events/ HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut bytes))
        .await
        .expect("the server hangs up on a silent peer")
        .unwrap();
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a handshake")
        + 4;
    assert!(bytes.starts_with(b"HTTP/1.1 101"), "upgraded");
    // Server frames are unmasked: opcode, length (7/16/64 bit), payload.
    let mut rest = &bytes[end..];
    while rest.len() >= 2 {
        let opcode = rest[0] & 0x0f;
        let (len, header) = match rest[1] & 0x7f {
            126 => (usize::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
            127 => (
                usize::try_from(u64::from_be_bytes(rest[2..10].try_into().unwrap())).unwrap(),
                10,
            ),
            n => (usize::from(n), 2),
        };
        let payload = &rest[header..header + len];
        if opcode == 0x8 {
            return Some(u16::from_be_bytes([payload[0], payload[1]]));
        }
        rest = &rest[header + len..];
    }
    None
}

#[tokio::test]
async fn the_heartbeat_keeps_live_peers_and_drops_silent_ones() {
    let app = tuned(WsSettings {
        ping_interval: Duration::from_millis(150),
        idle_timeout: Duration::from_millis(1500),
        ..WsSettings::default()
    })
    .await;
    let (mut live, _) = Ws::connect(&app, "events", None).await;

    // The live client reads (and so answers pings) for several idle timeouts.
    let until = Instant::now() + Duration::from_millis(3500);
    let mut pings = 0;
    while Instant::now() < until {
        if let Ok(frame) = tokio::time::timeout(Duration::from_millis(200), live.raw()).await {
            match frame {
                Some(Ok(Message::Ping(_))) => pings += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(pings >= 3, "the server pings: {pings}");
    live.assert_quiet().await;

    // A peer that never answers is closed with 1001 once silent too long.
    assert_eq!(silent_peer_close_code(&app).await, Some(1001));
}

#[tokio::test]
async fn a_slow_consumer_is_dropped_and_others_get_everything_in_order() {
    let app = tuned(WsSettings {
        queue_size: 32,
        send_timeout: Duration::from_secs(2),
        ..WsSettings::default()
    })
    .await;
    let alice = app.register("slow_alice").await;
    let event = app.create_event(&alice, json!({})).await;
    let id = event["id"].as_i64().unwrap();

    // The slow client has a tiny receive buffer and never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let address = app.address.trim_start_matches("http://").parse().unwrap();
    let stream = socket.connect(address).await.unwrap();
    let (mut slow, _) = Ws::over(stream, &ws_url(&app, "events", None)).await;
    let (mut healthy, _) = Ws::connect(&app, "events", None).await;
    until_open_sockets(&app, 2).await;

    let reader = tokio::spawn(async move {
        let mut titles = Vec::new();
        loop {
            let message = healthy.expect("event.updated").await;
            let title = message["data"]["title"].as_str().unwrap().to_owned();
            if title == "done" {
                return titles;
            }
            titles.push(title);
        }
    });
    let description = "x".repeat(9_000);
    let mut sent = 0;
    // Updates go out until the server has dropped the slow socket (bounded).
    while sent < 3_000 {
        for _ in 0..20 {
            expect_status(
                app.patch(
                    &format!("/api/v1/events/{id}/"),
                    &json!({"title": format!("update {sent}"), "description": description}),
                    Some(&alice.access),
                )
                .await,
                StatusCode::OK,
            )
            .await;
            sent += 1;
        }
        if open_sockets(&app).await == 1 {
            break;
        }
    }
    assert_eq!(
        open_sockets(&app).await,
        1,
        "the slow socket was not dropped"
    );
    expect_status(
        app.patch(
            &format!("/api/v1/events/{id}/"),
            &json!({"title": "done"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let titles = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("the healthy client got everything")
        .unwrap();
    let expected: Vec<_> = (0..sent).map(|n| format!("update {n}")).collect();
    assert_eq!(titles, expected, "every message, in order");

    // The slow client, reading at last, finds its stream cut short.
    let mut received = 0;
    while let Some(Ok(frame)) = slow.frame().await {
        match frame {
            Message::Text(_) => received += 1,
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert!(received < sent, "the slow client got {received} of {sent}");
}

#[tokio::test]
async fn closed_sockets_leave_nothing_behind() {
    let app = TestApp::spawn().await;
    let alice = app.register("gone_alice").await;
    let event = app.create_event(&alice, json!({})).await;
    let id = event["id"].as_i64().unwrap();
    until_open_sockets(&app, 0).await;
    let mut sockets = Vec::new();
    for stream in ["events", "tasks", "voting"] {
        sockets.push(Ws::connect(&app, stream, Some(&alice.access)).await.0);
        sockets.push(Ws::connect(&app, "events", None).await.0);
    }
    until_open_sockets(&app, 6).await;
    let online = expect_status(
        app.get(
            &format!("/api/v1/events/{id}/presence/"),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(online["online"][0]["id"], alice.id);

    // Half close politely, half vanish.
    for (n, mut ws) in sockets.into_iter().enumerate() {
        if n % 2 == 0 {
            ws.send(Message::Close(None)).await;
            assert_eq!(ws.closed().await, Some(1000));
        } else {
            drop(ws);
        }
    }
    until_open_sockets(&app, 0).await;
    let online = expect_status(
        app.get(
            &format!("/api/v1/events/{id}/presence/"),
            Some(&alice.access),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(online, json!({"online": []}));
}
