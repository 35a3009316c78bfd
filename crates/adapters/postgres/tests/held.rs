//! `hold_connection`: the repository calls inside one held future share one
//! pooled connection, and only an idle one that came from their own pool.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod support;

use std::time::Duration;

use gatherhub_ports::{Conflict, RepoError, StoreHealth, UserRepo};
use gatherhub_postgres::{PgConfig, PgStore, hold_connection};
use gatherhub_testkit::fixtures::new_user;
use support::TestDb;

/// A store whose pool has `max_size` connections and gives up on a wait
/// quickly, so that a call that did not reuse the held connection fails
/// instead of waiting.
async fn store(db: &TestDb, max_size: usize) -> PgStore {
    let config = PgConfig {
        max_size,
        wait_timeout: Duration::from_millis(300),
        ..db.config()
    };
    PgStore::connect(config).await.unwrap()
}

/// Connections not checked out (`PgStore::pool_status` is open, idle).
fn idle(store: &PgStore) -> usize {
    store.pool_status().1
}

#[tokio::test]
async fn calls_inside_a_hold_share_one_connection() {
    let db = TestDb::create().await;
    let store = store(&db, 1).await;
    hold_connection(async {
        store.ping().await.unwrap();
        assert_eq!(idle(&store), 0, "the request keeps its connection");
        // The pool's only connection is held: these succeed only by reusing it.
        store.ping().await.unwrap();
        let user = store
            .create(new_user("held", "held@example.com"))
            .await
            .unwrap();
        assert!(store.get(user.id).await.unwrap().is_some());
        assert_eq!(store.pool_status(), (1, 0));
    })
    .await;
    assert_eq!(idle(&store), 1, "back to the pool when the request ends");
}

#[tokio::test]
async fn without_a_hold_each_call_returns_its_connection() {
    let db = TestDb::create().await;
    let store = store(&db, 1).await;
    store.ping().await.unwrap();
    assert_eq!(idle(&store), 1);
    // A task of its own, not inside the hold of the task that spawned it.
    let spawned = hold_connection(async {
        let store = store.clone();
        tokio::spawn(async move {
            store.ping().await.unwrap();
            idle(&store)
        })
        .await
        .unwrap()
    })
    .await;
    assert_eq!(spawned, 1);
}

#[tokio::test]
async fn a_failed_call_returns_its_connection_to_the_pool() {
    let db = TestDb::create().await;
    let store = store(&db, 1).await;
    store
        .create(new_user("taken", "taken@example.com"))
        .await
        .unwrap();
    hold_connection(async {
        let again = store.create(new_user("taken", "taken@example.com")).await;
        assert!(
            matches!(again, Err(RepoError::Conflict(Conflict::UsernameTaken))),
            "{again:?}"
        );
        assert_eq!(idle(&store), 1, "a connection that failed is not kept");
        store.ping().await.unwrap();
        assert_eq!(idle(&store), 0);
    })
    .await;
    assert_eq!(idle(&store), 1);
}

#[tokio::test]
async fn a_store_never_takes_another_stores_connection() {
    let db = TestDb::create().await;
    let (first, second) = (store(&db, 1).await, store(&db, 1).await);
    hold_connection(async {
        first.ping().await.unwrap();
        assert_eq!((idle(&first), idle(&second)), (0, 1));
        // The held connection is the first store's: it goes back to that
        // pool, and the second store uses one of its own.
        second.ping().await.unwrap();
        assert_eq!((idle(&first), idle(&second)), (1, 0));
        first.ping().await.unwrap();
        assert_eq!((idle(&first), idle(&second)), (0, 1));
    })
    .await;
    assert_eq!((idle(&first), idle(&second)), (1, 1));
}

#[tokio::test]
async fn concurrent_calls_inside_a_hold_each_get_a_connection() {
    let db = TestDb::create().await;
    let store = store(&db, 2).await;
    hold_connection(async {
        let (a, b) = tokio::join!(store.ping(), store.ping());
        a.unwrap();
        b.unwrap();
        // One is kept for the next call, the other went back.
        assert_eq!(store.pool_status(), (2, 1));
    })
    .await;
    assert_eq!(idle(&store), 2);
}

#[tokio::test]
async fn a_hold_reuses_its_connection_whichever_share_it_came_from() {
    let db = TestDb::create().await;
    let config = PgConfig {
        max_size: 2,
        shards: 2,
        ..db.config()
    };
    let store = PgStore::connect(config).await.unwrap();
    // Not a bound worker: the checkouts take the shares in turn, so the two
    // holds start in different shares.
    for _ in 0..2 {
        hold_connection(async {
            store.ping().await.unwrap();
            let (open, _) = store.pool_status();
            store.ping().await.unwrap();
            store.ping().await.unwrap();
            assert_eq!(
                store.pool_status(),
                (open, open - 1),
                "reused the held connection: no other checked out or opened"
            );
        })
        .await;
    }
    assert_eq!(store.pool_status(), (2, 2));
}
