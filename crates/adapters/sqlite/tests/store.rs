//! The SQLite store as a file: opening (and its errors), migrating, data
//! surviving a restart, and locks held by another process.

use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use gatherhub_domain::membership::MemberStatus;
use gatherhub_ports::{RepoError, Repositories, Session};
use gatherhub_sqlite::{SqliteError, SqliteOptions, SqliteStore};
use gatherhub_testkit::fixtures::*;

fn repos(store: SqliteStore) -> Repositories {
    Repositories::from_store(Arc::new(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gatherhub.db").display());
    let first = SqliteStore::open(&url).await.unwrap();
    assert_eq!(
        first.migrate().await.unwrap().len(),
        4,
        "every migration runs once"
    );
    let r = repos(first);
    let alice = user(&r, "alice").await;
    let (bob, carol) = (user(&r, "bob").await, user(&r, "carol").await);
    let event = event(&r, &alice, Some(2)).await.event.id;
    join_all(&r, event, &[&bob, &carol]).await;
    let created = poll(&r, event, &alice).await;
    let option = created.options[1].0.id;
    r.polls
        .cast_vote(created.poll.id, bob.id, &[option], now())
        .await
        .unwrap();
    let at = now();
    let session = Session {
        id: "s1".into(),
        user_id: alice.id,
        refresh_jti: "j1".into(),
        revoked: false,
        created_at: at,
        expires_at: at + days(1),
    };
    r.sessions.create_session(session).await.unwrap();
    let before = r.events.get_event(event, Some(carol.id)).await.unwrap();
    let poll_before = r
        .polls
        .get_poll(created.poll.id, Some(bob.id))
        .await
        .unwrap();
    drop(r);

    let second = SqliteStore::open(&url).await.unwrap();
    assert!(
        second.migrate().await.unwrap().is_empty(),
        "nothing left to apply"
    );
    let r = repos(second);
    assert_eq!(
        r.events.get_event(event, Some(carol.id)).await.unwrap(),
        before
    );
    let carol_membership = before.unwrap().membership.unwrap();
    assert_eq!(
        (carol_membership.status, carol_membership.waitlist_position),
        (MemberStatus::Waitlisted, Some(1))
    );
    assert_eq!(
        r.polls
            .get_poll(created.poll.id, Some(bob.id))
            .await
            .unwrap(),
        poll_before
    );
    assert_eq!(
        r.users.find_by_login("ALICE").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        r.sessions.session_user("s1", now()).await.unwrap(),
        Some(alice)
    );
    // Ids keep counting after a restart.
    let dave = user(&r, "dave").await;
    assert!(dave.id > carol.id);
}

#[tokio::test]
async fn migrating_twice_is_a_no_op() {
    let store = SqliteStore::open_temporary().await.unwrap();
    let applied = store.migrate().await.unwrap();
    assert_eq!(applied.len(), 4, "{applied:?}");
    assert!(store.migrate().await.unwrap().is_empty());
    let path = store.path().unwrap().to_owned();
    let r = repos(store);
    let alice = user(&r, "alice").await;
    // A second store (another process) finds the schema up to date.
    let other = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
    assert!(other.migrate().await.unwrap().is_empty());
    assert_eq!(repos(other).users.get(alice.id).await.unwrap(), Some(alice));
}

#[tokio::test]
async fn opening_creates_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
    assert!(path.is_file());
    assert_eq!(store.path(), Some(path.as_path()));
    store.migrate().await.unwrap();
    repos(store).health.ping().await.unwrap();
}

#[tokio::test]
async fn opening_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/gatherhub.db");
    let error = SqliteStore::open(&format!("sqlite://{}", missing.display()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, SqliteError::MissingDirectory { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(!missing.parent().unwrap().exists(), "nothing was created");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "These are notes, not a database. ".repeat(40)).unwrap();
    let error = SqliteStore::open(text.to_str().unwrap()).await.unwrap_err();
    assert!(
        matches!(error, SqliteError::NotADatabase { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("{} is not a SQLite database", text.display())
    );

    for bad in ["", "sqlite://", "sqlite://x.db?mode=rwc"] {
        let error = SqliteStore::open(bad).await.unwrap_err();
        assert!(
            matches!(error, SqliteError::InvalidUrl(_)),
            "{bad:?}: {error:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_elsewhere_is_unavailable_after_the_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.db");
    let options = SqliteOptions {
        busy_timeout: Duration::from_millis(200),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open_with(path.to_str().unwrap(), options)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let r = repos(store);
    let alice = user(&r, "alice").await;

    // Another process holds the write lock.
    let mut other = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    other.batch_execute("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    match r.users.create(new_user("bob", "bob@example.com")).await {
        Err(RepoError::Unavailable(reason)) => assert!(reason.contains("locked"), "{reason}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "it waited first"
    );
    // WAL: reads go on while another connection writes.
    assert_eq!(r.users.get(alice.id).await.unwrap(), Some(alice));
    other.batch_execute("COMMIT").unwrap();
    user(&r, "bob").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_store_is_private_and_complete() {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    assert_eq!(store.path(), None);
    store.migrate().await.unwrap();
    let r = repos(store);
    let alice = user(&r, "alice").await;
    let id = event(&r, &alice, Some(1)).await.event.id;
    let bob = user(&r, "bob").await;
    let joined = r.events.join_event(id, bob.id, now()).await.unwrap();
    assert_eq!(joined.membership.waitlist_position, Some(1));
    let other = SqliteStore::open(":memory:").await.unwrap();
    other.migrate().await.unwrap();
    assert_eq!(repos(other).users.get(alice.id).await.unwrap(), None);
}
