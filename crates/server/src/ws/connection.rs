//! One WebSocket connection, from `connection.established` to its close: a
//! single task (actix-ws sessions are `!Send`, so it runs on its worker's
//! thread) that races the client's frames, the fabric's messages, the
//! heartbeat and the shutdown signal.
//!
//! Nothing here is shared with other connections except the fabric: the
//! subscription and the presence entry are dropped when the task ends, so
//! nothing can leak. A socket that cannot take a message within the send
//! timeout, or falls a whole queue behind, is dropped; others never wait for it.

use std::time::Duration;

use actix_web::web::BytesMut;
use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use gatherhub_app::App;
use gatherhub_app::auth::Principal;
use gatherhub_ports::{Broadcast, ConnectionId, RecvError, Stream, Subscription};
use serde_json::json;
use tokio::time::{Instant, timeout};

use super::protocol::{self, Filter, Flood};
use super::settings::MAX_FRAME_BYTES;
use super::{OpenGuard, WsHub};
use crate::dto::UserSummaryDto;
use crate::shutdown::Shutdown;

/// How long a closing handshake may take before the socket is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Everything one connection needs, moved into its task.
pub struct Connection {
    pub stream: Stream,
    pub principal: Option<Principal>,
    pub id: ConnectionId,
    pub app: actix_web::web::Data<App>,
    pub hub: actix_web::web::Data<WsHub>,
    pub shutdown: Shutdown,
    pub guard: OpenGuard,
}

/// How a connection ends.
enum End {
    /// Send this close frame (the peer is still there to read it).
    Close(CloseCode, &'static str),
    /// Drop the socket: the peer is gone or cannot keep up.
    Drop,
}

/// Outcome of sending one frame.
enum Sent {
    Ok,
    /// The socket is closed, or did not take the frame within the timeout.
    Failed,
}

impl Connection {
    /// Runs the connection to its end; the subscription was taken before the
    /// upgrade answered, so nothing published after that is missed.
    pub async fn run(
        self,
        mut session: Session,
        mut frames: MessageStream,
        mut subscription: Box<dyn Subscription>,
    ) {
        let user = self.principal.as_ref().map(|p| p.user.summary());
        let established = json!({
            "type": "connection.established",
            "stream": self.stream.as_str(),
            "user": user.clone().map(UserSummaryDto::from),
        });
        let end = match self.send(&mut session, established.to_string()).await {
            Sent::Ok => {
                if let (Some(principal), Some(user)) = (&self.principal, &user) {
                    self.app
                        .events
                        .connected(&principal.actor, user, &self.id)
                        .await;
                }
                self.serve(&mut session, &mut frames, subscription.as_mut())
                    .await
            }
            Sent::Failed => End::Drop,
        };
        drop(subscription);
        if let End::Close(code, reason) = end {
            let reason = CloseReason {
                code,
                description: Some(reason.to_owned()),
            };
            let _ = timeout(CLOSE_TIMEOUT, session.close(Some(reason))).await;
        }
        if let (Some(principal), Some(user)) = (&self.principal, &user) {
            self.app
                .events
                .disconnected(&principal.actor, user, &self.id)
                .await;
        }
        drop(self.guard);
    }

