//! No N+1, and no statement prepared twice: the statements each method sends,
//! counted through diesel's instrumentation, do not grow with the page size
//! and match the table in the crate documentation, and every read statement
//! is kept in the connection's statement cache. One test in this binary,
//! since the instrumentation hook is global.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::{InstrumentationEvent, set_default_instrumentation};
use gatherhub_domain::access::Actor;
use gatherhub_domain::event::EventChanges;
use gatherhub_domain::poll::{PollChanges, PollOptions};
use gatherhub_domain::task::TaskChanges;
use gatherhub_domain::user::Email;
use gatherhub_domain::{EventId, PageRequest, PollId, TaskId};
use gatherhub_ports::{
    EventFilter, EventQuery, PollQuery, ProfileUpdate, Repositories, Session, TaskFilter,
    TaskOrdering, TaskQuery,
};
use gatherhub_sqlite::SqliteStore;
use gatherhub_testkit::fixtures::*;

/// Statements sent, but transaction control and connection set-up.
static QUERIES: AtomicUsize = AtomicUsize::new(0);
/// Statements prepared for the statement cache (diesel's `CacheQuery`).
static CACHED: AtomicUsize = AtomicUsize::new(0);

fn counting() -> Option<Box<dyn diesel::connection::Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { query, .. } => {
            let sql = query.to_string().trim_start().to_ascii_uppercase();
            let control = [
                "BEGIN",
                "COMMIT",
                "ROLLBACK",
                "SAVEPOINT",
                "RELEASE",
                "PRAGMA",
            ];
            if !control.iter().any(|c| sql.starts_with(c)) {
                QUERIES.fetch_add(1, Ordering::SeqCst);
            }
        }
        InstrumentationEvent::CacheQuery { .. } => {
            CACHED.fetch_add(1, Ordering::SeqCst);
        }
        _ => {}
    }))
}

/// `(statements, statements newly cached, result)` of one call.
async fn measure<T>(call: impl Future<Output = T>) -> (usize, usize, T) {
    QUERIES.store(0, Ordering::SeqCst);
    CACHED.store(0, Ordering::SeqCst);
    let out = call.await;
    (
        QUERIES.load(Ordering::SeqCst),
        CACHED.load(Ordering::SeqCst),
        out,
    )
}

async fn count<T>(call: impl Future<Output = T>) -> (usize, T) {
    let (n, _, out) = measure(call).await;
    (n, out)
}

fn events_query(viewer: Actor, page: PageRequest) -> EventQuery {
    EventQuery {
        viewer: Some(viewer),
        filter: EventFilter::default(),
        ordering: Default::default(),
        page,
        now: now(),
    }
}

fn tasks_query(actor: Actor, page: PageRequest) -> TaskQuery {
    TaskQuery {
        actor,
        filter: TaskFilter::default(),
        ordering: TaskOrdering::DueDate,
        page,
    }
}

fn polls_query(viewer: Actor, page: PageRequest) -> PollQuery {
    PollQuery {
        viewer: Some(viewer),
        event: None,
        is_open: Some(true),
        ordering: Default::default(),
        page,
        now: now(),
    }
}

