//! Errors: what setting up the store can fail with, and how database errors
//! become the ports' `RepoError`s (constraints by name, lost connections and
//! timeouts as `Unavailable`).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use gatherhub_domain::ValidationError;
use gatherhub_ports::{Conflict, RepoError};

/// Why [`PgStore::connect`](crate::PgStore::connect) or
/// [`PgStore::migrate`](crate::PgStore::migrate) failed. Messages never
/// contain the database URL.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("invalid database settings: {0}")]
    Config(String),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error("cannot migrate the database: {0}")]
    Migration(String),
}

/// The message of `Invalid(assignee_id)`, as the memory adapter words it.
pub(crate) const ASSIGNEE_NOT_GOING: &str = "The assignee must be a going member of the event.";

/// A failure inside a unit of work: a database error still to be classified
/// (which needs the connection's state), or an answer already decided.
#[derive(Debug)]
pub(crate) enum Fail {
    Db(DieselError),
    Repo(RepoError),
}

impl From<DieselError> for Fail {
    fn from(error: DieselError) -> Self {
        Self::Db(error)
    }
}

impl From<RepoError> for Fail {
    fn from(error: RepoError) -> Self {
        Self::Repo(error)
    }
}

impl From<Conflict> for Fail {
    fn from(conflict: Conflict) -> Self {
        Self::Repo(conflict.into())
    }
}

impl From<ValidationError> for Fail {
    fn from(error: ValidationError) -> Self {
        Self::Repo(error.into())
    }
}

/// What the caller knows about the connection a database error came from.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Circumstances {
    /// The connection is closed or its transaction state is broken.
    pub(crate) connection_lost: bool,
    /// The work ran at least as long as `statement_timeout`: an unnamed
    /// server error then is the timeout, whatever language the server speaks.
    pub(crate) timed_out: bool,
}

/// Translates a database error. Constraint violations are mapped by the
/// constraint's name (see the migration); anything that says "the database is
/// unreachable or busy right now" is `Unavailable`, so clients see 503 and may
/// retry; everything else is `Unknown`.
pub(crate) fn classify(error: DieselError, seen: Circumstances) -> RepoError {
    match error {
        DieselError::DatabaseError(kind, info) => {
            if let Some(mapped) = info
                .constraint_name()
                .and_then(|name| by_constraint(kind, name))
            {
                return mapped;
            }
            let transient = matches!(
                kind,
                DatabaseErrorKind::ClosedConnection
                    | DatabaseErrorKind::UnableToSendCommand
                    | DatabaseErrorKind::SerializationFailure
            ) || is_transient_message(info.message());
            if transient || seen.connection_lost || (seen.timed_out && is_unnamed(kind)) {
                RepoError::Unavailable(info.message().to_owned())
            } else {
                RepoError::unknown(DieselError::DatabaseError(kind, info))
            }
        }
        DieselError::NotFound => RepoError::NotFound,
        DieselError::BrokenTransactionManager => {
            RepoError::Unavailable("the database connection broke during a transaction".into())
        }
        other if seen.connection_lost => RepoError::Unavailable(other.to_string()),
        other => RepoError::unknown(other),
    }
}

pub(crate) fn classify_fail(fail: Fail, seen: Circumstances) -> RepoError {
    match fail {
        Fail::Db(error) => classify(error, seen),
        Fail::Repo(error) => error,
    }
}

fn is_unnamed(kind: DatabaseErrorKind) -> bool {
    !matches!(
        kind,
        DatabaseErrorKind::UniqueViolation
            | DatabaseErrorKind::ForeignKeyViolation
            | DatabaseErrorKind::CheckViolation
            | DatabaseErrorKind::NotNullViolation
            | DatabaseErrorKind::RestrictViolation
            | DatabaseErrorKind::ExclusionViolation
    )
}

