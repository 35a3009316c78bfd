//! The number of SQL statements each repository method sends, counted with
//! diesel's instrumentation: lists and views cost a fixed number whatever the
//! page size (no N+1), and the table in the crate docs stays true.
//!
//! Its own test binary with a single test, because the instrumentation hook
//! is process-wide.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use gatherhub_domain::event::{EventChanges, EventTitle, NewEvent};
use gatherhub_domain::poll::{PollChanges, PollOptions};
use gatherhub_domain::task::{NewTask, TaskChanges};
use gatherhub_domain::{PageRequest, UserId};
use gatherhub_ports::{
    EventFilter, EventQuery, EventRepo, PollQuery, PollRepo, ProfileUpdate, Rotation, Session,
    SessionRepo, TaskFilter, TaskQuery, TaskRepo, UserRepo,
};
use gatherhub_postgres::{PgConfig, PgStore};
use gatherhub_testkit::fixtures::{
    actor, capacity, days, new_event, new_poll, new_task, new_user, now,
};

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
static TRANSACTIONS: AtomicUsize = AtomicUsize::new(0);
/// The pool's health checks of idle connections.
static PINGS: AtomicUsize = AtomicUsize::new(0);

fn counting() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            if sql.starts_with("BEGIN") {
                TRANSACTIONS.fetch_add(1, Ordering::SeqCst);
            } else if !(sql.starts_with("COMMIT")
                || sql.starts_with("ROLLBACK")
                || sql.starts_with("SET ")
                // The pool's health check of an idle connection.
                || sql.starts_with("SELECT $1 "))
            {
                STATEMENTS.fetch_add(1, Ordering::SeqCst);
            }
            if sql.starts_with("SELECT $1 ") {
                PINGS.fetch_add(1, Ordering::SeqCst);
            }
        }
    }))
}

/// What a call cost: statements sent, and whether they ran in a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cost(usize, bool);

const fn plain(statements: usize) -> Cost {
    Cost(statements, false)
}

const fn tx(statements: usize) -> Cost {
    Cost(statements, true)
}

/// Checks what each call costs and keeps a table of it.
#[derive(Default)]
struct Meter(Vec<String>);

impl Meter {
    async fn check<T>(&mut self, label: &str, expected: Cost, work: impl Future<Output = T>) -> T {
        let (s, t) = (
            STATEMENTS.load(Ordering::SeqCst),
            TRANSACTIONS.load(Ordering::SeqCst),
        );
        let out = work.await;
        let statements = STATEMENTS.load(Ordering::SeqCst) - s;
        let transactions = TRANSACTIONS.load(Ordering::SeqCst) - t;
        let cost = Cost(statements, transactions == 1);
        assert!(transactions <= 1, "{label}: {transactions} transactions");
        assert_eq!(cost, expected, "{label}");
        let how = if cost.1 { " in one transaction" } else { "" };
        self.0.push(format!("{label:<44} {statements}{how}"));
        out
    }
}

