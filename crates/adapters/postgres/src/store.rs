//! `PgStore`: connecting, migrating, health, and the two ways a repository
//! method talks to the database (one statement, or one transaction), both of
//! which translate failures into the ports' errors.

use std::fmt;
use std::time::{Duration, Instant};

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use gatherhub_ports::{RepoError, RepoResult, StoreHealth};

use crate::config::PgConfig;
use crate::error::{Circumstances, Fail, PgError, classify_fail};
use crate::held;
use crate::pool::{Connections, PgConn};

/// The SQL migrations of migrations/postgres, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../../migrations/postgres");

/// The `pg_advisory_lock` key that serializes migrations across instances
/// ("GHMIGRAT" in ASCII).
const MIGRATION_LOCK: i64 = 0x4748_4D49_4752_4154;

/// Every GatherHub repository on PostgreSQL. Cheap to clone (the pool is
/// shared); hand it to `Repositories::from_store(Arc::new(store))`.
#[derive(Clone)]
pub struct PgStore {
    connections: Connections,
    config: PgConfig,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (size, available) = self.connections.status();
        f.debug_struct("PgStore")
            .field("config", &self.config)
            .field("open_connections", &size)
            .field("idle_connections", &available)
            .finish()
    }
}

/// Names the future of an async closure over a connection so that it can be
/// required to be `Send` (the device diesel-async uses for `transaction`).
pub(crate) trait Work<'c, T>:
    AsyncFnOnce(&'c mut AsyncPgConnection) -> Result<T, Fail>
    + FnOnce(&'c mut AsyncPgConnection) -> <Self as Work<'c, T>>::Fut
{
    type Fut: Future<Output = Result<T, Fail>> + Send;
}

impl<'c, T, F, Fut> Work<'c, T> for F
where
    F: AsyncFnOnce(&'c mut AsyncPgConnection) -> Result<T, Fail>
        + FnOnce(&'c mut AsyncPgConnection) -> Fut,
    Fut: Future<Output = Result<T, Fail>> + Send,
{
    type Fut = Fut;
}

impl PgStore {
    /// Builds the pool and opens one connection to prove that the URL, the
    /// server and the credentials work. Fails with `InvalidUrl` for anything
    /// but a `postgres://` or `postgresql://` URL, and `Connect` when the
    /// server cannot be reached within the timeouts or refuses the login.
    pub async fn connect(config: PgConfig) -> Result<Self, PgError> {
        if !(config.url.starts_with("postgres://") || config.url.starts_with("postgresql://")) {
            return Err(PgError::InvalidUrl(
                "expected postgres://user:password@host:port/database".into(),
            ));
        }
        let connections = Connections::build(&config)?;
        let probe = connections
            .get()
            .await
            .map_err(|error| PgError::Connect(error.to_string()))?;
        if connections.share_count() > 1 {
            // Opened and driven on this thread, which is no request worker.
            probe.discard();
        }
        Ok(Self {
            connections,
            config,
        })
    }

    /// The settings this store was built with.
    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// Applies the pending migrations and returns their versions (empty when
    /// the schema is current). Runs on a dedicated connection without the
    /// statement timeout, under a session advisory lock, so that several
    /// instances starting at once migrate one after the other (the later ones
    /// find nothing to do). Works on any Tokio runtime: the synchronous
    /// migration code runs on the blocking pool.
    pub async fn migrate(&self) -> Result<Vec<String>, PgError> {
        let connect = AsyncPgConnection::establish(&self.config.url);
        let mut conn = tokio::time::timeout(self.config.create_timeout, connect)
            .await
            .map_err(|_| {
                PgError::Connect(format!(
                    "no connection within {:?}",
                    self.config.create_timeout
                ))
            })?
            .map_err(|error| PgError::Connect(error.to_string()))?;
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .await
            .map_err(|error| {
                PgError::Migration(format!("cannot take the migration lock: {error}"))
            })?;
        let (mut conn, outcome) = tokio::task::spawn_blocking(move || {
            let mut harness = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
            let outcome = harness
                .run_pending_migrations(MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>())
                .map_err(|error| error.to_string());
            (harness.into_inner(), outcome)
        })
        .await
        .map_err(|error| PgError::Migration(error.to_string()))?;
        // Closing the session would release the lock as well; unlocking
        // explicitly lets a slow close not delay the next instance.
        let _unlocked = conn
            .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .await;
        let applied = outcome.map_err(PgError::Migration)?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied database migrations");
        }
        Ok(applied)
    }

    /// The pool's use: connections open, and how many of them are idle
    /// (for `/health/status/`).
    pub fn pool_status(&self) -> (usize, usize) {
        self.connections.status()
    }

    /// Stops handing out connections and closes the idle ones, for shutdown.
    pub fn close(&self) {
        self.connections.close();
    }

    /// The connection the current request holds ([`crate::hold_connection`]),
    /// or one from the pool.
    pub(crate) async fn conn(&self) -> RepoResult<PgConn> {
        if let Some(conn) = held::take(|conn| conn.is_from(&self.connections)) {
            return Ok(conn);
        }
        self.connections.get().await
    }

    /// Runs `work` on one pooled connection, outside a transaction: for
    /// statements that are each atomic on their own.
    pub(crate) async fn run<T, F>(&self, work: F) -> RepoResult<T>
    where
        F: for<'c> Work<'c, T> + Send,
        T: Send,
    {
        let mut conn = self.conn().await?;
        let started = Instant::now();
        let outcome = self.within_deadline(work(&mut conn)).await;
        self.finish(conn, started, outcome)
    }

    /// Runs `work` in one transaction (READ COMMITTED; the work takes the
    /// row locks it needs): committed when it returns `Ok`, rolled back
    /// otherwise.
    pub(crate) async fn transaction<T, F>(&self, work: F) -> RepoResult<T>
    where
        F: for<'c> Work<'c, T> + Send,
        T: Send,
    {
        let mut conn = self.conn().await?;
        let started = Instant::now();
        let outcome = self
            .within_deadline(AsyncConnection::transaction(&mut *conn, work))
            .await;
        self.finish(conn, started, outcome)
    }

    /// `statement_timeout` bounds each statement on the server; this bounds
    /// the whole unit of work on the client too, at twice that plus a second,
    /// so that a server that stops answering (a network partition) cannot
    /// hang a request. `None` when the work was abandoned.
    async fn within_deadline<T>(
        &self,
        work: impl Future<Output = Result<T, Fail>>,
    ) -> Option<Result<T, Fail>> {
        let timeout = self.config.statement_timeout;
        if timeout.is_zero() {
            return Some(work.await);
        }
        tokio::time::timeout(timeout * 2 + Duration::from_secs(1), work)
            .await
            .ok()
    }

    fn finish<T>(
        &self,
        mut conn: PgConn,
        started: Instant,
        outcome: Option<Result<T, Fail>>,
    ) -> RepoResult<T> {
        match outcome {
            Some(Ok(value)) => {
                // Idle and outside any transaction: the request's next call
                // may reuse it (or it returns to the pool here).
                drop(held::keep(conn));
                Ok(value)
            }
            Some(Err(fail)) => Err(self.failure(&mut conn, started, fail)),
            None => {
                conn.discard();
                Err(RepoError::Unavailable(format!(
                    "the database did not answer within {:?}",
                    started.elapsed()
                )))
            }
        }
    }

    fn failure(&self, conn: &mut PgConn, started: Instant, fail: Fail) -> RepoError {
        let seen = Circumstances {
            connection_lost: conn.is_lost(),
            timed_out: timed_out(started, self.config.statement_timeout),
        };
        classify_fail(fail, seen)
    }
}

fn timed_out(started: Instant, statement_timeout: Duration) -> bool {
    statement_timeout > Duration::ZERO && started.elapsed() >= statement_timeout
}

#[async_trait::async_trait]
impl StoreHealth for PgStore {
    async fn ping(&self) -> RepoResult<()> {
        self.run(async |conn| {
            diesel::sql_query("SELECT 1").execute(conn).await?;
            Ok(())
        })
        .await
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
