//! The connection pool, built in this one place: deadpool over diesel-async,
//! with every wait bounded and `statement_timeout` set on each new connection.
//!
//! deadpool enforces its own wait/create/recycle timeouts only with a runtime
//! feature (`rt_tokio_1`) that the workspace does not enable, so the bounds are
//! kept here with Tokio timers instead: a semaphore of `max_size` slots is
//! awaited for at most `wait_timeout`, connection setup is bounded by
//! `create_timeout` and the health check of an idle connection by
//! `recycle_timeout`. A checkout therefore never takes longer than
//! wait + create + recycle.
//!
//! The health check (`SELECT 1`) runs only on connections idle for at least
//! `ping_after_idle` (a pre-recycle hook that sees deadpool's metrics); a
//! connection back from use moments ago is only checked for being closed or
//! in a broken transaction state. Pinging every checkout cost a round trip
//! per checkout, two per authenticated request (docs/BENCHMARKS.md).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::{Hook, HookError, Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use gatherhub_ports::{RepoError, RepoResult};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::PgConfig;
use crate::error::PgError;

/// The pool and the bounds of a checkout.
#[derive(Clone)]
pub(crate) struct Connections {
    pool: Pool<AsyncPgConnection>,
    slots: Arc<Semaphore>,
    wait_timeout: Duration,
    /// Bounds `Pool::get` once a slot is held: creating or recycling.
    open_timeout: Duration,
}

/// A pooled connection. The connection goes back to the pool before the slot
/// is released (fields drop in order), so whoever gets the slot next finds
/// the pool with room.
pub(crate) struct PgConn {
    conn: Object<AsyncPgConnection>,
    _slot: OwnedSemaphorePermit,
}

impl PgConn {
    /// Closed, or left in a broken transaction state: the pool will drop it.
    pub(crate) fn is_lost(&mut self) -> bool {
        PoolableConnection::is_broken(&mut *self.conn)
    }

    /// Closes the connection instead of returning it to the pool: after work
    /// was abandoned midway its state is unknown.
    pub(crate) fn discard(self) {
        drop(Object::take(self.conn));
    }

    /// Whether this connection came from `connections`.
    pub(crate) fn is_from(&self, connections: &Connections) -> bool {
        Arc::ptr_eq(self._slot.semaphore(), &connections.slots)
    }
}

impl Deref for PgConn {
    type Target = AsyncPgConnection;

    fn deref(&self) -> &AsyncPgConnection {
        &self.conn
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

impl Connections {
    pub(crate) fn build(config: &PgConfig) -> Result<Self, PgError> {
        if config.max_size == 0 {
            return Err(PgError::Config("max_size must be at least 1".into()));
        }
        let statement_ms = config.statement_timeout.as_millis();
        let create_timeout = config.create_timeout;
        let recycle_timeout = config.recycle_timeout;
        let mut manager = ManagerConfig::<AsyncPgConnection>::default();
        manager.custom_setup =
            Box::new(move |url| Box::pin(open(url.to_owned(), create_timeout, statement_ms)));
        // Closed or broken connections are refused by the manager itself.
        manager.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            config.url.as_str(),
            manager,
        );
        let ping_after_idle = config.ping_after_idle;
        // Runs before the manager's check, with the metrics of the previous
        // checkout: `last_used` is the time since it.
        let ping_idle = Hook::async_fn(move |conn: &mut AsyncPgConnection, metrics| {
            let idle = metrics.last_used();
            Box::pin(async move {
                if idle < ping_after_idle {
                    return Ok(());
                }
                check(conn, recycle_timeout).await.map_err(|_| {
                    HookError::Message("the idle connection failed its health check".into())
                })
            })
        });
        let pool = Pool::builder(manager)
            .max_size(config.max_size)
            .pre_recycle(ping_idle)
            .build()
            .map_err(|error| PgError::Config(error.to_string()))?;
        Ok(Self {
            pool,
            slots: Arc::new(Semaphore::new(config.max_size)),
            wait_timeout: config.wait_timeout,
            open_timeout: config.create_timeout + config.recycle_timeout,
        })
    }

    /// A connection, or `Unavailable` once a bound is exceeded or the server
    /// cannot be reached.
    pub(crate) async fn get(&self) -> RepoResult<PgConn> {
        let slot = match tokio::time::timeout(self.wait_timeout, self.slots.clone().acquire_owned())
            .await
        {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) => {
                return Err(RepoError::Unavailable(
                    "the connection pool is closed".into(),
                ));
            }
            Err(_) => {
                return Err(RepoError::Unavailable(format!(
                    "no database connection became free within {:?}",
                    self.wait_timeout
                )));
            }
        };
        match tokio::time::timeout(self.open_timeout, self.pool.get()).await {
            Ok(Ok(conn)) => Ok(PgConn { conn, _slot: slot }),
            Ok(Err(error)) => Err(RepoError::Unavailable(format!(
                "cannot open a database connection: {error}"
            ))),
            Err(_) => Err(RepoError::Unavailable(format!(
                "no database connection could be opened within {:?}",
                self.open_timeout
            ))),
        }
    }

    /// Refuses new checkouts and drops idle connections, for shutdown.
    pub(crate) fn close(&self) {
        self.slots.close();
        self.pool.close();
    }

    pub(crate) fn status(&self) -> (usize, usize) {
        let status = self.pool.status();
        (status.size, status.available)
    }
}

/// Opens a connection and sets its statement timeout, within `timeout`.
async fn open(
    url: String,
    timeout: Duration,
    statement_ms: u128,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    let setup = async {
        let mut conn = AsyncPgConnection::establish(&url).await?;
        conn.batch_execute(&format!(
            "SET statement_timeout = {statement_ms}; SET application_name = 'gatherhub'"
        ))
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    };
    tokio::time::timeout(timeout, setup)
        .await
        .unwrap_or_else(|_| {
            Err(ConnectionError::BadConnection(format!(
                "no connection within {timeout:?}"
            )))
        })
}

/// The health check of an idle connection before it is handed out again.
async fn check(conn: &mut AsyncPgConnection, timeout: Duration) -> diesel::QueryResult<()> {
    use diesel::IntoSql;
    use diesel::sql_types::Integer;
    let ping = diesel::select(1_i32.into_sql::<Integer>()).get_result::<i32>(conn);
    match tokio::time::timeout(timeout, ping).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => Err(DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new(format!("health check took longer than {timeout:?}")),
        )),
    }
}
