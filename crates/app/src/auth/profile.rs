//! The caller's own account: reading and editing the profile, changing the
//! password (which ends every session of the user).

use gatherhub_domain::FieldErrors;
use gatherhub_domain::user::{Bio, Email, PersonName, User, check_password};
use gatherhub_ports::{ProfileUpdate, TokenPair};

use super::{AuthService, Principal, merge, required_raw};
use crate::{AppError, AppResult};

/// `PUT`/`PATCH /auth/profile/`. `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub email: Option<String>,
    /// Required only when `email` changes.
    pub current_password: Option<String>,
}

/// `POST /auth/change-password/`.
#[derive(Debug, Clone, Default)]
pub struct ChangePasswordInput {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// The new session's tokens, and the sessions the change ended (whose
/// WebSockets should be closed).
#[derive(Debug, Clone)]
pub struct PasswordChanged {
    pub tokens: TokenPair,
    pub revoked_sessions: Vec<String>,
}

const WRONG_PASSWORD: &str = "Current password is incorrect.";

impl AuthService {
    /// The caller's profile, read fresh from the store.
    pub async fn profile(&self, principal: &Principal) -> AppResult<User> {
        self.deps
            .repos
            .users
            .get(principal.user.id)
            .await?
            .ok_or(AppError::NotFound("User"))
    }

    /// Edits the caller's profile. Only `first_name`, `last_name`, `bio` and
    /// `email` can change; changing `email` needs `current_password`, so that a
    /// stolen access token cannot take over the account's recovery address.
    ///
    /// `partial` (PATCH) and full (PUT) updates behave the same: every profile
    /// field is optional, and an absent one keeps its value. No profile field is
    /// required at registration either, so a PUT that omits one has nothing
    /// sensible to reset it to other than "unchanged".
    pub async fn update_profile(
        &self,
        principal: &Principal,
        input: ProfileInput,
        _partial: bool,
    ) -> AppResult<User> {
        let current = self.profile(principal).await?;
        let mut errors = FieldErrors::new();
        let first_name = input
            .first_name
            .as_deref()
            .and_then(|value| errors.check(PersonName::parse_field("first_name", value)));
        let last_name = input
            .last_name
            .as_deref()
            .and_then(|value| errors.check(PersonName::parse_field("last_name", value)));
        let bio = input
            .bio
            .as_deref()
            .and_then(|value| errors.check(Bio::parse(value)));
        // Re-sending the current address is no change and needs no password.
        let email = input
            .email
            .as_deref()
            .and_then(|value| errors.check(Email::parse(value)))
            .filter(|email| email.as_str() != current.email);
        let password = match (&email, input.current_password) {
            (Some(_), Some(password)) if !password.is_empty() => Some(password),
            (Some(_), _) => {
                errors.add(
                    "current_password",
                    "This field is required when changing the email.",
                );
                None
            }
            (None, _) => None,
        };
        errors.into_result()?;

        if let Some(password) = password
            && !self
                .deps
                .hasher
                .verify(password, Some(current.password_hash.clone()))
                .await?
        {
            return Err(AppError::field("current_password", WRONG_PASSWORD));
        }
        let email_changed = email.is_some();
        let update = ProfileUpdate {
            first_name: first_name.map(PersonName::into_inner),
            last_name: last_name.map(PersonName::into_inner),
            bio: bio.map(Bio::into_inner),
            email,
        };
        let user = self
            .deps
            .repos
            .users
            .update_profile(current.id, update)
            .await
            .map_err(user_error)?;
        tracing::info!(user_id = %user.id, email_changed, "profile updated");
        Ok(user)
    }

    /// Replaces the caller's password after checking the current one, revokes
    /// every session of the user (the caller's too) and starts a fresh one.
    ///
    /// The sessions are revoked before the new hash is stored: should storing
    /// fail, the account is logged out everywhere with its old password, never
    /// left with the old sessions alive.
    pub async fn change_password(
        &self,
        principal: &Principal,
        input: ChangePasswordInput,
    ) -> AppResult<PasswordChanged> {
        let current = self.profile(principal).await?;
        let mut errors = FieldErrors::new();
        let current_password =
            errors.check(required_raw("current_password", input.current_password));
        let new_password = errors.check(required_raw("new_password", input.new_password));
        if let Some(new_password) = &new_password
            && let Err(policy) = check_password(
                "new_password",
                new_password,
                &current.username,
                &current.email,
            )
        {
            merge(&mut errors, policy);
        }
        if let Some(current_password) = current_password
            && !self
                .deps
                .hasher
                .verify(current_password, Some(current.password_hash.clone()))
                .await?
        {
            errors.add("current_password", WRONG_PASSWORD);
        }
        let (Some(new_password), true) = (new_password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };

        let password_hash = self.deps.hasher.hash(new_password).await?;
        let revoked_sessions = self
            .deps
            .repos
            .sessions
            .revoke_user_sessions(current.id)
            .await?;
        self.deps
            .repos
            .users
            .set_password(current.id, &password_hash)
            .await
            .map_err(user_error)?;
        self.deps
            .realtime
            .notifier
            .sessions_revoked(revoked_sessions.clone())
            .await;
        let tokens = self.start_session(&current, self.deps.clock.now()).await?;
        tracing::info!(user_id = %current.id, revoked = revoked_sessions.len(), "password changed");
        Ok(PasswordChanged {
            tokens,
            revoked_sessions,
        })
    }
}

fn user_error(error: gatherhub_ports::RepoError) -> AppError {
    match error {
        gatherhub_ports::RepoError::NotFound => AppError::NotFound("User"),
        other => other.into(),
    }
}