fn page(size: i64) -> PageRequest {
    PageRequest::new(Some(1), Some(size)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_sends_a_fixed_number_of_statements() {
    diesel::connection::set_default_instrumentation(counting).unwrap();
    let db = support::TestDb::create().await;
    let store: PgStore = db.store().await;
    let m = &mut Meter::default();
    let s = &store;
    let at = now();

    let call = s.create(new_user("alice", "alice@example.com"));
    let alice = m.check("UserRepo::create", plain(1), call).await.unwrap();
    let mut crowd = Vec::new();
    for i in 0..25 {
        let user = new_user(&format!("user{i}"), &format!("user{i}@example.com"));
        crowd.push(s.create(user).await.unwrap());
    }
    let c: Vec<UserId> = crowd.iter().map(|u| u.id).collect();
    m.check("UserRepo::get", plain(1), s.get(alice.id))
        .await
        .unwrap();
    let call = s.find_by_login("ALICE");
    m.check("UserRepo::find_by_login", plain(1), call)
        .await
        .unwrap();
    let call = s.find_by_username("alice");
    m.check("UserRepo::find_by_username", plain(1), call)
        .await
        .unwrap();
    let update = ProfileUpdate {
        bio: Some("hi".into()),
        ..Default::default()
    };
    let call = s.update_profile(alice.id, update);
    m.check("UserRepo::update_profile", plain(1), call)
        .await
        .unwrap();
    let call = s.set_password(alice.id, "h");
    m.check("UserRepo::set_password", plain(1), call)
        .await
        .unwrap();
    let call = s.record_login(alice.id, at);
    m.check("UserRepo::record_login", plain(1), call)
        .await
        .unwrap();

    let session = Session {
        id: "s1".into(),
        user_id: alice.id,
        refresh_jti: "j1".into(),
        revoked: false,
        created_at: at,
        expires_at: at + days(1),
    };
    let call = s.create_session(session);
    m.check("SessionRepo::create_session", plain(1), call)
        .await
        .unwrap();
    let call = s.session_user("s1", at);
    m.check("SessionRepo::session_user", plain(1), call)
        .await
        .unwrap();
    let call = s.rotate("s1", "j1", "j2", at, at + days(1));
    let rotated = m
        .check("SessionRepo::rotate (rotated)", plain(1), call)
        .await;
    assert_eq!(rotated.unwrap(), Rotation::Rotated);
    let call = s.rotate("s1", "j1", "j3", at, at + days(1));
    let reused = m
        .check("SessionRepo::rotate (reused)", plain(2), call)
        .await;
    assert_eq!(reused.unwrap(), Rotation::Reused);
    let call = s.revoke_session("s1");
    m.check("SessionRepo::revoke_session", plain(1), call)
        .await
        .unwrap();
    let call = s.revoke_user_sessions(alice.id);
    m.check("SessionRepo::revoke_user_sessions", plain(1), call)
        .await
        .unwrap();

    let create = || {
        let event = NewEvent {
            max_participants: Some(capacity(3)),
            ..new_event("Meetup", at + days(7))
        };
        s.create_event(event, alice.id, at)
    };
    let view = m
        .check("EventRepo::create_event", tx(3), create())
        .await
        .unwrap();
    let event = view.event.id;
    for _ in 0..24 {
        let other = create().await.unwrap().event.id;
        for user in &c[..4] {
            s.join_event(other, *user, at).await.unwrap();
        }
    }
    let call = s.join_event(event, c[0], at);
    m.check("EventRepo::join_event (new)", tx(4), call)
        .await
        .unwrap();
    let call = s.join_event(event, c[0], at);
    m.check("EventRepo::join_event (existing)", tx(2), call)
        .await
        .unwrap();
    for user in &c[1..5] {
        s.join_event(event, *user, at).await.unwrap();
    }
    let call = s.get_event(event, Some(c[4]));
    m.check("EventRepo::get_event", plain(1), call)
        .await
        .unwrap();
    let events = |size| EventQuery {
        viewer: Some(actor(&crowd[3])),
        filter: EventFilter {
            search: Some("meet".into()),
            ..Default::default()
        },
        ordering: Default::default(),
        page: page(size),
        now: at,
    };
    let call = s.list_events(events(5));
    let small = m
        .check("EventRepo::list_events (5 a page)", plain(2), call)
        .await
        .unwrap();
    let call = s.list_events(events(100));
    let large = m
        .check("EventRepo::list_events (100 a page)", plain(2), call)
        .await
        .unwrap();
    assert_eq!(
        (small.items.len(), large.items.len(), large.total),
        (5, 25, 25)
    );
    let call = s.list_members(event, page(100));
    m.check("EventRepo::list_members", plain(2), call)
        .await
        .unwrap();
    let call = s.leave_event(event, c[0]);
    let promoted = m
        .check("EventRepo::leave_event (promotes)", tx(6), call)
        .await
        .unwrap();
    assert_eq!(promoted, vec![c[2]]);
    let title = EventTitle::parse("Renamed").unwrap();
    let rename = EventChanges {
        title: Some(title),
        ..Default::default()
    };
    let call = s.update_event(event, rename, alice.id, at);
    m.check("EventRepo::update_event (fields)", tx(3), call)
        .await
        .unwrap();
    let grow = EventChanges {
        max_participants: Some(Some(capacity(10))),
        ..Default::default()
    };
    let call = s.update_event(event, grow, alice.id, at);
    m.check("EventRepo::update_event (capacity)", tx(5), call)
        .await
        .unwrap();

    let assigned = |title: &str, to: UserId| NewTask {
        assignee_id: Some(to),
        ..new_task(event, title)
    };
    let call = s.create_task(assigned("Venue", c[1]), alice.id, at);
    let task = m
        .check("TaskRepo::create_task", tx(4), call)
        .await
        .unwrap()
        .task
        .id;
    for i in 0..24 {
        s.create_task(assigned(&format!("Task {i}"), c[i % 4 + 1]), alice.id, at)
            .await
            .unwrap();
    }
    m.check("TaskRepo::get_task", plain(1), s.get_task(task))
        .await
        .unwrap();
    let tasks = |size| TaskQuery {
        actor: actor(&crowd[1]),
        filter: TaskFilter::default(),
        ordering: Default::default(),
        page: page(size),
    };
    let call = s.list_tasks(tasks(5));
    let small = m
        .check("TaskRepo::list_tasks (5 a page)", plain(2), call)
        .await
        .unwrap();
    let call = s.list_tasks(tasks(100));
    let large = m
        .check("TaskRepo::list_tasks (100 a page)", plain(2), call)
        .await
        .unwrap();
    assert_eq!((small.items.len(), large.items.len()), (5, 25));
    let reassign = TaskChanges {
        assignee_id: Some(Some(c[2])),
        ..Default::default()
    };
    let call = s.update_task(task, reassign, at);
    m.check("TaskRepo::update_task (assignee)", tx(6), call)
        .await
        .unwrap();
    let call = s.update_task(task, TaskChanges::default(), at);
    m.check("TaskRepo::update_task (other)", tx(4), call)
        .await
        .unwrap();
    m.check("TaskRepo::delete_task", plain(1), s.delete_task(task))
        .await
        .unwrap();

    let call = s.create_poll(new_poll(event, "Where?", &["A", "B", "C"]), alice.id, at);
    let p = m
        .check("PollRepo::create_poll", tx(3), call)
        .await
        .unwrap()
        .poll
        .id;
    for i in 0..24 {
        let other = new_poll(event, &format!("Poll {i}"), &["x", "y", "z"]);
        let other = s.create_poll(other, alice.id, at).await.unwrap();
        for user in &c[1..4] {
            let choice = [other.options[i % 3].0.id];
            s.cast_vote(other.poll.id, *user, &choice, at)
                .await
                .unwrap();
        }
    }
    let options = PollOptions::parse(&["D", "E"]).unwrap();
    let replace = PollChanges {
        options: Some(options),
        ..Default::default()
    };
    let call = s.update_poll(p, replace, alice.id, at);
    let replaced = m
        .check("PollRepo::update_poll (options)", tx(6), call)
        .await
        .unwrap();
    let choice = [replaced.options[0].0.id];
    let call = s.cast_vote(p, c[1], &choice, at);
    m.check("PollRepo::cast_vote", tx(5), call).await.unwrap();
    m.check("PollRepo::get_poll", plain(1), s.get_poll(p, Some(c[1])))
        .await
        .unwrap();
    let polls = |size| PollQuery {
        viewer: Some(actor(&crowd[1])),
        event: Some(event),
        is_open: Some(true),
        ordering: Default::default(),
        page: page(size),
        now: at,
    };
    let call = s.list_polls(polls(5));
    let small = m
        .check("PollRepo::list_polls (5 a page)", plain(2), call)
        .await
        .unwrap();
    let call = s.list_polls(polls(100));
    let large = m
        .check("PollRepo::list_polls (100 a page)", plain(2), call)
        .await
        .unwrap();
    assert_eq!((small.items.len(), large.items.len()), (5, 25));
    let others = large.items.iter().filter(|v| v.poll.id != p);
    assert!(
        others
            .clone()
            .all(|v| v.my_votes.len() == 1 && v.total_voters == 3)
    );
    m.check("PollRepo::poll_voters", plain(1), s.poll_voters(p))
        .await
        .unwrap();
    let call = s.retract_vote(p, c[1], at);
    m.check("PollRepo::retract_vote", tx(3), call)
        .await
        .unwrap();
    let call = s.close_poll(p, alice.id, at);
    m.check("PollRepo::close_poll", plain(2), call)
        .await
        .unwrap();
    m.check("PollRepo::delete_poll", plain(1), s.delete_poll(p))
        .await
        .unwrap();
    m.check("EventRepo::delete_event", plain(1), s.delete_event(event))
        .await
        .unwrap();

    println!("{}", m.0.join("\n"));

    // The pool pings a connection before reuse only once it sat idle for
    // `ping_after_idle`: never with an hour, every reuse with zero.
    for (idle, expect_pings) in [(Duration::from_secs(3600), false), (Duration::ZERO, true)] {
        let config = PgConfig {
            ping_after_idle: idle,
            ..db.config()
        };
        let store = PgStore::connect(config).await.unwrap();
        let before = PINGS.load(Ordering::SeqCst);
        for _ in 0..10 {
            store.get(alice.id).await.unwrap();
        }
        let pings = PINGS.load(Ordering::SeqCst) - before;
        if expect_pings {
            // The first checkout opens the connection; later ones reuse it.
            assert!(pings >= 5, "ping_after_idle {idle:?}: {pings} pings");
        } else {
            assert_eq!(pings, 0, "ping_after_idle {idle:?}");
        }
    }
}
