//! Connections: where the database is, how each connection is set up, the
//! one writer and the pool of readers, and running work off the async workers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::{Connection, SqliteConnection};
use gatherhub_ports::{RepoError, RepoResult};
use tokio::sync::{Mutex as AsyncMutex, Semaphore};

use crate::error::{Fail, SqliteError, Tx, is_not_a_database};
use crate::sql::register_functions;

/// Tuning of a [`crate::SqliteStore`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Reader connections that may run at once (at least 1). Readers never
    /// wait for the writer in WAL mode, so reads scale with this up to the
    /// number of cores.
    pub readers: usize,
    /// How long a connection waits for a lock held by another process (or a
    /// checkpoint) before the call fails with `RepoError::Unavailable`.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    File(PathBuf),
    /// A private in-memory database: one connection serves reads and writes,
    /// since every SQLite connection to `:memory:` is a database of its own.
    Memory,
}

impl Target {
    /// Accepts `sqlite://<path>` (`sqlite:///abs/path` for absolute paths),
    /// `sqlite:<path>`, a bare path, and `sqlite::memory:` or `:memory:`.
    pub(crate) fn parse(location: &str) -> Result<Self, SqliteError> {
        let invalid = || SqliteError::InvalidUrl(location.to_owned());
        let trimmed = location.trim();
        if matches!(
            trimmed,
            ":memory:" | "sqlite::memory:" | "sqlite://:memory:"
        ) {
            return Ok(Self::Memory);
        }
        let path = match trimmed.strip_prefix("sqlite://") {
            Some(rest) => rest,
            None => trimmed.strip_prefix("sqlite:").unwrap_or(trimmed),
        };
        // URL parameters (sqlx's `?mode=rwc`, ...) would be silently
        // ignored, and a `file:` URI would bypass the checks below.
        if path.is_empty() || path.contains('?') || path.starts_with("file:") {
            return Err(invalid());
        }
        Ok(Self::File(PathBuf::from(path)))
    }

    pub(crate) fn path(&self) -> Option<&Path> {
        match self {
            Self::File(path) => Some(path),
            Self::Memory => None,
        }
    }

    fn connection_string(&self) -> Result<String, SqliteError> {
        match self {
            Self::Memory => Ok(":memory:".to_owned()),
            Self::File(path) => path
                .to_str()
                .map(str::to_owned)
                .ok_or_else(|| SqliteError::InvalidUrl(path.display().to_string())),
        }
    }

    fn display(&self) -> PathBuf {
        self.path()
            .map_or_else(|| PathBuf::from(":memory:"), Path::to_path_buf)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Writer,
    Reader,
}

/// Opens one connection and sets it up. Every connection gets the same
/// settings: a busy timeout (first, so that the others wait for locks too),
/// WAL (readers and the writer do not block each other), `synchronous =
/// NORMAL` (durable at checkpoints, and safe against corruption in WAL mode),
/// foreign keys, and the Rust SQL functions. Readers are also `query_only`.
fn connect(
    target: &Target,
    options: &SqliteOptions,
    role: Role,
) -> Result<SqliteConnection, SqliteError> {
    let shown = target.display();
    if let Target::File(path) = target
        && let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !directory.is_dir()
    {
        return Err(SqliteError::MissingDirectory {
            path: path.clone(),
            directory: directory.to_path_buf(),
        });
    }
    let open_error = |reason: String| SqliteError::Open {
        path: shown.clone(),
        reason,
    };
    let mut conn = SqliteConnection::establish(&target.connection_string()?)
        .map_err(|e| open_error(e.to_string()))?;
    let setup = format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON;{}",
        options.busy_timeout.as_millis(),
        if role == Role::Reader {
            " PRAGMA query_only = ON;"
        } else {
            ""
        },
    );
    conn.batch_execute(&setup).map_err(|e| {
        if is_not_a_database(&e) {
            SqliteError::NotADatabase {
                path: shown.clone(),
            }
        } else {
            open_error(e.to_string())
        }
    })?;
    register_functions(&mut conn).map_err(|e| open_error(e.to_string()))?;
    Ok(conn)
}

/// The connections of one store.
///
/// Writes go through ONE connection behind an async (FIFO) mutex, each
/// repository method as one `BEGIN IMMEDIATE` transaction: SQLite allows one
/// writer at a time anyway, and serializing in-process means writers queue
/// without spinning on `SQLITE_BUSY`, and every read-check-write inside a
/// method (capacity, waitlist, ballot, token rotation) sees a database nobody
/// else changes. Reads go to a pool of reader connections that WAL lets run
/// alongside the writer and each other; each read is a single statement,
/// which sees one snapshot by itself. All SQLite calls are
/// blocking, so each unit of work runs as one `spawn_blocking` task (one hop
/// per method, not per query).
pub(crate) struct Db {
    target: Target,
    options: SqliteOptions,
    writer: Arc<AsyncMutex<SqliteConnection>>,
    readers: Option<Readers>,
}

struct Readers {
    permits: Arc<Semaphore>,
    /// Idle connections; opened lazily up to `permits`, and replaced when a
    /// task holding one dies.
    idle: Arc<Mutex<Vec<SqliteConnection>>>,
}

