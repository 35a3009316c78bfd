//! Real-time at the process level: SIGTERM to the real `gatherhub` binary
//! closes every WebSocket with 1001 before it exits, and closed sockets leave
//! no fabric subscription behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use gatherhub_server::config::DatabaseUrl;
use gatherhub_server::{Application, Settings};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

/// Connects and reads `connection.established`.
async fn connect(url: &str) -> Socket {
    let (mut socket, _) = tokio::time::timeout(WAIT, connect_async(url))
        .await
        .unwrap()
        .unwrap();
    let hello = tokio::time::timeout(WAIT, socket.next()).await.unwrap();
    let Some(Ok(Message::Text(text))) = hello else {
        panic!("expected connection.established, got {hello:?}");
    };
    let hello: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(hello["type"], "connection.established");
    socket
}

/// The close code the server sends, skipping other frames.
async fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn sigterm_closes_every_socket_with_1001() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatherhub"))
        .arg("serve")
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("DATABASE_URL", "memory://")
        .env("SECRET_KEY", "sigterm-test-secret-key-of-at-least-32-bytes")
        .env("RATE_LIMIT_ENABLED", "false")
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reqwest::get(format!("{base}/health/"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let registered: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/register/"))
        .json(&json!({"username": "sleeper", "email": "sleeper@example.com", "password": "a-long-enough-passphrase"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = registered["access"].as_str().unwrap();
    let ws = format!("ws://127.0.0.1:{port}");
    let mut sockets = vec![
        connect(&format!("{ws}/ws/events/")).await,
        connect(&format!("{ws}/ws/voting/")).await,
        connect(&format!("{ws}/ws/tasks/?token={token}")).await,
        connect(&format!("{ws}/ws/events/?token={token}")).await,
    ];

    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    for socket in &mut sockets {
        assert_eq!(close_code(socket).await, Some(1001));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "graceful exit, got {status}");
}

#[tokio::test]
async fn closed_sockets_drop_their_subscriptions() {
    let app = Application::build(Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Memory,
        rate_limit_enabled: false,
        ..Settings::default()
    })
    .await
    .unwrap();
    let hub = app.ws_hub();
    let url = format!("ws://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    assert_eq!((hub.subscribers(), hub.open_connections()), (0, 0));

    let mut sockets = Vec::new();
    for n in 0..12 {
        let stream = ["events", "voting"][n % 2];
        sockets.push(connect(&format!("{url}/ws/{stream}/")).await);
    }
    assert_eq!((hub.subscribers(), hub.open_connections()), (12, 12));

    // Half say goodbye, half vanish without a word.
    for (n, mut socket) in sockets.into_iter().enumerate() {
        if n % 2 == 0 {
            socket.send(Message::Close(None)).await.unwrap();
            assert_eq!(close_code(&mut socket).await, Some(1000));
        } else {
            drop(socket);
        }
    }
    let deadline = Instant::now() + WAIT;
    while (hub.subscribers(), hub.open_connections()) != (0, 0) {
        assert!(
            Instant::now() < deadline,
            "left behind: {} subscriptions, {} sockets",
            hub.subscribers(),
            hub.open_connections()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.stop(true).await;
    server.await.unwrap().unwrap();
}