    async fn serve(
        &self,
        session: &mut Session,
        frames: &mut MessageStream,
        subscription: &mut dyn Subscription,
    ) -> End {
        let settings = &self.hub.settings;
        let user = self.principal.as_ref().map(|p| p.actor.user_id);
        let staff = self.principal.as_ref().is_some_and(|p| p.actor.is_staff);
        let mut filter = Filter::default();
        let mut flood = Flood::new(settings.message_burst, settings.message_rate);
        let mut assembling: Option<(bool, BytesMut)> = None;
        let mut last_seen = Instant::now();
        let mut heartbeat = tokio::time::interval_at(
            Instant::now() + settings.ping_interval,
            settings.ping_interval,
        );
        let stopping = self.shutdown.triggered();
        tokio::pin!(stopping);
        loop {
            tokio::select! {
                // Fabric messages before client frames: a message already
                // queued for this socket goes out before the answer to a
                // later client frame, so a `ping` answered with nothing in
                // between proves nothing was pending.
                biased;
                () = &mut stopping => return End::Close(CloseCode::Away, "server shutting down"),
                message = subscription.recv() => match message {
                    Ok(message) => match &*message {
                        Broadcast::Event(event)
                            if event.stream() == self.stream && filter.admits(event.event_id) =>
                        {
                            if let Some(envelope) = event.envelope_for(user, staff)
                                && let Sent::Failed = self.send(session, envelope.to_string()).await
                            {
                                tracing::info!(connection = %self.id.0, "slow WebSocket consumer dropped");
                                return End::Drop;
                            }
                        }
                        Broadcast::SessionsRevoked(ids) => {
                            if self.principal.as_ref().is_some_and(|p| ids.contains(&p.session_id)) {
                                return End::Close(CloseCode::Policy, "session revoked");
                            }
                        }
                        Broadcast::Event(_) | Broadcast::Probe(_) => {}
                    },
                    Err(RecvError::Lagged(missed)) => {
                        tracing::info!(connection = %self.id.0, missed, "slow WebSocket consumer dropped");
                        return End::Close(CloseCode::Again, "too slow: messages were dropped");
                    }
                    Err(RecvError::Closed) => return End::Close(CloseCode::Away, "going away"),
                },
                frame = frames.recv() => {
                    let frame = match frame {
                        None => return End::Drop,
                        Some(Err(ProtocolError::Overflow)) => {
                            return End::Close(CloseCode::Size, "frame too large");
                        }
                        Some(Err(_)) => return End::Close(CloseCode::Protocol, "protocol error"),
                        Some(Ok(frame)) => frame,
                    };
                    last_seen = Instant::now();
                    if !matches!(frame, Message::Pong(_) | Message::Close(_))
                        && !flood.allow(last_seen.into_std())
                    {
                        return End::Close(CloseCode::Policy, "too many messages");
                    }
                    let reply = match frame {
                        Message::Text(text) => protocol::handle(&text, &mut filter),
                        Message::Binary(_) => Some(binary_refused()),
                        Message::Continuation(item) => match assemble(&mut assembling, item) {
                            Err(()) => return End::Close(CloseCode::Size, "message too large"),
                            Ok(None) => None,
                            Ok(Some((true, bytes))) => match std::str::from_utf8(&bytes) {
                                Ok(text) => protocol::handle(text, &mut filter),
                                Err(_) => return End::Close(CloseCode::Invalid, "invalid UTF-8"),
                            },
                            Ok(Some((false, _))) => Some(binary_refused()),
                        },
                        Message::Ping(bytes) => {
                            if session.pong(&bytes).await.is_err() {
                                return End::Drop;
                            }
                            None
                        }
                        Message::Close(_) => return End::Close(CloseCode::Normal, "bye"),
                        Message::Pong(_) | Message::Nop => None,
                    };
                    if let Some(reply) = reply
                        && let Sent::Failed = self.send(session, reply).await
                    {
                        return End::Drop;
                    }
                }
                _ = heartbeat.tick() => {
                    if last_seen.elapsed() >= settings.idle_timeout {
                        return End::Close(CloseCode::Away, "idle timeout");
                    }
                    match timeout(settings.send_timeout, session.ping(b"")).await {
                        Ok(Ok(())) => {}
                        _ => return End::Drop,
                    }
                    if let Some(principal) = &self.principal {
                        self.app.events.heartbeat(&principal.actor, &self.id).await;
                    }
                }
            }
        }
    }

    /// Sends one text frame, giving up after the send timeout.
    async fn send(&self, session: &mut Session, text: String) -> Sent {
        match timeout(self.hub.settings.send_timeout, session.text(text)).await {
            Ok(Ok(())) => Sent::Ok,
            _ => Sent::Failed,
        }
    }
}

fn binary_refused() -> String {
    protocol::error(
        "unsupported",
        "Binary frames are not supported: send JSON text.",
    )
}

/// Collects continuation frames; `Ok(Some((is_text, bytes)))` once complete,
/// `Err(())` past the frame limit.
fn assemble(
    assembling: &mut Option<(bool, BytesMut)>,
    item: Item,
) -> Result<Option<(bool, BytesMut)>, ()> {
    let (bytes, last) = match item {
        Item::FirstText(bytes) => {
            *assembling = Some((true, BytesMut::new()));
            (bytes, false)
        }
        Item::FirstBinary(bytes) => {
            *assembling = Some((false, BytesMut::new()));
            (bytes, false)
        }
        Item::Continue(bytes) => (bytes, false),
        Item::Last(bytes) => (bytes, true),
    };
    let Some((_, buffer)) = assembling.as_mut() else {
        // A continuation without a first frame: ignore it.
        return Ok(None);
    };
    if buffer.len() + bytes.len() > MAX_FRAME_BYTES {
        *assembling = None;
        return Err(());
    }
    buffer.extend_from_slice(&bytes);
    if last {
        Ok(assembling.take())
    } else {
        Ok(None)
    }
}
