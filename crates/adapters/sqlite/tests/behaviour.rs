//! SQLite-specific behaviour: the racing contracts repeated, two stores on
//! one file (as two processes), search and title order compared with the
//! in-memory store, the invariants the schema itself enforces, and poll
//! options through the views' JSON.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use std::sync::Arc;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use gatherhub_domain::event::{EventDescription, Location, NewEvent};
use gatherhub_domain::membership::MemberStatus;
use gatherhub_domain::{EventId, UserId};
use gatherhub_memory::MemoryStore;
use gatherhub_ports::{EventFilter, EventOrdering, EventQuery, Repositories};
use gatherhub_sqlite::SqliteStore;
use gatherhub_testkit::contracts::{concurrency, sessions, users, votes};
use gatherhub_testkit::fixtures::*;
use gatherhub_testkit::run_contract;

async fn fresh() -> Repositories {
    let store = SqliteStore::open_temporary().await.unwrap();
    store.migrate().await.unwrap();
    Repositories::from_store(Arc::new(store))
}

/// Every racing contract unwraps each call, so a `SQLITE_BUSY` (or any
/// error) surfacing under contention fails the run.
#[test]
fn racing_contracts_repeated_without_busy_errors() {
    for _ in 0..5 {
        run_contract(fresh, concurrency::join_concurrent_at_capacity);
        run_contract(fresh, concurrency::join_same_user_concurrently_once);
        run_contract(fresh, concurrency::join_leave_storm_keeps_invariants);
        run_contract(fresh, votes::poll_concurrent_votes_same_user_count_once);
        run_contract(fresh, votes::poll_concurrent_votes_many_users);
        run_contract(fresh, sessions::session_concurrent_rotation_one_wins);
        run_contract(fresh, users::user_concurrent_creations_one_wins);
    }
}

/// Two stores on one file are two writers competing for SQLite's lock, as
/// two server processes would: `BEGIN IMMEDIATE` and the busy timeout keep
/// the capacity exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_keep_capacity() {
    let first = SqliteStore::open_temporary().await.unwrap();
    first.migrate().await.unwrap();
    let second = SqliteStore::open(first.path().unwrap().to_str().unwrap())
        .await
        .unwrap();
    let (a, b) = (
        Repositories::from_store(Arc::new(first)),
        Repositories::from_store(Arc::new(second)),
    );
    let alice = user(&a, "alice").await;
    let joiners: Vec<UserId> = users(&a, "joiner", 30).await.iter().map(|u| u.id).collect();
    let id = event(&a, &alice, Some(10)).await.event.id;
    let stores = [a.clone(), b.clone()];
    let outcomes = concurrently(30, move |i| {
        let (r, user) = (stores[i % 2].clone(), joiners[i]);
        async move { r.events.join_event(id, user, now()).await.unwrap() }
    })
    .await;
    let going = outcomes
        .iter()
        .filter(|j| j.membership.status == MemberStatus::Going)
        .count();
    assert_eq!(going, 9);
    let mut positions: Vec<u32> = outcomes
        .iter()
        .filter_map(|j| j.membership.waitlist_position)
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=21).collect::<Vec<u32>>());
    let view = b.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!((view.going, view.waitlisted), (10, 21));
}

/// Creates events titled `titles` (descriptions and locations empty) and
/// returns the titles listed with `filter` and `ordering`.
async fn listed_titles(
    repos: &Repositories,
    titles: &[&str],
    filter: EventFilter,
    ordering: EventOrdering,
) -> Vec<String> {
    let alice = user(repos, "alice").await;
    let at = now();
    for title in titles {
        let event = NewEvent {
            description: EventDescription::parse("").unwrap(),
            location: Location::parse("").unwrap(),
            ..new_event(title, at + days(1))
        };
        repos
            .events
            .create_event(event, alice.id, at)
            .await
            .unwrap();
    }
    let query = EventQuery {
        viewer: None,
        filter,
        ordering,
        page: all(),
        now: at,
    };
    let page = repos.events.list_events(query).await.unwrap();
    page.items.into_iter().map(|v| v.event.title).collect()
}

