//! AuthService: registration, login, token refresh with rotation, logout and
//! the authentication of every request; the own profile lives in `profile`.
//!
//! A login starts a *session*: the chain of refresh tokens descended from it.
//! Every access token names its session, so revoking the session (logout,
//! reuse of a spent refresh token, a password change) ends all of its tokens.

pub mod avatar;
mod profile;

use chrono::{DateTime, Utc};
use gatherhub_domain::user::{Email, PersonName, User, Username, check_password};
use gatherhub_domain::{FieldErrors, UserId, ValidationError};
use gatherhub_ports::{NewUser, Rotation, Session, TokenError, TokenKind, TokenPair};

pub use avatar::AvatarMedia;
pub use profile::{ChangePasswordInput, PasswordChanged, ProfileInput};

use crate::{Actor, AppError, AppResult, Deps};

/// `POST /auth/register/`. Every field is optional here so that a missing one
/// is reported under its own name.
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// `POST /auth/login/`: `username` is a username or an email.
#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A user with the tokens of their new session.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub tokens: TokenPair,
}

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub session_id: String,
    pub user: User,
}

#[derive(Clone)]
pub struct AuthService {
    deps: Deps,
    /// Set with [`AuthService::with_avatar_media`].
    media: Option<avatar::AvatarMedia>,
}

impl AuthService {
    pub fn new(deps: Deps) -> Self {
        Self { deps, media: None }
    }

    /// Creates an active, non-staff account and logs it in.
    pub async fn register(&self, input: RegisterInput) -> AppResult<Authenticated> {
        let mut user = self.create_account(input, false).await?;
        let now = self.deps.clock.now();
        let tokens = self.start_session(&user, now).await?;
        self.deps.repos.users.record_login(user.id, now).await?;
        user.last_login = Some(now);
        tracing::info!(user_id = %user.id, "user registered");
        Ok(Authenticated { user, tokens })
    }

    /// Creates an active staff account (`gatherhub create-superuser`), with
    /// the same validation and password policy as registration, and no session.
    pub async fn create_superuser(&self, input: RegisterInput) -> AppResult<User> {
        let user = self.create_account(input, true).await?;
        tracing::info!(user_id = %user.id, "staff user created");
        Ok(user)
    }

    /// Validates every field (all problems reported together), hashes the
    /// password and stores the account.
    async fn create_account(&self, input: RegisterInput, is_staff: bool) -> AppResult<User> {
        let mut errors = FieldErrors::new();
        let username =
            errors.check(required("username", input.username.as_deref()).and_then(Username::parse));
        let email = errors.check(required("email", input.email.as_deref()).and_then(Email::parse));
        let first_name = errors.check(PersonName::parse_field(
            "first_name",
            input.first_name.as_deref().unwrap_or_default(),
        ));
        let last_name = errors.check(PersonName::parse_field(
            "last_name",
            input.last_name.as_deref().unwrap_or_default(),
        ));
        let password = errors.check(required_raw("password", input.password));
        if let Some(password) = &password {
            // Compare against what the user typed even when it is invalid, so
            // that every password problem is reported in the same answer.
            let username = username.as_ref().map_or(
                input.username.as_deref().unwrap_or_default(),
                Username::as_str,
            );
            let email = email
                .as_ref()
                .map_or(input.email.as_deref().unwrap_or_default(), Email::as_str);
            if let Err(policy) = check_password("password", password, username, email) {
                merge(&mut errors, policy);
            }
        }
        let (Some(username), Some(email), Some(first_name), Some(last_name), Some(password), true) = (
            username,
            email,
            first_name,
            last_name,
            password,
            errors.is_empty(),
        ) else {
            return Err(AppError::Validation(errors));
        };

        let password_hash = self.deps.hasher.hash(password).await?;
        let user = self
            .deps
            .repos
            .users
            .create(NewUser {
                username: username.as_str().to_owned(),
                email: email.as_str().to_owned(),
                password_hash,
                first_name: first_name.into_inner(),
                last_name: last_name.into_inner(),
                is_staff,
                date_joined: self.deps.clock.now(),
            })
            .await?;
        Ok(user)
    }

    /// Checks the credentials and starts a session. Unknown users, inactive
    /// users and wrong passwords are indistinguishable, in answer and in time:
    /// the password is always run through the hasher.
    pub async fn login(&self, input: LoginInput) -> AppResult<Authenticated> {
        let mut errors = FieldErrors::new();
        let login = errors.check(required("username", input.username.as_deref()));
        let password = errors.check(required_raw("password", input.password));
        let (Some(login), Some(password), true) = (login, password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };

        let found = self.deps.repos.users.find_by_login(login.trim()).await?;
        let verified = self
            .deps
            .hasher
            .verify(
                password,
                found.as_ref().map(|user| user.password_hash.clone()),
            )
            .await?;
        let Some(mut user) = found.filter(|user| verified && user.is_active) else {
            return Err(AppError::InvalidCredentials);
        };

        let now = self.deps.clock.now();
        let tokens = self.start_session(&user, now).await?;
        self.deps.repos.users.record_login(user.id, now).await?;
        user.last_login = Some(now);
        tracing::info!(user_id = %user.id, "user logged in");
        Ok(Authenticated { user, tokens })
    }

