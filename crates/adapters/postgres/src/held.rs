//! One connection for a whole request: [`hold_connection`] runs a future
//! (a request handler, say) so that every repository call inside it that
//! finds the previous call's connection unused takes that one instead of
//! checking out another from the pool.
//!
//! Without it an authenticated read checks a connection out twice: once
//! for the session lookup and once for the use case, each paying the pool's
//! semaphore, its timers and the return (and the two statements usually run
//! on two different server processes). With it the request costs one
//! checkout, as a hand-written handler holding one client would
//! (docs/BENCHMARKS.md, floor reference).
//!
//! The connection goes back to the pool when the future completes or is
//! dropped, so hold it only around work that does not wait on anything but
//! the database: the server holds one for `GET` and `HEAD` requests, which
//! have no body to stream in from a slow client. A connection is kept only
//! after a unit of work that succeeded (so it is idle, outside any
//! transaction); calls running at the same time inside one held future each
//! get their own connection, and the second one returns to the pool. Work
//! spawned onto other tasks does not see the held connection.

use std::cell::RefCell;

use crate::pool::PgConn;

tokio::task_local! {
    static HELD: RefCell<Option<PgConn>>;
}

/// Runs `work` with a slot for one connection that the repository calls
/// inside it share; the connection returns to its pool when `work`
/// completes. Harmless around work that uses no PostgreSQL store (the slot
/// stays empty) and around work that nests another hold (the inner one has
/// its own slot).
pub async fn hold_connection<F: Future>(work: F) -> F::Output {
    HELD.scope(RefCell::new(None), work).await
}

/// The held connection, if the current task holds one from the pool that
/// `owns` tells apart (several stores may live in one process).
pub(crate) fn take(owns: impl FnOnce(&PgConn) -> bool) -> Option<PgConn> {
    HELD.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        match slot.take() {
            Some(conn) if owns(&conn) => Some(conn),
            // Another store's: back to its own pool.
            other => {
                drop(other);
                None
            }
        }
    })
    .ok()
    .flatten()
}

/// Keeps `conn` for the next call of the current task when it holds an
/// empty slot; otherwise hands it back so that it returns to the pool.
pub(crate) fn keep(conn: PgConn) -> Option<PgConn> {
    let mut conn = Some(conn);
    let _outside = HELD.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = conn.take();
        }
    });
    conn
}
