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

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Declares the calling thread to be request worker `index` (0, 1, ...):
/// every [`PgStore`](crate::PgStore) with `shards > 1` serves it from share
/// `index % shards` first, and opens that share's connections on the
/// runtime of the worker thread that first used it, whichever thread needs
/// them. Call it once on each worker thread (actix-web's app factory runs
/// there). Without it, a thread takes connections from the shares in turn.
pub fn bind_worker(index: usize) {
    WORKER.with(|worker| worker.set(Some(index)));
}

/// The worker index of the calling thread, if it was bound.
pub(crate) fn current() -> Option<usize> {
    WORKER.with(Cell::get)
}