async fn both(titles: &[&str], filter: EventFilter, ordering: EventOrdering) -> Vec<String> {
    let memory = Repositories::from_store(Arc::new(MemoryStore::new()));
    let expected = listed_titles(&memory, titles, filter.clone(), ordering).await;
    let sqlite = listed_titles(&fresh().await, titles, filter, ordering).await;
    assert_eq!(sqlite, expected, "SQLite and the in-memory store agree");
    sqlite
}

const TITLES: &[&str] = &[
    "Fête d'été",
    "100% fun",
    "a_b meetup",
    "ab meetup",
    "Banana",
    "Éclair",
    "apple",
    "zebra",
];

fn search(needle: &str) -> EventFilter {
    EventFilter {
        search: Some(needle.to_owned()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_folds_unicode_and_takes_wildcards_literally() {
    let date = EventOrdering::CreatedAt;
    assert_eq!(both(TITLES, search("ÉTÉ"), date).await, vec!["Fête d'été"]);
    assert_eq!(both(TITLES, search("FÊTE"), date).await, vec!["Fête d'été"]);
    assert_eq!(both(TITLES, search("%"), date).await, vec!["100% fun"]);
    assert_eq!(both(TITLES, search("_"), date).await, vec!["a_b meetup"]);
    assert_eq!(both(TITLES, search("A_B"), date).await, vec!["a_b meetup"]);
    assert_eq!(
        both(TITLES, search("MEETUP"), date).await,
        vec!["a_b meetup", "ab meetup"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn titles_sort_byte_wise_like_the_memory_store() {
    let mut expected: Vec<&str> = TITLES.to_vec();
    expected.sort_unstable();
    assert_eq!(
        both(TITLES, EventFilter::default(), EventOrdering::Title).await,
        expected
    );
    expected.reverse();
    assert_eq!(
        both(TITLES, EventFilter::default(), EventOrdering::TitleDesc).await,
        expected
    );
}

/// The schema refuses what the adapter's own checks refuse, so a bug (or a
/// hand-made change) cannot break the invariants either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_enforces_the_invariants() {
    let store = SqliteStore::open_temporary().await.unwrap();
    store.migrate().await.unwrap();
    let path = store.path().unwrap().to_str().unwrap().to_owned();
    let r = Repositories::from_store(Arc::new(store));
    let alice = user(&r, "alice").await;
    let bob = user(&r, "bob").await;
    let event_id: EventId = event(&r, &alice, None).await.event.id;
    let p1 = poll(&r, event_id, &alice).await;
    let p2 = poll(&r, event_id, &alice).await;
    let (e, a, b) = (event_id.get(), alice.id.get(), bob.id.get());
    let (q1, foreign) = (p1.poll.id.get(), p2.options[0].0.id.get());
    let own = p1.options[0].0.id.get();

    let mut raw = diesel::SqliteConnection::establish(&path).unwrap();
    raw.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
        .unwrap();
    let refused = [
        // An option of another poll.
        format!("INSERT INTO votes (poll_id, option_id, user_id, created_at) VALUES ({q1}, {foreign}, {b}, 0)"),
        // The same option twice for one user.
        format!(
            "INSERT INTO votes (poll_id, option_id, user_id, created_at) VALUES ({q1}, {own}, {b}, 0), ({q1}, {own}, {b}, 0)"
        ),
        // A second membership, and a second organizer.
        format!("INSERT INTO memberships VALUES ({e}, {a}, 'member', 'going', 9, 0)"),
        format!("INSERT INTO memberships VALUES ({e}, {b}, 'organizer', 'going', 9, 0)"),
        // A waitlisted organizer; an unknown status.
        format!("UPDATE memberships SET status = 'waitlisted' WHERE event_id = {e} AND user_id = {a}"),
        format!("INSERT INTO memberships VALUES ({e}, {b}, 'member', 'maybe', 9, 0)"),
        // Capacity out of range; an end before the start.
        format!("UPDATE events SET max_participants = 0 WHERE id = {e}"),
        format!("UPDATE events SET end_date = date - 1 WHERE id = {e}"),
        // Unknown enum values.
        format!("UPDATE events SET visibility = 'secret' WHERE id = {e}"),
        format!("INSERT INTO tasks (event_id, title, priority, created_by, created_at, updated_at) VALUES ({e}, 't', 7, {a}, 0, 0)"),
        // Done without a completion time.
        format!("INSERT INTO tasks (event_id, title, status, created_by, created_at, updated_at) VALUES ({e}, 't', 'done', {a}, 0, 0)"),
        // A username or email differing only in case.
        "INSERT INTO users (username, email, password_hash, date_joined) VALUES ('ALICE', 'x@example.com', 'h', 0)".to_owned(),
        "INSERT INTO users (username, email, password_hash, date_joined) VALUES ('x', 'Alice@Example.com', 'h', 0)".to_owned(),
        // A vote of a user that does not exist.
        format!("INSERT INTO votes (poll_id, option_id, user_id, created_at) VALUES ({q1}, {own}, 999999, 0)"),
    ];
    for sql in &refused {
        assert!(
            raw.batch_execute(sql).is_err(),
            "the schema accepted: {sql}"
        );
    }
    // Deleting the event takes everything inside it.
    raw.batch_execute(&format!(
        "INSERT INTO votes (poll_id, option_id, user_id, created_at) VALUES ({q1}, {own}, {b}, 0); DELETE FROM events WHERE id = {e};"
    ))
    .unwrap();
    for table in ["memberships", "polls", "poll_options", "votes", "tasks"] {
        let count: i64 = diesel::RunQueryDsl::get_result(
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                "(SELECT count(*) FROM {table})"
            ))),
            &mut raw,
        )
        .unwrap();
        assert_eq!(count, 0, "{table} rows outlived their event");
    }
}

/// A poll view's options travel as one JSON array built by SQLite: texts
/// with quotes, backslashes, control characters and non-ASCII survive it
/// exactly, in position order, in the detail and in a list page alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_options_round_trip_through_the_json_view() {
    let r = fresh().await;
    let alice = user(&r, "alice").await;
    let id = event(&r, &alice, None).await.event.id;
    let texts = [
        "say \"hi\"",
        r"back\slash",
        "tab\tand\nnewline",
        "Fête d'été 🎉",
        "[1, \"x\"]",
    ];
    let created = r
        .polls
        .create_poll(new_poll(id, "P", &texts), alice.id, now())
        .await
        .unwrap();
    let chosen = created.options[3].0.id;
    r.polls
        .cast_vote(created.poll.id, alice.id, &[chosen], now())
        .await
        .unwrap();
    let view = r
        .polls
        .get_poll(created.poll.id, Some(alice.id))
        .await
        .unwrap()
        .unwrap();
    let listed = r
        .polls
        .list_polls(gatherhub_ports::PollQuery {
            viewer: Some(actor(&alice)),
            event: Some(id),
            is_open: None,
            ordering: Default::default(),
            page: all(),
            now: now(),
        })
        .await
        .unwrap();
    for view in [view, listed.items.into_iter().next().unwrap()] {
        let got: Vec<(&str, i32, u64)> = view
            .options
            .iter()
            .map(|(o, votes)| (o.text.as_str(), o.position, *votes))
            .collect();
        let expected: Vec<(&str, i32, u64)> = texts
            .iter()
            .zip(0..)
            .map(|(text, position)| (*text, position, u64::from(position == 3)))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(view.my_votes, vec![chosen]);
        assert_eq!(view.total_voters, 1);
    }
}
