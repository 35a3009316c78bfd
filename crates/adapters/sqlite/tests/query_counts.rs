//! No N+1: the statements each method sends, counted through diesel's
//! instrumentation, do not grow with the page size, and match the table in
//! the crate documentation. One test in this binary, since the counter is
//! global.

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
use gatherhub_domain::{EventId, PageRequest, TaskId};
use gatherhub_ports::{
    EventFilter, EventQuery, PollQuery, ProfileUpdate, Repositories, Session, TaskFilter,
    TaskOrdering, TaskQuery,
};
use gatherhub_sqlite::SqliteStore;
use gatherhub_testkit::fixtures::*;

static QUERIES: AtomicUsize = AtomicUsize::new(0);

/// Counts every statement but transaction control and connection set-up.
fn counting() -> Option<Box<dyn diesel::connection::Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
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
    }))
}

async fn count<T>(call: impl Future<Output = T>) -> (usize, T) {
    QUERIES.store(0, Ordering::SeqCst);
    let out = call.await;
    (QUERIES.load(Ordering::SeqCst), out)
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

async fn fresh() -> Repositories {
    let store = SqliteStore::open_temporary().await.unwrap();
    store.migrate().await.unwrap();
    Repositories::from_store(Arc::new(store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_per_call_are_fixed_and_documented() {
    set_default_instrumentation(counting).unwrap();
    list_pages_cost_a_fixed_number_of_queries(fresh().await).await;
    every_method_costs_what_the_docs_say(fresh().await).await;
}

async fn list_pages_cost_a_fixed_number_of_queries(r: Repositories) {
    let alice = user(&r, "alice").await;
    let crowd = users(&r, "member", 3).await;
    let viewer = actor(&crowd[2]);
    for i in 0..30 {
        let id = event(&r, &alice, Some(3)).await.event.id;
        join_all(&r, id, &crowd.iter().collect::<Vec<_>>()).await; // member2 waits
        let mut task = new_task(id, &format!("Task {i}"));
        task.assignee_id = Some(crowd[0].id);
        r.tasks.create_task(task, alice.id, now()).await.unwrap();
        let p = poll(&r, id, &alice).await;
        let option = p.options[0].0.id;
        r.polls
            .cast_vote(p.poll.id, crowd[2].id, &[option], now())
            .await
            .unwrap();
    }
    let small = page(1, 1);
    let large = page(1, 30);

    let (one, page_one) = count(r.events.list_events(events_query(viewer, small))).await;
    let (many, page_many) = count(r.events.list_events(events_query(viewer, large))).await;
    assert_eq!(
        (
            page_one.unwrap().items.len(),
            page_many.unwrap().items.len()
        ),
        (1, 30)
    );
    assert_eq!((one, many), (6, 6), "list_events");

    let tasks = |p| TaskQuery {
        actor: actor(&alice),
        filter: TaskFilter::default(),
        ordering: TaskOrdering::DueDate,
        page: p,
    };
    let (one, _) = count(r.tasks.list_tasks(tasks(small))).await;
    let (many, listed) = count(r.tasks.list_tasks(tasks(large))).await;
    assert_eq!(listed.unwrap().items.len(), 30);
    assert_eq!((one, many), (3, 3), "list_tasks");

    let polls = |p| PollQuery {
        viewer: Some(viewer),
        event: None,
        is_open: Some(true),
        ordering: Default::default(),
        page: p,
        now: now(),
    };
    let (one, _) = count(r.polls.list_polls(polls(small))).await;
    let (many, listed) = count(r.polls.list_polls(polls(large))).await;
    let listed = listed.unwrap();
    assert_eq!(listed.items.len(), 30);
    assert!(
        listed
            .items
            .iter()
            .all(|v| v.my_votes.len() == 1 && v.total_voters == 1)
    );
    assert_eq!((one, many), (6, 6), "list_polls");

    let id = page_many_first_event(&r, viewer).await;
    let (n, members) = count(r.events.list_members(id, all())).await;
    assert_eq!((n, members.unwrap().items.len()), (3, 4), "list_members");
    let (n, view) = count(r.events.get_event(id, Some(crowd[2].id))).await;
    assert_eq!(
        view.unwrap().unwrap().membership.unwrap().waitlist_position,
        Some(1)
    );
    assert_eq!(n, 5, "get_event of a waitlisted viewer");
    let (n, _) = count(r.polls.get_poll(listed.items[0].poll.id, Some(crowd[2].id))).await;
    assert_eq!(n, 5, "get_poll");
    let (n, _) = count(r.tasks.get_task(TaskId(1))).await;
    assert_eq!(n, 2, "get_task");
}

async fn page_many_first_event(r: &Repositories, viewer: Actor) -> EventId {
    let page = r
        .events
        .list_events(events_query(viewer, page(1, 1)))
        .await
        .unwrap();
    page.items[0].event.id
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
    measure!(
        log,
        "update_event (promotes)",
        r.events.update_event(id, cap(3), alice.id, now())
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
    measure!(
        log,
        "update_task",
        r.tasks.update_task(task.task.id, reassign, now())
    );
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
    measure!(
        log,
        "update_poll (options)",
        r.polls.update_poll(p, replace, alice.id, now())
    );
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
        ("get_event (waitlisted viewer)", 5),
        ("update_event (promotes)", 8),
        ("create_task", 4),
        ("update_task", 4),
        ("leave_event (promotes)", 7),
        ("create_poll", 4),
        ("cast_vote", 4),
        ("poll_voters", 2),
        ("retract_vote", 2),
        ("update_poll (options)", 9),
        ("close_poll", 6),
        ("delete_poll", 1),
        ("delete_task", 1),
        ("delete_event", 1),
        ("ping", 1),
    ];
    assert_eq!(log, documented);
}