impl Db {
    pub(crate) async fn open(target: Target, options: SqliteOptions) -> Result<Self, SqliteError> {
        let writer = {
            let (target, options) = (target.clone(), options.clone());
            tokio::task::spawn_blocking(move || connect(&target, &options, Role::Writer))
                .await
                .map_err(|e| SqliteError::Worker(e.to_string()))??
        };
        let readers = match target {
            Target::Memory => None,
            Target::File(_) => Some(Readers {
                permits: Arc::new(Semaphore::new(options.readers.max(1))),
                idle: Arc::new(Mutex::new(Vec::new())),
            }),
        };
        Ok(Self {
            target,
            options,
            writer: Arc::new(AsyncMutex::new(writer)),
            readers,
        })
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    /// Runs `work` as one `BEGIN IMMEDIATE` transaction on the writer:
    /// committed when it returns `Ok`, rolled back otherwise.
    pub(crate) async fn write<T, F>(&self, work: F) -> RepoResult<T>
    where
        F: FnOnce(&mut SqliteConnection) -> Tx<T> + Send + 'static,
        T: Send + 'static,
    {
        self.with_writer(move |conn| conn.immediate_transaction(work))
            .await
            .map_err(RepoError::from)
    }

    /// Runs `work` on the writer outside any transaction (migrations manage
    /// their own).
    pub(crate) async fn with_writer<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Fail> + Send + 'static,
    {
        // The guard moves into the blocking task: if the caller's future is
        // dropped, the unit of work still finishes (or rolls back) before
        // the next writer gets the connection.
        let mut conn = self.writer.clone().lock_owned().await;
        let (target, options) = (self.target.clone(), self.options.clone());
        let joined = tokio::task::spawn_blocking(move || {
            match catch_unwind(AssertUnwindSafe(|| work(&mut conn))) {
                Ok(result) => result,
                Err(_) => {
                    // A panic inside a transaction leaves it open (diesel
                    // does not catch panics): roll it back, or else replace
                    // the connection, since closing one rolls back too.
                    if !roll_back_open_transaction(&mut conn)
                        && target != Target::Memory
                        && let Ok(fresh) = connect(&target, &options, Role::Writer)
                    {
                        *conn = fresh;
                    }
                    Err(E::from(worker_died()))
                }
            }
        })
        .await;
        joined.unwrap_or_else(|_| Err(E::from(worker_died())))
    }

    /// Runs `work` on a reader connection, outside any transaction: every
    /// read is one statement (an empty list page past the first one adds a
    /// count, whose snapshot need not be the page's), and a statement alone
    /// sees one snapshot, so `BEGIN`/`COMMIT` would only cost two more
    /// calls. An in-memory store reads through its only connection.
    pub(crate) async fn read<T, F>(&self, work: F) -> RepoResult<T>
    where
        F: FnOnce(&mut SqliteConnection) -> Tx<T> + Send + 'static,
        T: Send + 'static,
    {
        let Some(readers) = &self.readers else {
            return self.with_writer(work).await.map_err(RepoError::from);
        };
        let permit = readers
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| RepoError::Unavailable("the SQLite store is closed".into()))?;
        let idle = readers.idle.clone();
        let (target, options) = (self.target.clone(), self.options.clone());
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(&target, &options, Role::Reader)
                    .map_err(|e| RepoError::Unavailable(e.to_string()))?,
            };
            // A panic in `work` drops the connection with this task, and
            // the permit with it: the next reader opens a fresh one.
            let result = work(&mut conn);
            idle.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result.map_err(RepoError::from)
        })
        .await;
        joined.unwrap_or_else(|_| Err(worker_died().into()))
    }
}

/// Rolls back a transaction a panic left open; false if that failed.
fn roll_back_open_transaction(conn: &mut SqliteConnection) -> bool {
    let open = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .map_or(true, |depth| depth.is_some());
    !open || AnsiTransactionManager::rollback_transaction(conn).is_ok()
}

fn worker_died() -> Fail {
    Fail::Repo(RepoError::unknown("a SQLite worker task panicked"))
}

impl From<Fail> for SqliteError {
    fn from(fail: Fail) -> Self {
        Self::Worker(RepoError::from(fail).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::RunQueryDsl;

    async fn survives_a_panicking_writer(target: Target) {
        let db = Db::open(target, SqliteOptions::default()).await.unwrap();
        db.write(|c| Ok(c.batch_execute("CREATE TABLE t (x INTEGER)")?))
            .await
            .unwrap();
        let died = db
            .write(|c| -> Tx<()> {
                c.batch_execute("INSERT INTO t VALUES (1)")?;
                panic!("a bug in a unit of work")
            })
            .await;
        assert!(matches!(died, Err(RepoError::Unknown(_))), "{died:?}");
        db.write(|c| Ok(c.batch_execute("INSERT INTO t VALUES (2)")?))
            .await
            .unwrap();
        let rows: i64 = db
            .read(|c| {
                Ok(
                    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                        "(SELECT sum(x) FROM t)",
                    ))
                    .get_result(c)?,
                )
            })
            .await
            .unwrap();
        assert_eq!(rows, 2, "the panicked unit of work was rolled back");
    }

    #[tokio::test]
    async fn a_panic_rolls_back_and_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        survives_a_panicking_writer(Target::File(dir.path().join("p.db"))).await;
        survives_a_panicking_writer(Target::Memory).await;
    }

    #[test]
    fn locations() {
        let file = |p: &str| Target::File(PathBuf::from(p));
        assert_eq!(
            Target::parse("sqlite://gatherhub.db").unwrap(),
            file("gatherhub.db")
        );
        assert_eq!(
            Target::parse("sqlite:///var/lib/g.db").unwrap(),
            file("/var/lib/g.db")
        );
        assert_eq!(
            Target::parse("sqlite:data/g.db").unwrap(),
            file("data/g.db")
        );
        assert_eq!(Target::parse("./g.db").unwrap(), file("./g.db"));
        assert_eq!(Target::parse("sqlite::memory:").unwrap(), Target::Memory);
        assert_eq!(Target::parse(":memory:").unwrap(), Target::Memory);
        for bad in ["", "sqlite://", "sqlite://g.db?mode=rwc", "file:g.db"] {
            assert!(
                matches!(Target::parse(bad), Err(SqliteError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }
}
