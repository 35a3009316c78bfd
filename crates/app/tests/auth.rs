//! AuthService against the in-memory store, a fast Argon2id hasher and real
//! JWTs: registration, login, token rotation, logout and the own profile.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

#[path = "auth/profile.rs"]
mod profile;
#[path = "auth/register_login.rs"]
mod register_login;
#[path = "auth/support.rs"]
mod support;
#[path = "auth/tokens.rs"]
mod tokens;
