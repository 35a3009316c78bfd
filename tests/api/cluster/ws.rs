//! A small WebSocket client for the cluster tests: every receive has a
//! timeout, and `settle` proves nothing else is pending (the server answers
//! a `ping` only after the fabric messages queued before it).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gatherhub_e2e::TestApp;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Generous: only a hang should ever reach it.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Ws {
    /// Connects to `/ws/<stream>/` of `app` (`?token=` if given) and reads
    /// `connection.established`.
    pub async fn connect(app: &TestApp, stream: &str, token: Option<&str>) -> Self {
        let base = app.address.replacen("http://", "ws://", 1);
        let url = match token {
            Some(token) => format!("{base}/ws/{stream}/?token={token}"),
            None => format!("{base}/ws/{stream}/"),
        };
        let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("the upgrade answers")
            .expect("the upgrade succeeds");
        let mut ws = Self(socket);
        let hello = ws.next().await;
        assert_eq!(hello["type"], "connection.established", "{hello}");
        ws
    }

    /// The next JSON text message (pings skipped). The wait bounds the whole
    /// call: frequent pings must not keep extending it.
    pub async fn next(&mut self) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .expect("a message within the wait");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text).expect("JSON text");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    }

    /// The next message of type `kind`, skipping presence messages unless
    /// presence is what is expected.
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

    /// Every message received before the answer to a `ping`.
    pub async fn settle(&mut self) -> Vec<Value> {
        tokio::time::timeout(
            WAIT,
            self.0
                .send(Message::text(json!({"type": "ping"}).to_string())),
        )
        .await
        .expect("send within the wait")
        .expect("send succeeds");
        let mut before = Vec::new();
        loop {
            let message = self.next().await;
            if message["type"] == "pong" {
                return before;
            }
            before.push(message);
        }
    }

    /// Reads until the server closes; returns its close code (`None` when
    /// the connection ended without one).
    pub async fn closed(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .expect("the server closes within the wait");
            match frame {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return None,
            }
        }
    }

    /// Closes the socket from the client side and waits for the server's
    /// close (or the end of the connection).
    pub async fn close(mut self) {
        let _ = self.0.send(Message::Close(None)).await;
        let _ = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.0.next().await {}
        })
        .await;
    }
}