/// Server messages of cancelled statements (statement or lock timeout,
/// cancel requests), terminated backends, deadlocks and a server that is
/// starting, stopping or in recovery. diesel-async does not expose SQLSTATEs,
/// so these (English) texts are matched; `Circumstances` covers other locales.
fn is_transient_message(message: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "canceling statement due to",
        "terminating connection",
        "deadlock detected",
        "the database system is",
        "connection closed",
    ];
    PREFIXES.iter().any(|prefix| message.starts_with(prefix))
}

/// The port error a violated constraint stands for, or `None` when the
/// violation is a bug rather than an answer.
fn by_constraint(kind: DatabaseErrorKind, name: &str) -> Option<RepoError> {
    let error = match (kind, name) {
        (DatabaseErrorKind::UniqueViolation, "users_username_key") => {
            Conflict::UsernameTaken.into()
        }
        (DatabaseErrorKind::UniqueViolation, "users_email_key") => Conflict::EmailTaken.into(),
        (DatabaseErrorKind::ForeignKeyViolation, "tasks_assignee_fkey") => {
            ValidationError::new("assignee_id", ASSIGNEE_NOT_GOING).into()
        }
        (DatabaseErrorKind::ForeignKeyViolation, "votes_option_fkey") => {
            ValidationError::new("option_ids", "An option does not belong to this poll.").into()
        }
        // A row that another row refers to is gone: the memory adapter's
        // `require_user` / `event_row` say NotFound.
        (
            DatabaseErrorKind::ForeignKeyViolation,
            "sessions_user_id_fkey"
            | "events_organizer_id_fkey"
            | "memberships_event_id_fkey"
            | "memberships_user_id_fkey"
            | "tasks_event_id_fkey"
            | "tasks_created_by_fkey"
            | "polls_event_id_fkey"
            | "polls_created_by_fkey"
            | "poll_options_poll_id_fkey"
            | "votes_user_id_fkey",
        ) => RepoError::NotFound,
        (DatabaseErrorKind::CheckViolation, "events_end_date_check") => {
            ValidationError::new("end_date", "End date must not be before the start date.").into()
        }
        (DatabaseErrorKind::CheckViolation, "events_max_participants_check") => {
            ValidationError::new(
                "max_participants",
                "Ensure this value is between 1 and 100000.",
            )
            .into()
        }
        _ => return None,
    };
    Some(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn timeouts_and_lost_connections_are_unavailable() {
        let calm = Circumstances::default();
        for message in [
            "canceling statement due to statement timeout",
            "terminating connection due to administrator command",
            "the database system is shutting down",
        ] {
            let error = classify(db_error(DatabaseErrorKind::Unknown, message), calm);
            assert!(
                matches!(error, RepoError::Unavailable(_)),
                "{message}: {error:?}"
            );
        }
        let closed = classify(db_error(DatabaseErrorKind::UnableToSendCommand, "x"), calm);
        assert!(matches!(closed, RepoError::Unavailable(_)));
        let lost = Circumstances {
            connection_lost: true,
            ..calm
        };
        assert!(matches!(
            classify(db_error(DatabaseErrorKind::Unknown, "?"), lost),
            RepoError::Unavailable(_)
        ));
        let slow = Circumstances {
            timed_out: true,
            ..calm
        };
        assert!(matches!(
            classify(
                db_error(DatabaseErrorKind::Unknown, "Abbruch der Anweisung"),
                slow
            ),
            RepoError::Unavailable(_)
        ));
    }

    #[test]
    fn other_errors_stay_unknown() {
        let error = classify(
            db_error(DatabaseErrorKind::Unknown, "syntax error"),
            Circumstances::default(),
        );
        assert!(matches!(error, RepoError::Unknown(_)), "{error:?}");
        let timed_out = Circumstances {
            timed_out: true,
            connection_lost: false,
        };
        let unique = classify(
            db_error(DatabaseErrorKind::UniqueViolation, "duplicate"),
            timed_out,
        );
        assert!(matches!(unique, RepoError::Unknown(_)), "{unique:?}");
    }
}
