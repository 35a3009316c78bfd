//! The errors every repository speaks.

use gatherhub_domain::ValidationError;

pub type RepoResult<T> = Result<T, RepoError>;

/// What went wrong in a repository call.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The addressed row does not exist (or no longer does).
    #[error("not found")]
    NotFound,
    /// A uniqueness or state rule refused the change; nothing was written.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// A rule that can only be checked atomically in storage failed, e.g.
    /// capacity below the going count; nothing was written.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store cannot be reached or is saturated (pool timeout, lost
    /// connection). Safe to retry later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else. Its text is for logs only, never for clients.
    #[error("storage failure: {0}")]
    Unknown(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RepoError {
    pub fn unknown(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unknown(error.into())
    }
}

impl From<Conflict> for RepoError {
    fn from(conflict: Conflict) -> Self {
        Self::Conflict(conflict)
    }
}

/// The conflicts a repository reports, each named by the method that can
/// return it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// `UserRepo::create`: the username is taken (ignoring case).
    UsernameTaken,
    /// `UserRepo::create`, `UserRepo::update_profile`: the email is taken (ignoring case).
    EmailTaken,
    /// `EventRepo::join_event`: the event is cancelled or completed (checked
    /// before looking for an existing membership).
    EventClosed,
    /// `EventRepo::leave_event`: the user is not a member.
    NotMember,
    /// `EventRepo::leave_event`: the organizer cannot leave their event.
    OrganizerCannotLeave,
    /// `PollRepo::cast_vote`, `PollRepo::retract_vote`: the poll is closed or has ended.
    PollClosed,
    /// `PollRepo::update_poll`: options cannot change once a vote exists.
    PollHasVotes,
    /// `TaskRepo::update_task` with `only_if_unassigned`: someone holds the task.
    TaskAssigned,
}
