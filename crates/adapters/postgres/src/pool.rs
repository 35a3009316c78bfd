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
//!
//! The pool may be split into shares ([`PgConfig::shards`]), each a deadpool
//! pool with its own slots, so that a request worker uses connections driven
//! on its own thread ([`crate::workers`]). A checkout takes a free slot of
//! the caller's share, or queues for one; after [`PATIENCE`] in the queue it
//! takes any other share's free slot, or else whichever slot frees first,
//! its own share's included (without losing its place in that queue): a
//! busy worker borrows rather than queues while connections sit idle
//! elsewhere.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use diesel::ConnectionError;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::{Hook, HookError, Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use gatherhub_ports::{RepoError, RepoResult};
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::config::PgConfig;
use crate::error::PgError;
use crate::workers;

/// How long a checkout waits for a slot of the caller's own share before it
/// takes one of another share ([`Connections::slot`]).
const PATIENCE: Duration = Duration::from_millis(10);

/// The pool's shares and the bounds of a checkout.
#[derive(Clone)]
pub(crate) struct Connections {
    shares: Arc<[Share]>,
    /// Where a thread that is no bound worker starts looking, in turn.
    turn: Arc<AtomicUsize>,
    wait_timeout: Duration,
    /// Bounds `Pool::get` once a slot is held: creating or recycling.
    open_timeout: Duration,
}

/// One share of the pool: its connections and a slot for each.
struct Share {
    pool: Pool<AsyncPgConnection>,
    slots: Arc<Semaphore>,
    /// The runtime of the worker this share belongs to, from its first
    /// checkout there: where connections opened for it from elsewhere go.
    home: Arc<OnceLock<Handle>>,
}

/// A pooled connection, boxed: a connection with its pool handle is about
/// 500 bytes, and the connection moves from the pool to the request (and
/// into and out of [`crate::hold_connection`]'s slot) several times per
/// request, each move a copy, as is each move of a future holding it.
pub(crate) struct PgConn(Box<Pooled>);

/// The connection goes back to the pool before the slot is released (fields
/// drop in order), so whoever gets the slot next finds the pool with room.
struct Pooled {
    conn: Object<AsyncPgConnection>,
    slot: OwnedSemaphorePermit,
}

impl PgConn {
    /// Closed, or left in a broken transaction state: the pool will drop it.
    pub(crate) fn is_lost(&mut self) -> bool {
        PoolableConnection::is_broken(&mut *self.0.conn)
    }

    /// Closes the connection instead of returning it to the pool: after work
    /// was abandoned midway its state is unknown.
    pub(crate) fn discard(self) {
        let Pooled { conn, slot } = *self.0;
        drop(Object::take(conn));
        drop(slot);
    }

    /// Whether this connection came from `connections`.
    pub(crate) fn is_from(&self, connections: &Connections) -> bool {
        connections
            .shares
            .iter()
            .any(|share| Arc::ptr_eq(self.0.slot.semaphore(), &share.slots))
    }
}

impl Deref for PgConn {
    type Target = AsyncPgConnection;

    fn deref(&self) -> &AsyncPgConnection {
        &self.0.conn
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.0.conn
    }
}

impl Connections {
    pub(crate) fn build(config: &PgConfig) -> Result<Self, PgError> {
        if config.max_size == 0 {
            return Err(PgError::Config("max_size must be at least 1".into()));
        }
        let count = config.shards.clamp(1, config.max_size);
        let shares = (0..count)
            .map(|index| {
                // As even as can be: the first `max_size % count` get one more.
                let size = config.max_size / count + usize::from(index < config.max_size % count);
                Share::build(config, index, count, size)
            })
            .collect::<Result<Arc<[Share]>, PgError>>()?;
        Ok(Self {
            shares,
            turn: Arc::new(AtomicUsize::new(0)),
            wait_timeout: config.wait_timeout,
            open_timeout: config.create_timeout + config.recycle_timeout,
        })
    }

    /// How many shares the pool is split into.
    pub(crate) fn share_count(&self) -> usize {
        self.shares.len()
    }

    /// A connection, or `Unavailable` once a bound is exceeded or the server
    /// cannot be reached.
    pub(crate) async fn get(&self) -> RepoResult<PgConn> {
        let count = self.shares.len();
        let first = match workers::current() {
            Some(worker) => {
                let first = worker % count;
                self.shares[first].home.get_or_init(Handle::current);
                first
            }
            None => self.turn.fetch_add(1, Ordering::Relaxed) % count,
        };
        let (index, slot) = self.slot(first).await?;
        let share = &self.shares[index];
        match tokio::time::timeout(self.open_timeout, share.pool.get()).await {
            Ok(Ok(conn)) => Ok(PgConn(Box::new(Pooled { conn, slot }))),
            Ok(Err(error)) => Err(RepoError::Unavailable(format!(
                "cannot open a database connection: {error}"
            ))),
            Err(_) => Err(RepoError::Unavailable(format!(
                "no database connection could be opened within {:?}",
                self.open_timeout
            ))),
        }
    }

