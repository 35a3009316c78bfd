//! Black-box HTTP tests of the whole server: each test spawns the real app on
//! a random port with the in-memory adapters.

mod auth;
mod avatars;
mod cluster;
mod events;
mod ops_headers;
mod ops_health;
mod ops_limits;
mod platform;
mod readme;
mod realtime;
mod resilience;
mod tasks;
mod voting;
