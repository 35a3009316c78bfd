//! Argon2id password hashing and HS256 JSON Web Tokens, implementing the
//! `PasswordHasher` and `TokenIssuer` ports of `gatherhub-ports`.
//!
//! - [`Argon2Hasher`]: Argon2id v0x13 PHC hashes, computed with bounded
//!   concurrency on a few dedicated threads at a lowered scheduling priority, so
//!   hashing never starves request handling; unknown users are checked against a
//!   dummy hash so they take as long as wrong passwords.
//! - [`JwtIssuer`]: HS256 access and refresh tokens carrying `iss`, `sub`, `exp`,
//!   `iat`, `jti`, `sid` and `typ`; a token of one kind is never accepted as the
//!   other.

mod hasher;
mod jwt;
mod pool;

pub use hasher::{Argon2Hasher, HashParams};
pub use jwt::{
    DEFAULT_ACCESS_TTL_SECS, DEFAULT_ISSUER, DEFAULT_LEEWAY_SECS, DEFAULT_REFRESH_TTL_SECS,
    JwtConfig, JwtConfigError, JwtIssuer, MAX_LEEWAY_SECS, MIN_SECRET_LEN,
};