    /// A slot of share `first` if one frees within [`PATIENCE`], else the
    /// first slot any share has free or frees, all within `wait_timeout`.
    /// Waiting a moment for the caller's own share is cheaper than a
    /// statement on another thread's connection: under load slots free up
    /// every few hundred microseconds, and a worker that took the other
    /// share's slots would push that share's own requests onto this one's.
    /// The caller keeps its place in its own share's queue throughout.
    async fn slot(&self, first: usize) -> RepoResult<(usize, OwnedSemaphorePermit)> {
        let deadline = tokio::time::Instant::now() + self.wait_timeout;
        let own = self.shares[first].slots.clone();
        match own.clone().try_acquire_owned() {
            Ok(slot) => return Ok((first, slot)),
            Err(TryAcquireError::Closed) => return Err(closed()),
            Err(TryAcquireError::NoPermits) => {}
        }
        let mut own_turn = std::pin::pin!(own.acquire_owned());
        let count = self.shares.len();
        let mut others = Vec::new();
        if count > 1 {
            let patience = deadline.min(tokio::time::Instant::now() + PATIENCE);
            if let Ok(waited) = tokio::time::timeout_at(patience, &mut own_turn).await {
                return waited.map(|slot| (first, slot)).map_err(|_| closed());
            }
            // The other shares, from the next one on.
            for index in (1..count).map(|k| (first + k) % count) {
                let slots = self.shares[index].slots.clone();
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => return Ok((index, slot)),
                    Err(TryAcquireError::Closed) => return Err(closed()),
                    Err(TryAcquireError::NoPermits) => {}
                }
                others.push(Box::pin(
                    async move { (index, slots.acquire_owned().await) },
                ));
            }
        }
        // Whichever frees a slot first: the own share's queue, or any other's.
        let first_free = std::future::poll_fn(|cx| {
            if let Poll::Ready(own) = own_turn.as_mut().poll(cx) {
                return Poll::Ready((first, own));
            }
            others
                .iter_mut()
                .find_map(|wait| match wait.as_mut().poll(cx) {
                    Poll::Ready(found) => Some(found),
                    Poll::Pending => None,
                })
                .map_or(Poll::Pending, Poll::Ready)
        });
        match tokio::time::timeout_at(deadline, first_free).await {
            Ok((index, Ok(slot))) => Ok((index, slot)),
            Ok((_, Err(_))) => Err(closed()),
            Err(_) => Err(RepoError::Unavailable(format!(
                "no database connection became free within {:?}",
                self.wait_timeout
            ))),
        }
    }

    /// Refuses new checkouts and drops idle connections, for shutdown.
    pub(crate) fn close(&self) {
        for share in self.shares.iter() {
            share.slots.close();
            share.pool.close();
        }
    }

    /// Connections open, and how many of them are idle.
    pub(crate) fn status(&self) -> (usize, usize) {
        self.shares.iter().fold((0, 0), |(size, available), share| {
            let status = share.pool.status();
            (size + status.size, available + status.available)
        })
    }
}

fn closed() -> RepoError {
    RepoError::Unavailable("the connection pool is closed".into())
}

impl Share {
    /// Share `index` of `count`, with `size` connections at most.
    fn build(config: &PgConfig, index: usize, count: usize, size: usize) -> Result<Self, PgError> {
        let statement_ms = config.statement_timeout.as_millis();
        let create_timeout = config.create_timeout;
        let recycle_timeout = config.recycle_timeout;
        let home = Arc::new(OnceLock::new());
        let mut manager = ManagerConfig::<AsyncPgConnection>::default();
        manager.custom_setup = Box::new({
            let home = home.clone();
            move |url| {
                Box::pin(open_in_share(
                    url.to_owned(),
                    (index, count, home.clone()),
                    create_timeout,
                    statement_ms,
                ))
            }
        });
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
            .max_size(size)
            .pre_recycle(ping_idle)
            .build()
            .map_err(|error| PgError::Config(error.to_string()))?;
        Ok(Self {
            pool,
            slots: Arc::new(Semaphore::new(size)),
            home,
        })
    }
}

/// Opens a connection of share `index` of `count`: on the runtime of the
/// worker the share belongs to (where its driver task then runs), unless the
/// caller is that worker, the worker has not used the share yet, or its
/// runtime is gone.
async fn open_in_share(
    url: String,
    (index, count, home): (usize, usize, Arc<OnceLock<Handle>>),
    timeout: Duration,
    statement_ms: u128,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    let at_home = workers::current().is_some_and(|worker| worker % count == index);
    if !at_home
        && let Some(runtime) = home.get().cloned()
        && let Ok(opened) = runtime
            .spawn(open(url.clone(), timeout, statement_ms))
            .await
    {
        return opened;
    }
    open(url, timeout, statement_ms).await
}

/// Opens a connection and sets its statement timeout, within `timeout`.
///
/// The connection's driver (tokio-postgres's `Connection`) runs as a task of
/// its own on this runtime, and diesel-async gets the client alone.
/// diesel-async's `establish` would drive it behind a broadcast channel of
/// connection errors that every statement subscribes to and selects on: a
/// resubscription, a waiter registered and removed, and a select per
/// statement (docs/BENCHMARKS.md). Without it a lost connection is seen all
/// the same: its statements fail, and the client reports itself closed
/// ([`PgConn::is_lost`]).
async fn open(
    url: String,
    timeout: Duration,
    statement_ms: u128,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    let setup = async {
        let (client, driver) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .map_err(|error| ConnectionError::BadConnection(with_causes(&error)))?;
        tokio::spawn(async move {
            // Ends without an error once the client is dropped.
            if let Err(error) = driver.await {
                tracing::warn!(%error, "database connection lost");
            }
        });
        let mut conn = AsyncPgConnection::try_from(client).await?;
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

/// `error` and its causes (tokio-postgres keeps the server's message, such
/// as a missing database, in the cause).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
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
