//! VotingService through the in-memory store: visibility, permissions,
//! validation, ballots, closing, results and concurrent voting.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

#[path = "voting/ballots.rs"]
mod ballots;
#[path = "voting/listing.rs"]
mod listing;
#[path = "voting/polls.rs"]
mod polls;
#[path = "tasks_voting/world.rs"]
mod world;
