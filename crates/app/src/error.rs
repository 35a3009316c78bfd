//! The errors of every use case, one variant per kind of answer a client gets.

use gatherhub_domain::{FieldErrors, ValidationError};
use gatherhub_ports::auth::HashError;
use gatherhub_ports::{Conflict, RepoError};

pub type AppResult<T> = Result<T, AppError>;

/// The 409 codes of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictCode {
    AlreadyMember,
    NotMember,
    OrganizerCannotLeave,
    EventClosed,
    PollClosed,
    Conflict,
}

impl ConflictCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyMember => "already_member",
            Self::NotMember => "not_member",
            Self::OrganizerCannotLeave => "organizer_cannot_leave",
            Self::EventClosed => "event_closed",
            Self::PollClosed => "poll_closed",
            Self::Conflict => "conflict",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input, per field. Nothing was changed.
    #[error("{0}")]
    Validation(#[from] FieldErrors),
    /// A protected use case was called without credentials.
    #[error("Authentication credentials were not provided.")]
    Unauthorized,
    /// Login failed: unknown user, wrong password or inactive user alike.
    #[error("No active account found with the given credentials.")]
    InvalidCredentials,
    #[error("Token is invalid.")]
    TokenInvalid,
    #[error("Token has expired.")]
    TokenExpired,
    #[error("Token has been revoked.")]
    TokenRevoked,
    /// The caller may see the object but not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Missing, or not visible to the caller; the text names what.
    #[error("{0} not found.")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        code: ConflictCode,
        message: &'static str,
    },
    /// The store is unreachable or saturated; retry later.
    #[error("The service is temporarily unavailable.")]
    Unavailable(String),
    /// Anything unexpected. The source is for logs only.
    #[error("An internal error occurred.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(FieldErrors::single(field, message))
    }

    pub fn conflict(code: ConflictCode, message: &'static str) -> Self {
        Self::Conflict { code, message }
    }
}

impl From<ValidationError> for AppError {
    fn from(error: ValidationError) -> Self {
        Self::Validation(error.into())
    }
}

impl From<HashError> for AppError {
    fn from(error: HashError) -> Self {
        Self::Internal(Box::new(error))
    }
}

impl From<RepoError> for AppError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => Self::NotFound("Resource"),
            RepoError::Invalid(error) => error.into(),
            RepoError::Unavailable(reason) => Self::Unavailable(reason),
            RepoError::Unknown(source) => Self::Internal(source),
            RepoError::Conflict(conflict) => match conflict {
                Conflict::UsernameTaken => {
                    Self::field("username", "A user with that username already exists.")
                }
                Conflict::EmailTaken => {
                    Self::field("email", "A user with that email already exists.")
                }
                Conflict::EventClosed => Self::conflict(
                    ConflictCode::EventClosed,
                    "This event is cancelled or completed and takes no new members.",
                ),
                Conflict::NotMember => Self::conflict(
                    ConflictCode::NotMember,
                    "You are not a member of this event.",
                ),
                Conflict::OrganizerCannotLeave => Self::conflict(
                    ConflictCode::OrganizerCannotLeave,
                    "The organizer cannot leave their own event.",
                ),
                Conflict::PollClosed => {
                    Self::conflict(ConflictCode::PollClosed, "This poll is closed.")
                }
                Conflict::TaskAssigned => Self::conflict(
                    ConflictCode::Conflict,
                    "This task has already been claimed by someone else.",
                ),
                Conflict::PollHasVotes => Self::conflict(
                    ConflictCode::Conflict,
                    "Options cannot be changed once votes have been cast.",
                ),
            },
        }
    }
}
