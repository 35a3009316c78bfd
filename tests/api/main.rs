//! Black-box HTTP tests of the whole server: each test spawns the real app on
//! a random port with the in-memory adapters.

mod auth;
mod events;
mod platform;
mod readme;
mod resilience;
mod tasks;
mod voting;
