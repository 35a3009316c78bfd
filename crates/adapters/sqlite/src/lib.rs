//! The embedded SQLite adapter: one [`SqliteStore`] implementing every
//! repository port on a single database file, GatherHub's zero-setup default
//! (`DATABASE_URL=sqlite://gatherhub.db`).
//!
//! # Using it
//!
//! ```no_run
//! # async fn start() -> Result<(), gatherhub_sqlite::SqliteError> {
//! use std::sync::Arc;
//! let store = gatherhub_sqlite::SqliteStore::open("sqlite://gatherhub.db").await?;
//! store.migrate().await?; // applies what is pending; a no-op when up to date
//! let repos = gatherhub_ports::Repositories::from_store(Arc::new(store));
//! # let _ = repos; Ok(()) }
//! ```
//!
//! # Concurrency
//!
//! SQLite admits one writer at a time. Rather than letting connections race
//! for the file lock (and hand `SQLITE_BUSY` to callers), every mutating
//! method runs on ONE writer connection behind an async FIFO mutex, as one
//! `BEGIN IMMEDIATE` transaction. Each method's read-check-write (capacity and
//! waitlist, ballot replacement, refresh rotation, uniqueness) therefore runs
//! on a database no one else changes: the domain's `admit`/`promotable` rules
//! decide on exact counts, and the schema's constraints are the backstop.
//! Reads use a small pool of reader connections: in WAL mode they never wait
//! for the writer, and each read is a single statement, which sees a single
//! snapshot without a transaction. All SQLite calls block, so each method's
//! whole unit of work runs in one `spawn_blocking` task: one thread hop per
//! call, not one per query. Locks held by OTHER processes are waited for up to
//! the busy timeout, then reported as `RepoError::Unavailable`.
//!
//! This uses diesel's synchronous `SqliteConnection` directly rather than
//! diesel-async's `SyncConnectionWrapper`: the wrapper hops to a blocking
//! thread per query (a list page would pay several hops), its migration
//! harness needs a multi-threaded runtime (STACK.md pitfall 6), and the
//! connection setup needs the raw connection to register a SQL function.
//!
//! # Storage choices
//!
//! - Instants are `BIGINT` microseconds since the epoch: exact chronological
//!   comparison and ordering at the precision every store keeps.
//! - Titles compare byte-wise (SQLite's `BINARY` collation), as `str` does in
//!   the in-memory store.
//! - Search folds case with Rust's Unicode `to_lowercase` through a SQL
//!   function registered on every connection (`gh_contains`), not `LIKE`:
//!   SQLite's `LIKE`/`lower()` fold ASCII only. The needle is matched
//!   literally, so `%` and `_` need no escaping.
//! - Usernames and emails are unique through indexes on `lower(...)`, exact
//!   because the domain admits only ASCII in both.
//! - Capacity, FIFO order (`memberships.seq`), one membership per user, one
//!   vote per (poll, user, option), options of the vote's own poll (a
//!   composite foreign key), enum values and cascades are constraints of the
//!   schema as well as checks of the adapter.
//!
//! # Queries per method
//!
//! Reads cost what the PostgreSQL adapter's do, or less: a view (event, task,
//! poll) is ONE statement that joins its users and computes counts, the
//! viewer's membership and waitlist position, tallies and the viewer's votes
//! in correlated subqueries (`views.rs`), for one row or a whole page; a list
//! page is one statement whatever its size, the list's size coming from an
//! uncorrelated count subquery that SQLite evaluates once, so only an empty
//! page past the first costs a second statement (the count). Every read
//! statement stays prepared in its connection's statement cache
//! (`sql::Sql`), and none binds a bare `LIMIT`, which would make SQLite
//! re-prepare it on every call. Transaction control is not counted.
//! `tests/query_counts.rs` checks these numbers, and the caching, through
//! diesel's instrumentation.
//!
//! | method | statements |
//! |---|---|
//! | `UserRepo::create` | 3 (username taken, email taken, insert) |
//! | `get`, `find_by_login`, `find_by_username` | 1 |
//! | `update_profile` | ≤ 3 (load, email taken, update) |
//! | `set_password`, `record_login` | 1 |
//! | `SessionRepo::create_session`, `session_user`, `revoke_session`, `revoke_user_sessions` | 1 |
//! | `rotate` | ≤ 2 (swap, else revoke) |
//! | `EventRepo::create_event` | 3 (organizer, event, organizer membership) |
//! | `get_event` | 1 (the view: event, organizer, counts, viewer's membership and position) |
//! | `list_events` | 1 (the page's views and the total); 2 for an empty page past the first |
//! | `update_event` | ≤ 6 (event, counts, promote: select + update, update, view) |
//! | `delete_event` | 1 (the schema cascades) |
//! | `join_event` | ≤ 4 (event, user with membership, then position, or counts and insert) |
//! | `leave_event` | ≤ 7 (event, membership, delete, unassign, counts, promote: select + update) |
//! | `list_members` | 1 (the page with users, positions and the total); 2 for an empty page (does the event exist) |
//! | `TaskRepo::create_task` | ≤ 4 (event, users, the assignee's membership if any, insert) |
//! | `get_task` | 1 (task with assignee and creator) |
//! | `list_tasks` | 1; 2 for an empty page past the first |
//! | `update_task` | ≤ 4 (task, assignee membership, update, view) |
//! | `delete_task`, `delete_poll` | 1 |
//! | `PollRepo::create_poll` | 4 (event, creator, poll, options) |
//! | `get_poll` | 1 (poll, creator, voters, options with tallies and the viewer's votes as JSON) |
//! | `list_polls` | 1; 2 for an empty page past the first |
//! | `update_poll` | ≤ 6 (poll, votes exist, update, delete + insert options, view) |
//! | `cast_vote` | 4 (poll, options, delete ballot, insert ballot) |
//! | `retract_vote` | 2 (poll, delete) |
//! | `close_poll` | ≤ 3 (poll, update, view) |
//! | `poll_voters` | 1 (the poll left-joined to its votes, options and voters) |
//! | `StoreHealth::ping` | 1 |
//!
//! # Schema
//!
//! Migrations live in `migrations/sqlite` and are embedded in the crate;
//! `src/schema.rs` is generated from them (see `diesel.toml`):
//!
//! ```text
//! cd crates/adapters/sqlite && rm -f /tmp/gatherhub-schema.db* &&
//! diesel migration run --config-file diesel.toml --database-url /tmp/gatherhub-schema.db &&
//! diesel print-schema --config-file diesel.toml --database-url /tmp/gatherhub-schema.db > src/schema.rs
//! ```

