//! Request and response bodies of the auth routes, and their conversion to and
//! from the app's inputs and users.

use chrono::{DateTime, Utc};
use gatherhub_app::auth::{
    Authenticated, ChangePasswordInput, LoginInput, ProfileInput, RegisterInput,
};
use gatherhub_domain::user::User;
use gatherhub_ports::TokenPair;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// An absent field is `None`; an explicit `null` is refused under the field's
/// name ("This field may not be null."), since none of these fields is
/// nullable and silently ignoring `{"bio": null}` would surprise a client that
/// meant to clear it.
fn non_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("This field may not be null."))
}

/// `POST /auth/register/`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"username": "newuser", "email": "newuser@example.com", "password": "correct-horse-battery", "first_name": "John", "last_name": "Doe"}))]
pub struct RegisterRequest {
    /// 3–150 characters of `A-Za-z0-9@.+_-`, unique ignoring case.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, min_length = 3, max_length = 150)]
    pub username: Option<String>,
    /// A valid address, unique ignoring case.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, format = "email", max_length = 254)]
    pub email: Option<String>,
    /// 8–128 characters, not entirely numeric, not common, not too similar to
    /// the username or email.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, format = "password", min_length = 8, max_length = 128)]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 150)]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 150)]
    pub last_name: Option<String>,
}

impl RegisterRequest {
    pub fn into_input(self) -> RegisterInput {
        RegisterInput {
            username: self.username,
            email: self.email,
            password: self.password,
            first_name: self.first_name,
            last_name: self.last_name,
        }
    }
}

/// `POST /auth/login/`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"username": "newuser", "password": "correct-horse-battery"}))]
pub struct LoginRequest {
    /// A username or an email address (either ignoring case).
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true)]
    pub username: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, format = "password")]
    pub password: Option<String>,
}

impl LoginRequest {
    pub fn into_input(self) -> LoginInput {
        LoginInput {
            username: self.username,
            password: self.password,
        }
    }
}

/// `POST /auth/refresh/` and `POST /auth/logout/`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// A refresh token (never an access token).
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true)]
    pub refresh: Option<String>,
}

/// `PUT`/`PATCH /auth/profile/`: every field optional; an absent one keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"first_name": "John", "bio": "Organizes the monthly meetup."}))]
pub struct ProfileRequest {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 150)]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 150)]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 2000)]
    pub bio: Option<String>,
    /// A new address, unique ignoring case; needs `current_password`.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, format = "email")]
    pub email: Option<String>,
    /// Required when `email` changes.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, format = "password")]
    pub current_password: Option<String>,
}

impl ProfileRequest {
    pub fn into_input(self) -> ProfileInput {
        ProfileInput {
            first_name: self.first_name,
            last_name: self.last_name,
            bio: self.bio,
            email: self.email,
            current_password: self.current_password,
        }
    }
}

/// `POST /auth/change-password/`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, format = "password")]
    pub current_password: Option<String>,
    /// Subject to the same policy as at registration.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, format = "password", min_length = 8, max_length = 128)]
    pub new_password: Option<String>,
}

impl ChangePasswordRequest {
    pub fn into_input(self) -> ChangePasswordInput {
        ChangePasswordInput {
            current_password: self.current_password,
            new_password: self.new_password,
        }
    }
}

/// The caller's own account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileDto {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub bio: String,
    /// Where the avatar is served (`/media/avatars/...`), or null.
    #[schema(required = true, example = "/media/avatars/1.png")]
    pub avatar_url: Option<String>,
    pub is_staff: bool,
    pub date_joined: DateTime<Utc>,
    /// Null until the first login.
    #[schema(required = true)]
    pub last_login: Option<DateTime<Utc>>,
}

impl From<User> for ProfileDto {
    fn from(user: User) -> Self {
        Self {
            id: user.id.get(),
            username: user.username,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            bio: user.bio,
            avatar_url: user.avatar_url,
            is_staff: user.is_staff,
            date_joined: user.date_joined,
            last_login: user.last_login,
        }
    }
}

/// A token pair: a short-lived access token (15 minutes) and a single-use
/// refresh token (7 days).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokensDto {
    /// Send as `Authorization: Bearer <access>`.
    pub access: String,
    /// Exchange once at `/auth/refresh/`.
    pub refresh: String,
}

impl From<TokenPair> for TokensDto {
    fn from(pair: TokenPair) -> Self {
        Self {
            access: pair.access,
            refresh: pair.refresh,
        }
    }
}

/// A new session: its tokens and the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub user: ProfileDto,
    pub access: String,
    pub refresh: String,
}

impl From<Authenticated> for SessionDto {
    fn from(done: Authenticated) -> Self {
        Self {
            user: done.user.into(),
            access: done.tokens.access,
            refresh: done.tokens.refresh,
        }
    }
}