async fn fresh() -> (Arc<SqliteStore>, Repositories) {
    let store = Arc::new(SqliteStore::open_temporary().await.unwrap());
    store.migrate().await.unwrap();
    (store.clone(), Repositories::from_store(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_per_call_are_fixed_documented_and_prepared_once() {
    set_default_instrumentation(counting).unwrap();
    let (store, r) = fresh().await;
    let seeded = seed(&r).await;
    list_pages_cost_a_fixed_number_of_queries(&r, &seeded).await;
    reads_prepare_each_statement_once(&store, &seeded).await;
    every_method_costs_what_the_docs_say(fresh().await.1).await;
}

/// 30 events (capacity 3, so one member waits in each), each with a task
/// assigned to the first member and a poll the waitlisted member voted in.
struct Seeded {
    alice: Actor,
    /// Waitlisted in every event.
    waiting: Actor,
    event: EventId,
    task: TaskId,
    poll: PollId,
    /// A poll nobody voted in.
    quiet: PollId,
}

async fn seed(r: &Repositories) -> Seeded {
    let alice = user(r, "alice").await;
    let crowd = users(r, "member", 3).await;
    let mut polls = Vec::new();
    let mut tasks = Vec::new();
    let mut events = Vec::new();
    for i in 0..30 {
        let id = event(r, &alice, Some(3)).await.event.id;
        events.push(id);
        join_all(r, id, &crowd.iter().collect::<Vec<_>>()).await; // member2 waits
        let mut task = new_task(id, &format!("Task {i}"));
        task.assignee_id = Some(crowd[0].id);
        tasks.push(r.tasks.create_task(task, alice.id, now()).await.unwrap());
        let p = poll(r, id, &alice).await;
        let option = p.options[0].0.id;
        r.polls
            .cast_vote(p.poll.id, crowd[2].id, &[option], now())
            .await
            .unwrap();
        polls.push(p.poll.id);
    }
    let quiet = poll(r, events[0], &alice).await.poll.id;
    Seeded {
        alice: actor(&alice),
        waiting: actor(&crowd[2]),
        event: events[0],
        task: tasks[0].task.id,
        poll: polls[0],
        quiet,
    }
}

async fn list_pages_cost_a_fixed_number_of_queries(r: &Repositories, s: &Seeded) {
    let (small, large, past) = (page(1, 1), page(1, 30), page(4, 30));
    let viewer = s.waiting;

    let (one, page_one) = count(r.events.list_events(events_query(viewer, small))).await;
    let (many, page_many) = count(r.events.list_events(events_query(viewer, large))).await;
    let (page_one, page_many) = (page_one.unwrap(), page_many.unwrap());
    assert_eq!(
        (page_one.items.len(), page_many.items.len(), page_many.total),
        (1, 30, 30)
    );
    assert!(page_many.items.iter().all(|v| {
        (v.going, v.waitlisted) == (3, 1)
            && v.membership.as_ref().unwrap().waitlist_position == Some(1)
    }));
    assert_eq!((one, many), (1, 1), "list_events");
    let (n, beyond) = count(r.events.list_events(events_query(viewer, past))).await;
    let beyond = beyond.unwrap();
    assert_eq!((beyond.total, beyond.items.len()), (30, 0));
    assert_eq!(n, 2, "list_events past the last page (page, count)");

    let (one, _) = count(r.tasks.list_tasks(tasks_query(s.alice, small))).await;
    let (many, listed) = count(r.tasks.list_tasks(tasks_query(s.alice, large))).await;
    let listed = listed.unwrap();
    assert_eq!((listed.items.len(), listed.total), (30, 30));
    assert!(listed.items.iter().all(|v| v.assignee.is_some()));
    assert_eq!((one, many), (1, 1), "list_tasks");
    let (n, beyond) = count(r.tasks.list_tasks(tasks_query(s.alice, past))).await;
    assert_eq!(beyond.unwrap().total, 30);
    assert_eq!(n, 2, "list_tasks past the last page");

    let (one, _) = count(r.polls.list_polls(polls_query(viewer, small))).await;
    let (many, listed) = count(r.polls.list_polls(polls_query(viewer, large))).await;
    let listed = listed.unwrap();
    assert_eq!((listed.items.len(), listed.total), (30, 31));
    assert!(
        listed
            .items
            .iter()
            .filter(|v| v.poll.id != s.quiet)
            .all(|v| v.my_votes.len() == 1 && v.total_voters == 1)
    );
    assert_eq!((one, many), (1, 1), "list_polls");
    let (n, beyond) = count(r.polls.list_polls(polls_query(viewer, past))).await;
    assert_eq!(beyond.unwrap().total, 31);
    assert_eq!(n, 2, "list_polls past the last page");

    let (n, members) = count(r.events.list_members(s.event, all())).await;
    let members = members.unwrap();
    assert_eq!((members.total, members.items.len()), (4, 4));
    assert_eq!(members.items[3].membership.waitlist_position, Some(1));
    assert_eq!(n, 1, "list_members");
    let (n, members) = count(r.events.list_members(s.event, page(2, 4))).await;
    assert_eq!(members.unwrap().total, 4);
    assert_eq!(n, 2, "list_members past the last page (page, count)");
    let (n, missing) = count(r.events.list_members(EventId(MISSING), all())).await;
    assert_not_found(missing);
    assert_eq!(n, 2, "list_members of a missing event");

    let (n, view) = count(r.events.get_event(s.event, Some(viewer.user_id))).await;
    assert_eq!(
        view.unwrap().unwrap().membership.unwrap().waitlist_position,
        Some(1)
    );
    assert_eq!(n, 1, "get_event of a waitlisted viewer");
    let (n, view) = count(r.events.get_event(s.event, None)).await;
    assert_eq!(view.unwrap().unwrap().going, 3);
    assert_eq!(n, 1, "get_event, anonymous");
    let (n, view) = count(r.polls.get_poll(s.poll, Some(viewer.user_id))).await;
    let view = view.unwrap().unwrap();
    assert_eq!((view.my_votes.len(), view.total_voters), (1, 1));
    assert_eq!(n, 1, "get_poll");
    let (n, task) = count(r.tasks.get_task(s.task)).await;
    assert!(task.unwrap().unwrap().assignee.is_some());
    assert_eq!(n, 1, "get_task");
    let (n, voters) = count(r.polls.poll_voters(s.poll)).await;
    assert_eq!(voters.unwrap().len(), 1);
    assert_eq!(n, 1, "poll_voters");
    let (n, voters) = count(r.polls.poll_voters(s.quiet)).await;
    assert_eq!(voters.unwrap(), vec![]);
    assert_eq!(n, 1, "poll_voters without votes");
    let (n, missing) = count(r.polls.poll_voters(PollId(MISSING))).await;
    assert_not_found(missing);
    assert_eq!(n, 1, "poll_voters of a missing poll");
}

/// On a second store over the same file (so its reader connections start
/// with empty caches), the first call of each read caches every statement it
/// sends and the second call prepares nothing: SQLite parses and plans each
/// read once per connection. Reads are sequential, so they reuse one reader.
async fn reads_prepare_each_statement_once(store: &SqliteStore, s: &Seeded) {
    let path = store.path().unwrap().to_str().unwrap().to_owned();
    let r = Repositories::from_store(Arc::new(SqliteStore::open(&path).await.unwrap()));
    let viewer = Some(s.waiting.user_id);
    let mut log: Vec<(&str, usize, usize, usize)> = Vec::new();
    macro_rules! twice {
        ($name:literal, $call:expr) => {{
            let (sent, cached, out) = measure($call).await;
            out.unwrap();
            let (_, again, out) = measure($call).await;
            out.unwrap();
            log.push(($name, sent, cached, again));
        }};
    }
    twice!("get_event", r.events.get_event(s.event, viewer));
    twice!(
        "list_events",
        r.events.list_events(events_query(s.waiting, page(1, 5)))
    );
    twice!("list_members", r.events.list_members(s.event, all()));
    twice!("get_task", r.tasks.get_task(s.task));
    twice!(
        "list_tasks",
        r.tasks.list_tasks(tasks_query(s.alice, page(1, 5)))
    );
    twice!("get_poll", r.polls.get_poll(s.poll, viewer));
    twice!(
        "list_polls",
        r.polls.list_polls(polls_query(s.waiting, page(1, 5)))
    );
    twice!("poll_voters", r.polls.poll_voters(s.poll));
    twice!("users.get", r.users.get(s.alice.user_id));
    twice!("find_by_login", r.users.find_by_login("alice"));
    twice!("session_user", r.sessions.session_user("none", now()));
    for (name, sent, cached, again) in log {
        assert!(sent >= 1, "{name}");
        assert_eq!(
            (cached, again),
            (sent, 0),
            "{name}: statements cached on the first call, none prepared on the second"
        );
    }
}

/// Records `(name, queries)` of one call, unwrapping its result.
macro_rules! measure {
    ($log:ident, $name:literal, $call:expr) => {{
        let (n, out) = count($call).await;
        $log.push(($name, n));
        out.unwrap()
    }};
}

async fn every_method_costs_what_the_docs_say(r: Repositories) {
    let mut log: Vec<(&str, usize)> = Vec::new();
    let alice = measure!(
        log,
        "create",
        r.users.create(new_user("alice", "alice@example.com"))
    );
    let (bob, carol) = (user(&r, "bob").await, user(&r, "carol").await);
    measure!(log, "get", r.users.get(alice.id));
    measure!(log, "find_by_login", r.users.find_by_login("ALICE"));
    let email = Email::parse("alice2@example.com").unwrap();
    let update = ProfileUpdate {
        email: Some(email),
        ..Default::default()
    };
    measure!(
        log,
        "update_profile",
        r.users.update_profile(alice.id, update)
    );
    measure!(log, "set_password", r.users.set_password(alice.id, "h"));
    let at = now();
    let session = Session {
        id: "s".into(),
        user_id: alice.id,
        refresh_jti: "j1".into(),
        revoked: false,
        created_at: at,
        expires_at: at + days(1),
    };
    measure!(log, "create_session", r.sessions.create_session(session));
    measure!(log, "session_user", r.sessions.session_user("s", at));
    measure!(
        log,
        "rotate (rotated)",
        r.sessions.rotate("s", "j1", "j2", at, at + days(2))
    );
    measure!(
        log,
        "rotate (reused)",
        r.sessions.rotate("s", "j1", "j3", at, at + days(2))
    );
    measure!(
        log,
        "revoke_user_sessions",
        r.sessions.revoke_user_sessions(alice.id)
    );

    let created = measure!(
        log,
        "create_event",
        r.events
            .create_event(new_event("E", at + days(7)), alice.id, at)
    );
    let id = created.event.id;
    let cap = |n| EventChanges {
        max_participants: Some(Some(capacity(n))),
        ..Default::default()
    };
    r.events
        .update_event(id, cap(2), alice.id, at)
        .await
        .unwrap();
    measure!(
        log,
        "join_event (new)",
        r.events.join_event(id, bob.id, now())
    );
    measure!(
        log,
        "join_event (waitlisted)",
        r.events.join_event(id, carol.id, now())
    );
    measure!(
        log,
        "join_event (again)",
        r.events.join_event(id, carol.id, now())
    );
    measure!(
        log,
        "get_event (waitlisted viewer)",
        r.events.get_event(id, Some(carol.id))
    );
    let (view, promoted) = measure!(
        log,
        "update_event (promotes)",
        r.events.update_event(id, cap(3), alice.id, now())
    );
    assert_eq!(
        (view.going, view.waitlisted, promoted),
        (3, 0, vec![carol.id])
    );
    r.events
        .update_event(id, cap(2), alice.id, now())
        .await
        .unwrap_err();
    let mut task = new_task(id, "T");
    task.assignee_id = Some(bob.id);
    let task = measure!(
        log,
        "create_task",
        r.tasks.create_task(task, alice.id, now())
    );
    let reassign = TaskChanges {
        assignee_id: Some(Some(carol.id)),
        ..Default::default()
    };
    let updated = measure!(
        log,
        "update_task",
        r.tasks.update_task(task.task.id, reassign, now())
    );
    assert_eq!(updated.assignee.map(|u| u.id), Some(carol.id));
    let dave = user(&r, "dave").await;
    r.events.join_event(id, dave.id, now()).await.unwrap();
    measure!(
        log,
        "leave_event (promotes)",
        r.events.leave_event(id, bob.id)
    );

    let created = measure!(
        log,
        "create_poll",
        r.polls
            .create_poll(new_poll(id, "P", &["a", "b"]), alice.id, now())
    );
    let p = created.poll.id;
    let a = created.options[0].0.id;
    measure!(
        log,
        "cast_vote",
        r.polls.cast_vote(p, carol.id, &[a], now())
    );
    measure!(log, "poll_voters", r.polls.poll_voters(p));
    measure!(
        log,
        "retract_vote",
        r.polls.retract_vote(p, carol.id, now())
    );
    let replace = PollChanges {
        options: Some(PollOptions::parse(&["x", "y"]).unwrap()),
        ..Default::default()
    };
    let replaced = measure!(
        log,
        "update_poll (options)",
        r.polls.update_poll(p, replace, alice.id, now())
    );
    let texts: Vec<&str> = replaced
        .options
        .iter()
        .map(|(o, _)| o.text.as_str())
        .collect();
    assert_eq!(texts, ["x", "y"]);
    measure!(log, "close_poll", r.polls.close_poll(p, alice.id, now()));
    measure!(log, "delete_poll", r.polls.delete_poll(p));
    measure!(log, "delete_task", r.tasks.delete_task(task.task.id));
    measure!(log, "delete_event", r.events.delete_event(id));
    measure!(log, "ping", r.health.ping());

    let documented = [
        ("create", 3),
        ("get", 1),
        ("find_by_login", 1),
        ("update_profile", 3),
        ("set_password", 1),
        ("create_session", 1),
        ("session_user", 1),
        ("rotate (rotated)", 1),
        ("rotate (reused)", 2),
        ("revoke_user_sessions", 1),
        ("create_event", 3),
        ("join_event (new)", 4),
        ("join_event (waitlisted)", 4),
        ("join_event (again)", 3),
        ("get_event (waitlisted viewer)", 1),
        ("update_event (promotes)", 6),
        ("create_task", 4),
        ("update_task", 4),
        ("leave_event (promotes)", 7),
        ("create_poll", 4),
        ("cast_vote", 4),
        ("poll_voters", 1),
        ("retract_vote", 2),
        ("update_poll (options)", 6),
        ("close_poll", 3),
        ("delete_poll", 1),
        ("delete_task", 1),
        ("delete_event", 1),
        ("ping", 1),
    ];
    assert_eq!(log, documented);
}
