//! Errors: [`SqliteError`] for opening and migrating a store, and the mapping
//! of SQLite failures onto the ports' [`RepoError`].

use std::path::PathBuf;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use gatherhub_domain::ValidationError;
use gatherhub_ports::{Conflict, RepoError};

/// Why a store could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// The `DATABASE_URL` is not a SQLite location this adapter understands.
    #[error(
        "invalid SQLite location {0:?}: expected sqlite://<path>, a file path or sqlite::memory:"
    )]
    InvalidUrl(String),
    /// The file may be created, but not its directory.
    #[error("cannot create the SQLite database {path}: directory {directory} does not exist")]
    MissingDirectory { path: PathBuf, directory: PathBuf },
    /// The file exists but holds something else than a SQLite database.
    #[error("{path} is not a SQLite database")]
    NotADatabase { path: PathBuf },
    /// Any other failure to open or set up a connection.
    #[error("cannot open the SQLite database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    /// Applying the embedded migrations failed; nothing of the failed
    /// migration was kept.
    #[error("migrating the SQLite database failed: {0}")]
    Migration(String),
    /// The blocking task doing the work died (a panic).
    #[error("the SQLite worker failed: {0}")]
    Worker(String),
}

/// The error of one unit of work: either a repository answer decided by the
/// adapter, or a database failure to be mapped once, at the end. Closures run
/// in a diesel transaction, which needs `From<diesel::result::Error>`.
#[derive(Debug)]
pub(crate) enum Fail {
    Repo(RepoError),
    Db(DieselError),
}

pub(crate) type Tx<T> = Result<T, Fail>;

impl Fail {
    /// Stored data that cannot be a domain value (e.g. an unknown enum text):
    /// a bug or a hand-edited database.
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Repo(RepoError::unknown(format!("corrupt row: {what}")))
    }
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

impl From<Fail> for RepoError {
    fn from(fail: Fail) -> Self {
        match fail {
            Fail::Repo(error) => error,
            Fail::Db(error) => map_db_error(error),
        }
    }
}

/// Unique indexes whose violation is a conflict of the ports, by name (SQLite
/// reports expression indexes as `UNIQUE constraint failed: index '<name>'`).
const CONFLICT_INDEXES: &[(&str, Conflict)] = &[
    ("users_username_lower_key", Conflict::UsernameTaken),
    ("users_email_lower_key", Conflict::EmailTaken),
];

/// Messages of SQLite result codes that mean the store is out of reach or
/// saturated rather than that the request is wrong: `SQLITE_BUSY` and
/// `SQLITE_LOCKED` once the busy timeout has passed, I/O failures, a full disk
/// and a database file that cannot be opened.
const UNAVAILABLE_MESSAGES: &[&str] = &[
    "database is locked",
    "database table is locked",
    "database schema is locked",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
];

/// Maps a diesel error: named unique indexes to their conflicts, foreign keys
/// to `NotFound` (a referenced row is missing), lock and I/O trouble to
/// `Unavailable`, the rest to `Unknown` (its text, which may hold SQL, is
/// only for logs).
pub(crate) fn map_db_error(error: DieselError) -> RepoError {
    match &error {
        DieselError::NotFound => RepoError::NotFound,
        DieselError::DatabaseError(kind, info) => {
            let message = info.message();
            match kind {
                DatabaseErrorKind::UniqueViolation => CONFLICT_INDEXES
                    .iter()
                    .find(|(name, _)| message.contains(name))
                    .map_or_else(|| RepoError::unknown(error), |(_, c)| (*c).into()),
                DatabaseErrorKind::ForeignKeyViolation => RepoError::NotFound,
                _ if is_unavailable(message) => RepoError::Unavailable(message.to_owned()),
                _ => RepoError::unknown(error),
            }
        }
        DieselError::RollbackErrorOnCommit { commit_error, .. } => {
            if unavailable_message(commit_error).is_some() {
                RepoError::Unavailable(commit_error.to_string())
            } else {
                RepoError::unknown(error)
            }
        }
        _ => RepoError::unknown(error),
    }
}

fn unavailable_message(error: &DieselError) -> Option<&str> {
    match error {
        DieselError::DatabaseError(_, info) if is_unavailable(info.message()) => {
            Some(info.message())
        }
        _ => None,
    }
}

fn is_unavailable(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    UNAVAILABLE_MESSAGES.iter().any(|m| message.contains(m))
}

/// Whether SQLite refused a file because it is not a database (`SQLITE_NOTADB`).
pub(crate) fn is_not_a_database(error: &DieselError) -> bool {
    matches!(error, DieselError::DatabaseError(_, info)
        if info.message().contains("file is not a database"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn named_unique_indexes_are_conflicts() {
        let e = db_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: index 'users_email_lower_key'",
        );
        assert!(matches!(
            map_db_error(e),
            RepoError::Conflict(Conflict::EmailTaken)
        ));
        let other = db_error(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: sessions.id",
        );
        assert!(matches!(map_db_error(other), RepoError::Unknown(_)));
    }

    #[test]
    fn busy_and_io_are_unavailable_and_the_rest_unknown() {
        for message in ["database is locked", "disk I/O error"] {
            let e = db_error(DatabaseErrorKind::Unknown, message);
            assert!(
                matches!(map_db_error(e), RepoError::Unavailable(_)),
                "{message}"
            );
        }
        let e = db_error(DatabaseErrorKind::Unknown, "no such column: x");
        assert!(matches!(map_db_error(e), RepoError::Unknown(_)));
        let fk = db_error(
            DatabaseErrorKind::ForeignKeyViolation,
            "FOREIGN KEY constraint failed",
        );
        assert!(matches!(map_db_error(fk), RepoError::NotFound));
    }
}
