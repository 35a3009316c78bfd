//! Sessions, password hashing and tokens.

use chrono::{DateTime, Utc};
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;

use crate::RepoResult;

/// One login: the chain of refresh tokens descended from it. Only the refresh
/// token with `refresh_jti` is current; every earlier one has been used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user_id: UserId,
    pub refresh_jti: String,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token did to its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// It was the current token; the session now expects the new one.
    Rotated,
    /// It had been used already: theft. The session is now revoked.
    Reused,
    /// The session was revoked, expired or unknown.
    Revoked,
}

#[async_trait::async_trait]
pub trait SessionRepo: Send + Sync {
    async fn create_session(&self, session: Session) -> RepoResult<()>;

    /// The user of an active session: one that exists, is not revoked and has
    /// not expired, and whose user is active. `None` otherwise. One round trip,
    /// since every authenticated request asks it.
    async fn session_user(&self, id: &str, now: DateTime<Utc>) -> RepoResult<Option<User>>;

    /// Atomically replaces `presented` by `next` as the current refresh token.
    /// Of many concurrent calls with the same `presented`, exactly one MUST
    /// return `Rotated`; the others see `Reused` (and revoke the session) or
    /// `Revoked`.
    async fn rotate(
        &self,
        id: &str,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> RepoResult<Rotation>;

    /// Revokes one session; unknown or already revoked sessions are no error.
    /// Returns whether the session was active before.
    async fn revoke_session(&self, id: &str) -> RepoResult<bool>;

    /// Revokes every session of a user; returns the ids that were active.
    async fn revoke_user_sessions(&self, user: UserId) -> RepoResult<Vec<String>>;
}

/// Argon2id hashing, run off the async workers.
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string of `password`.
    async fn hash(&self, password: String) -> Result<String, HashError>;

    /// Checks `password` against `hash`. With `None` it checks against a dummy
    /// hash and returns false, taking the same time, so that unknown users cannot
    /// be told apart from wrong passwords.
    async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError>;
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Access or refresh: a token of one kind is never accepted as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub user_id: UserId,
    pub session_id: String,
    pub jti: String,
    pub kind: TokenKind,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is invalid")]
    Invalid,
    #[error("token has expired")]
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
    /// The refresh token's id and expiry, which its session records.
    pub refresh_jti: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// Signs and verifies tokens.
pub trait TokenIssuer: Send + Sync {
    /// A fresh random identifier for a session.
    fn new_session_id(&self) -> String;

    /// A new access and refresh token for `user` in `session`.
    fn issue(
        &self,
        user: UserId,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, TokenError>;

    /// Verifies signature, issuer, expiry (with a small leeway) and kind.
    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError>;
}
