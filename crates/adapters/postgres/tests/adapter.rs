//! What only the PostgreSQL adapter has: connecting, the pool's and the
//! statements' timeouts, lost connections, and migrations run concurrently.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use gatherhub_domain::EventId;
use gatherhub_ports::{EventRepo, RepoError, StoreHealth, UserRepo};
use gatherhub_postgres::{PgConfig, PgError, PgStore};
use gatherhub_testkit::fixtures::{days, new_event, new_user, now};
use support::TestDb;

/// An event organized by a fresh user, and a second user to join it.
async fn event_and_joiner(store: &PgStore) -> (EventId, gatherhub_domain::UserId) {
    let alice = store
        .create(new_user("alice", "alice@example.com"))
        .await
        .unwrap();
    let bob = store
        .create(new_user("bob", "bob@example.com"))
        .await
        .unwrap();
    let at = now();
    let event = store
        .create_event(new_event("Meetup", at + days(7)), alice.id, at)
        .await
        .unwrap();
    (event.event.id, bob.id)
}

/// Another session holding the event's row lock until it rolls back, so that
/// any membership change of the event blocks.
async fn hold_event_lock(db: &TestDb, event: EventId) -> AsyncPgConnection {
    let mut blocker = AsyncPgConnection::establish(&db.url()).await.unwrap();
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM events WHERE id = {event} FOR UPDATE"
        ))
        .await
        .unwrap();
    blocker
}

fn migration_count() -> usize {
    diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(
        &gatherhub_postgres::MIGRATIONS,
    )
    .unwrap()
    .len()
}

/// Waits until one of the store's connections to `db` waits for a row lock.
async fn until_blocked(db: &TestDb) {
    until(db, "wait_event_type = 'Lock'", |n| n > 0).await;
}

/// Waits until the store has `count` connections to `db`.
async fn until_connections(db: &TestDb, count: i64) {
    until(db, "true", |n| n == count).await;
}

