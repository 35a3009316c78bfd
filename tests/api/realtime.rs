//! Real-time (API §6) through a real WebSocket client: every message type
//! after its REST action, visibility, the client protocol, close codes,
//! heartbeats, slow consumers and cleanup. Every receive has a timeout.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod client;
mod lifecycle;
mod messages;
mod protocol;
mod readme;
mod visibility;
mod voting;
