//! Accounts.

use chrono::{DateTime, Utc};
use gatherhub_domain::UserId;
use gatherhub_domain::user::{Email, User};

use crate::RepoResult;

/// A validated account to store; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub is_staff: bool,
    pub date_joined: DateTime<Utc>,
}

/// Profile fields to change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub email: Option<Email>,
}

/// What [`UserRepo::set_avatar`] did: the user as stored now, and the
/// avatar URL it replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct AvatarChange {
    pub user: User,
    pub previous: Option<String>,
}

#[async_trait::async_trait]
pub trait UserRepo: Send + Sync {
    /// Stores a new active user. MUST return `Conflict(UsernameTaken)` or
    /// `Conflict(EmailTaken)` when another user has the same username or email
    /// ignoring case, also when two creations race.
    async fn create(&self, user: NewUser) -> RepoResult<User>;

    async fn get(&self, id: UserId) -> RepoResult<Option<User>>;

    /// The user whose username or email equals `login`, ignoring case.
    async fn find_by_login(&self, login: &str) -> RepoResult<Option<User>>;

    /// The user with this username, ignoring case.
    async fn find_by_username(&self, username: &str) -> RepoResult<Option<User>>;

    /// Applies `update`. MUST return `NotFound` for an unknown user and
    /// `Conflict(EmailTaken)` when the new email belongs to another user.
    async fn update_profile(&self, id: UserId, update: ProfileUpdate) -> RepoResult<User>;

    /// Replaces the password hash. MUST return `NotFound` for an unknown user.
    async fn set_password(&self, id: UserId, password_hash: &str) -> RepoResult<()>;

    /// Sets the avatar URL (`None` clears it) and returns the user with the
    /// URL it replaced, read in the same atomic step: of two concurrent calls
    /// each learns exactly the value it overwrote, so the caller can remove
    /// the file behind it without orphaning or deleting anyone else's. MUST
    /// return `NotFound` for an unknown user.
    async fn set_avatar(&self, id: UserId, avatar_url: Option<&str>) -> RepoResult<AvatarChange>;

    /// Records a successful login.
    async fn record_login(&self, id: UserId, at: DateTime<Utc>) -> RepoResult<()>;
}