async fn until(db: &TestDb, condition: &str, done: impl Fn(i64) -> bool) {
    use diesel_async::RunQueryDsl;
    let mut admin = support::admin().await;
    let query = format!(
        "SELECT count(*) AS blocked FROM pg_stat_activity WHERE datname = '{}' \
         AND application_name = 'gatherhub' AND {condition}",
        db.name()
    );
    for _ in 0..500 {
        let row: Blocked = diesel::sql_query(&query)
            .get_result(&mut admin)
            .await
            .unwrap();
        if done(row.blocked) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{condition} never came true");
}

#[derive(diesel::QueryableByName)]
struct Blocked {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    blocked: i64,
}

#[track_caller]
fn assert_unavailable<T: std::fmt::Debug>(result: Result<T, RepoError>) {
    assert!(
        matches!(result, Err(RepoError::Unavailable(_))),
        "expected Unavailable, got {result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_reports_bad_urls_and_unreachable_servers() {
    let invalid = PgStore::connect(PgConfig::new("mysql://root@localhost/app")).await;
    assert!(
        matches!(invalid, Err(PgError::InvalidUrl(_))),
        "{invalid:?}"
    );

    let refused = PgConfig::new("postgres://app:hunter2@127.0.0.1:1/gatherhub");
    let started = Instant::now();
    let error = PgStore::connect(refused).await.unwrap_err();
    assert!(matches!(error, PgError::Connect(_)), "{error:?}");
    assert!(
        !error.to_string().contains("hunter2"),
        "the password leaked: {error}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    let malformed = PgConfig::new("postgres://app:hunter2@db:notaport/gatherhub");
    let error = PgStore::connect(malformed).await.unwrap_err();
    assert!(
        !error.to_string().contains("hunter2"),
        "the password leaked: {error}"
    );

    let missing =
        PgStore::connect(PgConfig::new(support::database_url("gh_no_such_database"))).await;
    let error = missing.unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");

    let blackhole = PgConfig {
        create_timeout: Duration::from_millis(300),
        ..PgConfig::new("postgres://app@10.255.255.1:5432/gatherhub")
    };
    let started = Instant::now();
    assert!(matches!(
        PgStore::connect(blackhole).await,
        Err(PgError::Connect(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );

    let no_pool = PgConfig {
        max_size: 0,
        ..PgConfig::new(support::server_url())
    };
    assert!(matches!(
        PgStore::connect(no_pool).await,
        Err(PgError::Config(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saturated_pool_and_slow_statements_are_unavailable_quickly() {
    let db = TestDb::create().await;
    let config = PgConfig {
        max_size: 1,
        wait_timeout: Duration::from_millis(200),
        statement_timeout: Duration::from_secs(1),
        ..db.config()
    };
    let store = PgStore::connect(config).await.unwrap();
    let (event, bob) = event_and_joiner(&store).await;
    let mut blocker = hold_event_lock(&db, event).await;

    // The only connection waits for the lock...
    let joining = tokio::spawn({
        let store = store.clone();
        async move {
            let started = Instant::now();
            (store.join_event(event, bob, now()).await, started.elapsed())
        }
    });
    until_blocked(&db).await;
    // ...so another caller waits for the pool, and gives up after wait_timeout.
    let started = Instant::now();
    assert_unavailable(store.get_event(event, None).await);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_millis(900),
        "waited {waited:?}"
    );

    // The blocked statement is cancelled by statement_timeout: 503, not 500.
    let (joined, took) = joining.await.unwrap();
    assert_unavailable(joined);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "took {took:?}"
    );

    blocker.batch_execute("ROLLBACK").await.unwrap();
    store.ping().await.unwrap();
    let joined = store.join_event(event, bob, now()).await.unwrap();
    assert!(joined.created, "the timed-out join wrote nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_backends_are_unavailable_and_the_pool_recovers() {
    let db = TestDb::create().await;
    let config = PgConfig {
        max_size: 1,
        ..db.config()
    };
    let store = PgStore::connect(config).await.unwrap();
    let (event, bob) = event_and_joiner(&store).await;
    let mut blocker = hold_event_lock(&db, event).await;
    let mut admin = support::admin().await;

    // Lost in the middle of a statement.
    let joining = tokio::spawn({
        let store = store.clone();
        async move { store.join_event(event, bob, now()).await }
    });
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{}' AND application_name = 'gatherhub'",
        db.name()
    );
    until_blocked(&db).await;
    admin.batch_execute(&terminate).await.unwrap();
    let joined = tokio::time::timeout(Duration::from_secs(5), joining)
        .await
        .expect("no hang")
        .unwrap();
    assert_unavailable(joined);
    blocker.batch_execute("ROLLBACK").await.unwrap();
    store.ping().await.unwrap();

    // Lost while idle in the pool: the health check replaces it unnoticed.
    admin.batch_execute(&terminate).await.unwrap();
    until_connections(&db, 0).await;
    let view = store.get_event(event, None).await.unwrap().unwrap();
    assert_eq!(view.going, 1);
    let joined = store.join_event(event, bob, now()).await.unwrap();
    assert!(joined.created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_are_idempotent_and_safe_to_run_concurrently() {
    let db = TestDb::empty().await;
    let first = PgStore::connect(db.config()).await.unwrap();
    let second = PgStore::connect(db.config()).await.unwrap();
    let (a, b) = tokio::join!(first.migrate(), second.migrate());
    let (a, b) = (a.unwrap(), b.unwrap());
    let expected = migration_count();
    assert_eq!(
        (a.len() + b.len(), a.is_empty() || b.is_empty()),
        (expected, true),
        "one instance applied everything, the other found nothing to do: {a:?} {b:?}"
    );
    assert!(
        first.migrate().await.unwrap().is_empty(),
        "nothing left to apply"
    );
    let user = first
        .create(new_user("alice", "alice@example.com"))
        .await
        .unwrap();
    assert_eq!(
        second.get(user.id).await.unwrap().map(|u| u.username),
        Some("alice".to_owned())
    );
}

/// `#[actix_web::main]` gives a current-thread runtime (STACK pitfall 6).
#[tokio::test(flavor = "current_thread")]
async fn migrations_run_on_a_current_thread_runtime() {
    let db = TestDb::empty().await;
    let store = PgStore::connect(db.config()).await.unwrap();
    assert_eq!(store.migrate().await.unwrap().len(), migration_count());
    store.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_output_hides_the_url() {
    let db = TestDb::create().await;
    let store = db.store().await;
    let printed = format!("{store:?}");
    assert!(!printed.contains(db.name()), "{printed}");
    assert_eq!(store.backend(), "postgres");
}

/// A TCP relay to the test server that can stop passing bytes on, keeping
/// the sockets open: a server that hangs, or a network partition.
struct Relay {
    port: u16,
    frozen: Arc<AtomicBool>,
}

impl Relay {
    fn start() -> Self {
        let server = url::Url::parse(&support::server_url()).unwrap();
        let upstream = format!(
            "{}:{}",
            server.host_str().unwrap(),
            server.port().unwrap_or(5432)
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = frozen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let flag = flag.clone();
                    std::thread::spawn(move || {
                        let mut buffer = [0_u8; 8192];
                        while let Ok(n @ 1..) = from.read(&mut buffer) {
                            while flag.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(10));
                            }
                            if to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, frozen }
    }

    fn url(&self, db: &TestDb) -> String {
        let mut url = url::Url::parse(&db.url()).unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(self.port)).unwrap();
        url.to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_answering_is_unavailable_not_a_hang() {
    let db = TestDb::create().await;
    let relay = Relay::start();
    let config = PgConfig {
        max_size: 1,
        create_timeout: Duration::from_millis(500),
        recycle_timeout: Duration::from_millis(300),
        statement_timeout: Duration::from_millis(300),
        // Health-check every checkout, however recent the last use.
        ping_after_idle: Duration::ZERO,
        ..PgConfig::new(relay.url(&db))
    };
    let store = PgStore::connect(config).await.unwrap();
    let (event, bob) = event_and_joiner(&store).await;

    // Silent at checkout: the idle connection fails its health check and no
    // new one can be opened.
    relay.frozen.store(true, Ordering::SeqCst);
    let started = Instant::now();
    assert_unavailable(store.get_event(event, None).await);
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(2), "waited {waited:?}");
    relay.frozen.store(false, Ordering::SeqCst);
    store.ping().await.unwrap();

    // Silent in the middle of a statement: the server's own timeout fires but
    // its answer never arrives; the client-side deadline (2 × 300 ms + 1 s)
    // gives up and discards the connection.
    let mut blocker = hold_event_lock(&db, event).await;
    let joining = tokio::spawn({
        let store = store.clone();
        async move {
            let started = Instant::now();
            (store.join_event(event, bob, now()).await, started.elapsed())
        }
    });
    until_blocked(&db).await;
    relay.frozen.store(true, Ordering::SeqCst);
    let (joined, took) = joining.await.unwrap();
    assert!(
        matches!(&joined, Err(RepoError::Unavailable(message)) if message.contains("did not answer")),
        "{joined:?}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");

    relay.frozen.store(false, Ordering::SeqCst);
    blocker.batch_execute("ROLLBACK").await.unwrap();
    let joined = store.join_event(event, bob, now()).await.unwrap();
    assert!(joined.created, "the pool replaced the abandoned connection");
}