    /// Exchanges a refresh token for a new pair in the same session. Each refresh
    /// token works once: presenting a spent one revokes the whole session.
    pub async fn refresh(&self, refresh_token: Option<String>) -> AppResult<TokenPair> {
        let token = required_raw("refresh", refresh_token).map_err(AppError::from)?;
        let claims = self
            .deps
            .tokens
            .verify(&token, TokenKind::Refresh)
            .map_err(token_error)?;
        let now = self.deps.clock.now();
        let pair = self.issue(claims.user_id, &claims.session_id, now)?;
        let rotation = self
            .deps
            .repos
            .sessions
            .rotate(
                &claims.session_id,
                &claims.jti,
                &pair.refresh_jti,
                now,
                pair.refresh_expires_at,
            )
            .await?;
        match rotation {
            // The user is not checked here: a deactivated user's new access
            // token is refused by `authenticate` like any other of theirs,
            // and a second look at the session would race with the losers of
            // a concurrent refresh revoking it (then nobody would succeed).
            Rotation::Rotated => Ok(pair),
            Rotation::Reused => {
                tracing::warn!(user_id = %claims.user_id, "spent refresh token presented; session revoked");
                self.deps
                    .realtime
                    .notifier
                    .sessions_revoked(vec![claims.session_id])
                    .await;
                Err(AppError::TokenRevoked)
            }
            Rotation::Revoked => Err(AppError::TokenRevoked),
        }
    }

    /// Revokes the session of `refresh_token`, ending its refresh and access
    /// tokens; returns the session id so that its WebSockets can be closed.
    ///
    /// Any refresh token of the session ends it, even a spent one: whoever
    /// holds it asks for less access, never more. A session that is already
    /// revoked or expired answers `TokenRevoked`, as its tokens do everywhere.
    pub async fn logout(&self, refresh_token: Option<String>) -> AppResult<String> {
        let token = required_raw("refresh", refresh_token).map_err(AppError::from)?;
        let claims = self
            .deps
            .tokens
            .verify(&token, TokenKind::Refresh)
            .map_err(token_error)?;
        if !self
            .deps
            .repos
            .sessions
            .revoke_session(&claims.session_id)
            .await?
        {
            return Err(AppError::TokenRevoked);
        }
        tracing::info!(user_id = %claims.user_id, "user logged out");
        self.deps
            .realtime
            .notifier
            .sessions_revoked(vec![claims.session_id.clone()])
            .await;
        Ok(claims.session_id)
    }

    /// Resolves the bearer of an access token. Runs on every authenticated
    /// request, so it makes exactly one repository call.
    pub async fn authenticate(&self, access_token: &str) -> AppResult<Principal> {
        let claims = self
            .deps
            .tokens
            .verify(access_token, TokenKind::Access)
            .map_err(token_error)?;
        let now = self.deps.clock.now();
        let user = self
            .deps
            .repos
            .sessions
            .session_user(&claims.session_id, now)
            .await?
            .ok_or(AppError::TokenRevoked)?;
        if user.id != claims.user_id {
            return Err(AppError::TokenInvalid);
        }
        Ok(Principal {
            actor: Actor {
                user_id: user.id,
                is_staff: user.is_staff,
            },
            session_id: claims.session_id,
            user,
        })
    }

    /// Opens a new session for `user` and issues its first pair of tokens.
    async fn start_session(&self, user: &User, now: DateTime<Utc>) -> AppResult<TokenPair> {
        let session_id = self.deps.tokens.new_session_id();
        let pair = self.issue(user.id, &session_id, now)?;
        self.deps
            .repos
            .sessions
            .create_session(Session {
                id: session_id,
                user_id: user.id,
                refresh_jti: pair.refresh_jti.clone(),
                revoked: false,
                created_at: now,
                expires_at: pair.refresh_expires_at,
            })
            .await?;
        Ok(pair)
    }

    fn issue(&self, user: UserId, session: &str, now: DateTime<Utc>) -> AppResult<TokenPair> {
        // Signing our own claims only fails on a broken key: a server fault.
        self.deps
            .tokens
            .issue(user, session, now)
            .map_err(|error| AppError::Internal(Box::new(error)))
    }
}

/// A present, non-blank text field, returned untrimmed (the parsers trim).
fn required<'a>(field: &str, value: Option<&'a str>) -> Result<&'a str, ValidationError> {
    match value {
        None => Err(ValidationError::required(field)),
        Some(value) if value.trim().is_empty() => {
            Err(ValidationError::new(field, "This field may not be blank."))
        }
        Some(value) => Ok(value),
    }
}

/// A present, non-empty secret (password or token), kept byte for byte.
fn required_raw(field: &str, value: Option<String>) -> Result<String, ValidationError> {
    match value {
        None => Err(ValidationError::required(field)),
        Some(value) if value.is_empty() => {
            Err(ValidationError::new(field, "This field may not be blank."))
        }
        Some(value) => Ok(value),
    }
}

fn merge(into: &mut FieldErrors, from: FieldErrors) {
    for (field, messages) in from.fields() {
        for message in messages {
            into.add(field.clone(), message.clone());
        }
    }
}

fn token_error(error: TokenError) -> AppError {
    match error {
        TokenError::Expired => AppError::TokenExpired,
        TokenError::Invalid => AppError::TokenInvalid,
    }
}
