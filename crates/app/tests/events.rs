//! EventService through the in-memory store: permissions, validation,
//! capacity and waitlist, and listing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

#[path = "events/crud.rs"]
mod crud;
#[path = "events/listing.rs"]
mod listing;
#[path = "events/membership.rs"]
mod membership;
#[path = "events/support.rs"]
mod support;
#[path = "events/update.rs"]
mod update;
