//! TaskService through the in-memory store: visibility, permissions per
//! role, validation per field, assignee and claim rules, completion.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

#[path = "tasks/assign.rs"]
mod assign;
#[path = "tasks/create_read.rs"]
mod create_read;
#[path = "tasks/update.rs"]
mod update;
#[path = "tasks_voting/world.rs"]
mod world;