mod db;
mod error;
mod event_list;
mod events;
mod membership;
mod poll_list;
mod polls;
mod rows;
#[rustfmt::skip]
mod schema;
mod sessions;
mod sql;
mod tasks;
mod users;
mod views;

use std::path::Path;

use diesel::{IntoSql, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use gatherhub_ports::{RepoError, RepoResult, StoreHealth};

pub use crate::db::SqliteOptions;
pub use crate::error::SqliteError;

use crate::db::{Db, Target};

/// The schema's migrations, embedded at build time.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../../migrations/sqlite");

/// Every GatherHub table in one SQLite database. Share it as
/// `Arc<SqliteStore>`, e.g. through `Repositories::from_store`.
pub struct SqliteStore {
    db: Db,
    /// The scratch directory of [`SqliteStore::open_temporary`]. Declared
    /// after `db`, so it is removed after the connections are closed.
    scratch: Option<tempfile::TempDir>,
}

impl SqliteStore {
    /// Opens (creating the file if missing) the database at `location`:
    /// `sqlite://<path>` (relative to the working directory;
    /// `sqlite:///abs/path` for an absolute one), `sqlite:<path>`, a plain
    /// path, or `sqlite::memory:` for a private in-memory database. Fails
    /// with a clear error when the directory does not exist or the file is
    /// not a SQLite database. Call [`SqliteStore::migrate`] before use.
    pub async fn open(location: &str) -> Result<Self, SqliteError> {
        Self::open_with(location, SqliteOptions::default()).await
    }

    /// As [`SqliteStore::open`], with explicit tuning.
    pub async fn open_with(location: &str, options: SqliteOptions) -> Result<Self, SqliteError> {
        let target = Target::parse(location)?;
        Ok(Self {
            db: Db::open(target, options).await?,
            scratch: None,
        })
    }

    /// A new, empty database file in a fresh temporary directory, deleted
    /// with the store: for tests that want the real file-backed store (WAL,
    /// reader pool) and isolation from each other. Not migrated yet.
    pub async fn open_temporary() -> Result<Self, SqliteError> {
        let scratch = tempfile::Builder::new()
            .prefix("gatherhub-sqlite-")
            .tempdir()
            .map_err(|e| SqliteError::Open {
                path: std::env::temp_dir(),
                reason: e.to_string(),
            })?;
        let target = Target::File(scratch.path().join("gatherhub.db"));
        Ok(Self {
            db: Db::open(target, SqliteOptions::default()).await?,
            scratch: Some(scratch),
        })
    }

    /// Applies the pending embedded migrations, each in its own transaction,
    /// and returns the versions applied. Safe to call on every start: with
    /// nothing pending it changes nothing.
    pub async fn migrate(&self) -> Result<Vec<String>, SqliteError> {
        let applied: Vec<String> = self
            .db
            .with_writer(|conn| {
                conn.run_pending_migrations(MIGRATIONS)
                    .map(|versions| versions.iter().map(ToString::to_string).collect())
                    .map_err(|e| SqliteError::Migration(e.to_string()))
            })
            .await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied SQLite migrations");
        }
        Ok(applied)
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.db.target().path()
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("target", self.db.target())
            .field("temporary", &self.scratch.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl StoreHealth for SqliteStore {
    /// One `SELECT ?` (1) on a reader, a statement the connection keeps
    /// prepared. Any failure means the store cannot serve.
    async fn ping(&self) -> RepoResult<()> {
        self.db
            .read(|conn| {
                diesel::select(1_i32.into_sql::<diesel::sql_types::Integer>()).execute(conn)?;
                Ok(())
            })
            .await
            .map_err(|e| match e {
                RepoError::Unavailable(reason) => RepoError::Unavailable(reason),
                other => RepoError::Unavailable(other.to_string()),
            })
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
