//! Which request worker the current thread is, for pools split into shares
//! ([`PgConfig::shards`](crate::PgConfig::shards)).
//!
//! tokio-postgres drives each connection with a task on the runtime that
//! opened it. A statement sent from a task on another thread wakes that
//! thread twice (to send, then to hand back the rows), which cost an
//! `eventfd` write, an `epoll_wait` return and a context switch each
//! (docs/BENCHMARKS.md). A server whose workers each run their own
//! single-threaded runtime (actix-web's) calls [`bind_worker`] on every
//! worker; a store with as many shares then serves worker `i` from share
//! `i`, whose connections are opened on worker `i`'s runtime, so a request
//! and its connection's driver share one thread.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use tokio::runtime::Handle;

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The runtime of each bound worker, by index.
static RUNTIMES: LazyLock<Mutex<HashMap<usize, Handle>>> = LazyLock::new(Default::default);

/// Declares the calling thread to be request worker `index` (0, 1, ...):
/// every [`PgStore`](crate::PgStore) with `shards > 1` serves it from share
/// `index % shards` first and opens that share's connections on the calling
/// thread's Tokio runtime. Call it once on each worker thread, from inside
/// its runtime (actix-web's app factory runs there); a worker started again
/// with the same index replaces the old one. Without it, a thread takes
/// connections from the shares in turn.
pub fn bind_worker(index: usize) {
    WORKER.with(|worker| worker.set(Some(index)));
    let mut runtimes = RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner);
    match Handle::try_current() {
        Ok(handle) => runtimes.insert(index, handle),
        Err(_) => runtimes.remove(&index),
    };
}

/// The worker index of the calling thread, if it was bound.
pub(crate) fn current() -> Option<usize> {
    WORKER.with(Cell::get)
}

/// The runtime of worker `index`, if one is bound.
pub(crate) fn runtime(index: usize) -> Option<Handle> {
    RUNTIMES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&index)
        .cloned()
}
