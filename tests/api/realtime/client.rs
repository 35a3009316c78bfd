//! A WebSocket test client: every receive has a timeout (a missing message
//! fails the test instead of hanging it), and `settle` proves that nothing
//! else is pending by a ping answered with nothing in between.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gatherhub_e2e::TestApp;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Generous: only a hang should ever reach it.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// `ws://host:port/ws/<stream>/` of `app`, with `?token=` if given.
pub fn ws_url(app: &TestApp, stream: &str, token: Option<&str>) -> String {
    let base = app.address.replacen("http://", "ws://", 1);
    match token {
        Some(token) => format!("{base}/ws/{stream}/?token={token}"),
        None => format!("{base}/ws/{stream}/"),
    }
}

/// The HTTP status of a refused upgrade, or `None` if it succeeded.
pub async fn refused(request: impl IntoClientRequest + Unpin) -> Option<(u16, Value)> {
    let attempt = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("the upgrade answers");
    match attempt {
        Ok(_) => None,
        Err(Error::Http(response)) => {
            let body = response
                .body()
                .as_ref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null);
            Some((response.status().as_u16(), body))
        }
        Err(other) => panic!("unexpected upgrade failure: {other}"),
    }
}

impl Ws {
    /// Connects to `stream` (with `?token=` if given) and reads
    /// `connection.established`, which it returns with the client.
    pub async fn connect(app: &TestApp, stream: &str, token: Option<&str>) -> (Self, Value) {
        Self::open(ws_url(app, stream, token)).await
    }

    pub async fn open(request: impl IntoClientRequest + Unpin) -> (Self, Value) {
        let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("the upgrade answers")
            .expect("the upgrade succeeds");
        let mut ws = Self { socket };
        let hello = ws.next().await;
        assert_eq!(hello["type"], "connection.established", "{hello}");
        (ws, hello)
    }

    /// A client over an already connected TCP stream (e.g. one with a tiny
    /// receive buffer).
    pub async fn over(stream: TcpStream, url: &str) -> (Self, Value) {
        let (socket, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)),
        )
        .await
        .expect("the upgrade answers")
        .expect("the upgrade succeeds");
        let mut ws = Self { socket };
        let hello = ws.next().await;
        assert_eq!(hello["type"], "connection.established", "{hello}");
        (ws, hello)
    }

    /// The raw socket, for sends that may fail.
    pub fn socket(&mut self) -> &mut WebSocketStream<MaybeTlsStream<TcpStream>> {
        &mut self.socket
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send(Message::text(value.to_string())).await;
    }

    pub async fn send(&mut self, message: Message) {
        tokio::time::timeout(WAIT, self.socket.send(message))
            .await
            .expect("send within the wait")
            .expect("send succeeds");
    }

    /// The next frame as it comes, pings included (no timeout: the caller
    /// sets one).
    pub async fn raw(&mut self) -> Option<Result<Message, Error>> {
        self.socket.next().await
    }

    /// The next raw frame other than a server ping; `None` once closed.
    pub async fn frame(&mut self) -> Option<Result<Message, Error>> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame within the wait");
            match frame {
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                other => return other,
            }
        }
    }

    /// The next JSON text message.
    pub async fn next(&mut self) -> Value {
        match self.frame().await {
            Some(Ok(Message::Text(text))) => serde_json::from_str(&text).expect("JSON text"),
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    /// The next message that is not presence (which other tests' sockets of
    /// the same users may cause), asserting its type.
    pub async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let message = self.next().await;
            let found = message["type"].as_str().unwrap_or_default();
            if found.starts_with("presence.") && !kind.starts_with("presence.") {
                continue;
            }
            assert_eq!(found, kind, "{message}");
            return message;
        }
    }

    /// Sends `ping` and returns every message received before its `pong`:
    /// the server sends queued fabric messages before answering a frame.
    pub async fn settle(&mut self) -> Vec<Value> {
        self.send_json(json!({"type": "ping"})).await;
        let mut before = Vec::new();
        loop {
            let message = self.next().await;
            if message["type"] == "pong" {
                return before;
            }
            before.push(message);
        }
    }

    /// Asserts that nothing at all is pending for this socket.
    pub async fn assert_quiet(&mut self) {
        let pending = self.settle().await;
        assert!(pending.is_empty(), "unexpected messages: {pending:?}");
    }

    /// Reads until the server closes; returns its close code (None when the
    /// connection ended without a close frame).
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match self.frame().await {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f: CloseFrame| u16::from(f.code));
                }
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return None,
            }
        }
    }
}
