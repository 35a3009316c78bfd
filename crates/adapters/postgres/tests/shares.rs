//! A pool split into shares (`PgConfig::shards`): each bound request worker
//! takes its own share's connections, which are opened and driven on its
//! own runtime; a worker whose share is in use borrows another's; the shares
//! together never exceed `max_size`.
//!
//! A worker here is a thread running its own single-threaded runtime, as an
//! actix-web worker does. Whether a connection is driven on a worker's
//! thread shows when that thread is blocked: its statements cannot finish.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod support;

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use gatherhub_ports::{RepoError, StoreHealth};
use gatherhub_postgres::{PgConfig, PgStore, bind_worker, hold_connection};
use support::TestDb;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Long enough that nothing in these tests waits it out unless it is stuck.
const STUCK: Duration = Duration::from_secs(20);

struct Worker {
    runtime: Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// A thread with its own local runtime, bound as worker `index`.
    fn start(index: usize) -> Self {
        let (handle_tx, handle_rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            // As an actix-web worker's: single-threaded, local.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build_local(tokio::runtime::LocalOptions::default())
                .unwrap();
            runtime.block_on(async move {
                bind_worker(index);
                handle_tx.send(Handle::current()).unwrap();
                let _ = stopped.await;
            });
        });
        Self {
            runtime: handle_rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Runs `work` on this worker's thread.
    fn spawn<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(work)
    }

    /// Blocks this worker's thread (nothing on its runtime runs) until the
    /// returned sender is dropped or sent to.
    async fn block(&self) -> mpsc::Sender<()> {
        let (release, released) = mpsc::channel::<()>();
        let (blocked_tx, blocked) = oneshot::channel();
        drop(self.spawn(async move {
            blocked_tx.send(()).unwrap();
            let _ = released.recv();
        }));
        blocked.await.unwrap();
        release
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn store(db: &TestDb, max_size: usize, shards: usize) -> PgStore {
    let config = PgConfig {
        max_size,
        shards,
        wait_timeout: Duration::from_millis(500),
        ..db.config()
    };
    PgStore::connect(config).await.unwrap()
}

async fn within<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(STUCK, work)
        .await
        .expect("stuck: the work never finished")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_uses_connections_driven_on_its_own_thread() {
    let db = TestDb::create().await;
    let store = store(&db, 2, 2).await;
    let (first, second) = (Worker::start(0), Worker::start(1));
    let ping = |worker: &Worker| {
        let store = store.clone();
        worker.spawn(async move { store.ping().await })
    };
    // Worker 1 opens share 1's connection, then its thread is blocked:
    // whatever it drives is stuck.
    within(ping(&second)).await.unwrap().unwrap();
    let release = second.block().await;
    let pinging = first.spawn({
        let store = store.clone();
        async move {
            for _ in 0..5 {
                store.ping().await?;
            }
            Ok::<_, RepoError>(())
        }
    });
    within(pinging).await.unwrap().unwrap();
    assert_eq!(store.pool_status(), (2, 2), "one connection each");
    drop(release);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_share_is_in_use_borrows_a_connection_opened_on_its_owner() {
    let db = TestDb::create().await;
    // Two shares of two connections.
    let store = store(&db, 4, 2).await;
    let (first, second) = (Worker::start(0), Worker::start(1));
    let (done, finish) = tokio::sync::watch::channel(());
    // Holds one connection of `worker`'s share until told to finish.
    let hold = |worker: &Worker| {
        let (store, mut finish) = (store.clone(), finish.clone());
        let (held_tx, held) = oneshot::channel();
        let holding = worker.spawn(hold_connection(async move {
            store.ping().await.unwrap();
            held_tx.send(()).unwrap();
            let _ = finish.changed().await;
        }));
        (holding, held)
    };
    let ping = |worker: &Worker| {
        let store = store.clone();
        worker.spawn(async move { store.ping().await })
    };
    let mut holding = Vec::new();
    // Share 1: one connection, opened and driven by worker 1, held; one slot
    // free. Share 0: both held by worker 0.
    for worker in [&second, &first, &first] {
        let (task, held) = hold(worker);
        within(held).await.unwrap();
        holding.push(task);
    }
    assert_eq!(store.pool_status(), (3, 0));
    let release = second.block().await;
    // Borrows share 1's free slot, whose connection is opened (and then
    // driven) on worker 1's runtime: not while worker 1 is blocked.
    let borrowing = ping(&first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !borrowing.is_finished(),
        "share 1's connection cannot open while worker 1 is blocked"
    );
    drop(release);
    within(borrowing)
        .await
        .unwrap()
        .expect("borrowed share 1's slot");
    // Again, now that share 1 has an idle connection: well within the
    // 500 ms wait_timeout, without waiting for share 0.
    within(ping(&first))
        .await
        .unwrap()
        .expect("borrowed share 1's connection");
    assert_eq!(store.pool_status(), (4, 1));
    drop(done);
    for task in holding {
        within(task).await.unwrap();
    }
    assert_eq!(store.pool_status(), (4, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shares_together_hold_max_size_connections() {
    let db = TestDb::create().await;
    // 5 connections in 3 shares (2, 2, 1); a share per connection at most.
    for (max_size, shards) in [(5, 3), (2, 4)] {
        let store = store(&db, max_size, shards).await;
        let workers: Vec<_> = (0..shards).map(Worker::start).collect();
        let (done, finish) = tokio::sync::watch::channel(());
        let mut holding = Vec::new();
        let (held_tx, mut held) = tokio::sync::mpsc::channel(max_size);
        for n in 0..max_size {
            let (store, held_tx, mut finish) = (store.clone(), held_tx.clone(), finish.clone());
            holding.push(workers[n % shards].spawn(hold_connection(async move {
                store.ping().await.unwrap();
                held_tx.send(()).await.unwrap();
                let _ = finish.changed().await;
            })));
        }
        for _ in 0..max_size {
            within(held.recv()).await.unwrap();
        }
        assert_eq!(store.pool_status(), (max_size, 0));
        for worker in &workers {
            let store = store.clone();
            let refused = within(worker.spawn(async move { store.ping().await }))
                .await
                .unwrap();
            assert!(
                matches!(refused, Err(RepoError::Unavailable(_))),
                "({max_size}, {shards}): one more than max_size: {refused:?}"
            );
        }
        drop(done);
        for task in holding {
            within(task).await.unwrap();
        }
        assert_eq!(store.pool_status(), (max_size, max_size));
    }
}

#[tokio::test]
async fn threads_that_are_no_worker_use_every_share_and_close_closes_them_all() {
    let db = TestDb::create().await;
    let store = store(&db, 4, 2).await;
    // Unbound: the shares in turn, each opening its own connection.
    for _ in 0..4 {
        store.ping().await.unwrap();
    }
    assert_eq!(store.pool_status(), (2, 2));
    store.close();
    for _ in 0..2 {
        assert!(matches!(store.ping().await, Err(RepoError::Unavailable(_))));
    }
}
