//! `EventRepo::list_events`: visibility, every filter, every ordering with
//! ties broken by id, and pagination.

use chrono::{DateTime, Utc};
use gatherhub_domain::access::Actor;
use gatherhub_domain::event::{
    EventChanges, EventDescription, EventStatus, Location, NewEvent, Visibility,
};
use gatherhub_domain::membership::MemberStatus;
use gatherhub_domain::user::User;
use gatherhub_domain::{EventId, PageRequest};
use gatherhub_ports::{EventFilter, EventOrdering, EventQuery, Repositories};

use crate::fixtures::*;

fn query(viewer: Option<&User>, filter: EventFilter, at: DateTime<Utc>) -> EventQuery {
    EventQuery {
        viewer: viewer.map(actor),
        filter,
        ordering: EventOrdering::Date,
        page: all(),
        now: at,
    }
}

async fn ids(repos: &Repositories, query: EventQuery) -> Vec<EventId> {
    let page = repos.events.list_events(query).await.unwrap();
    assert!(page.total >= page.items.len() as u64);
    page.items.into_iter().map(|v| v.event.id).collect()
}

async fn create(
    repos: &Repositories,
    organizer: &User,
    event: NewEvent,
    at: DateTime<Utc>,
) -> EventId {
    repos
        .events
        .create_event(event, organizer.id, at)
        .await
        .unwrap()
        .event
        .id
}

pub async fn list_events_visibility(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol, dave) = (
        user(&repos, "bob").await,
        user(&repos, "carol").await,
        user(&repos, "dave").await,
    );
    let root = staff(&repos, "root").await;
    let public = event(&repos, &alice, None).await.event.id;
    let private = private_event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, private, &[&carol, &dave]).await; // carol going, dave waitlisted
    let at = now();
    let all_events = vec![public, private];

    assert_eq!(
        ids(&repos, query(None, EventFilter::default(), at)).await,
        vec![public]
    );
    assert_eq!(
        ids(&repos, query(Some(&bob), EventFilter::default(), at)).await,
        vec![public]
    );
    for member in [&alice, &carol, &dave, &root] {
        let seen = ids(&repos, query(Some(member), EventFilter::default(), at)).await;
        assert_eq!(
            seen, all_events,
            "{} sees the private event",
            member.username
        );
    }
    let page = repos
        .events
        .list_events(query(Some(&bob), EventFilter::default(), at))
        .await
        .unwrap();
    assert_eq!(
        page.total, 1,
        "the count covers only what the viewer may see"
    );

    // Staff status comes from the actor: the repository trusts its caller.
    let as_staff = EventQuery {
        viewer: Some(Actor {
            user_id: bob.id,
            is_staff: true,
        }),
        ..query(None, EventFilter::default(), at)
    };
    assert_eq!(ids(&repos, as_staff).await, all_events);
}

pub async fn list_events_filters(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let base = now();
    let text = |title: &str, description: &str, location: &str, date| NewEvent {
        description: EventDescription::parse(description).unwrap(),
        location: Location::parse(location).unwrap(),
        ..new_event(title, date)
    };
    // At `at` = base + 2 days + 1 hour:
    let completed = create(
        &repos,
        &alice,
        text("Board games", "", "Library", base + days(1)),
        base,
    )
    .await;
    let ongoing = NewEvent {
        end_date: Some(base + days(4)),
        ..text("Hiking trip", "Bring BOARD shoes", "", base + days(2))
    };
    let ongoing = create(&repos, &alice, ongoing, base).await;
    let upcoming = NewEvent {
        visibility: Visibility::Private,
        ..text("Beach day", "", "The Boardwalk", base + days(5))
    };
    let upcoming = create(&repos, &bob, upcoming, base).await;
    let cancelled = create(&repos, &bob, text("Picnic", "", "", base + days(6)), base).await;
    let cancel = EventChanges {
        cancel: true,
        ..Default::default()
    };
    repos
        .events
        .update_event(cancelled, cancel, bob.id, base)
        .await
        .unwrap();
    join_all(&repos, completed, &[&carol]).await;
    join_all(&repos, upcoming, &[&carol]).await;
    let at = base + days(2) + hours(1);
    let everything = vec![completed, ongoing, upcoming, cancelled];
    let filtered = |filter: EventFilter| query(Some(&carol), filter, at);

    assert_eq!(
        ids(&repos, filtered(EventFilter::default())).await,
        everything
    );
    let search = |s: &str| EventFilter {
        search: Some(s.to_owned()),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(search("bOaRd"))).await,
        vec![completed, ongoing, upcoming],
        "title, description and location, ignoring case"
    );
    assert_eq!(
        ids(&repos, filtered(search("nothing like it"))).await,
        Vec::<EventId>::new()
    );

    let status = |s| EventFilter {
        status: Some(s),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(status(EventStatus::Completed))).await,
        vec![completed]
    );
    assert_eq!(
        ids(&repos, filtered(status(EventStatus::Ongoing))).await,
        vec![ongoing]
    );
    assert_eq!(
        ids(&repos, filtered(status(EventStatus::Upcoming))).await,
        vec![upcoming]
    );
    assert_eq!(
        ids(&repos, filtered(status(EventStatus::Cancelled))).await,
        vec![cancelled]
    );
    let later = query(
        Some(&carol),
        status(EventStatus::Completed),
        base + days(30),
    );
    assert_eq!(
        ids(&repos, later).await,
        vec![completed, ongoing, upcoming],
        "status is derived at query.now"
    );

    let visibility = EventFilter {
        visibility: Some(Visibility::Private),
        ..Default::default()
    };
    assert_eq!(ids(&repos, filtered(visibility)).await, vec![upcoming]);
    let organizer = EventFilter {
        organizer: Some(bob.id),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(organizer)).await,
        vec![upcoming, cancelled]
    );
    let joined = EventFilter {
        joined: true,
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(joined.clone())).await,
        vec![completed, upcoming]
    );
    assert_eq!(
        ids(&repos, query(None, joined, at)).await,
        Vec::<EventId>::new(),
        "nobody joined anything"
    );

    let range = EventFilter {
        date_from: Some(base + days(2)),
        date_to: Some(base + days(5)),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(range)).await,
        vec![ongoing, upcoming],
        "both bounds inclusive"
    );
    let combined = EventFilter {
        search: Some("board".into()),
        organizer: Some(alice.id),
        date_from: Some(base + days(1) + secs(1)),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(combined)).await,
        vec![ongoing],
        "filters combine"
    );
}

pub async fn list_events_orderings(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let base = now();
    let made = |title: &str, date_days: i64| new_event(title, base + days(date_days));
    let e1 = create(&repos, &alice, made("Charlie", 2), base).await;
    let e2 = create(&repos, &alice, made("Alpha", 3), base + secs(1)).await;
    let e3 = create(&repos, &alice, made("Bravo", 1), base + secs(2)).await;
    let e4 = create(&repos, &alice, made("Alpha", 3), base + secs(2)).await;
    let ordered = |ordering| EventQuery {
        ordering,
        ..query(None, EventFilter::default(), base)
    };
    let cases = [
        (EventOrdering::Date, vec![e3, e1, e2, e4]),
        (EventOrdering::DateDesc, vec![e4, e2, e1, e3]),
        (EventOrdering::CreatedAt, vec![e1, e2, e3, e4]),
        (EventOrdering::CreatedAtDesc, vec![e4, e3, e2, e1]),
        (EventOrdering::Title, vec![e2, e4, e3, e1]),
        (EventOrdering::TitleDesc, vec![e1, e3, e4, e2]),
    ];
    for (ordering, expected) in cases {
        assert_eq!(
            ids(&repos, ordered(ordering)).await,
            expected,
            "{ordering:?}"
        );
    }
    assert_eq!(EventOrdering::default(), EventOrdering::CreatedAtDesc);
}

pub async fn list_events_pagination(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let at = now();
    let mut created = Vec::new();
    for i in 0..5 {
        // One creation instant for all: only the id tie-breaker orders them.
        created.push(
            create(
                &repos,
                &alice,
                new_event(&format!("Event {i}"), at + days(1)),
                at,
            )
            .await,
        );
    }
    let paged = |p: PageRequest| EventQuery {
        ordering: EventOrdering::CreatedAtDesc,
        page: p,
        ..query(Some(&alice), EventFilter::default(), at)
    };
    let mut seen = Vec::new();
    for (number, expected_len) in [(1, 2), (2, 2), (3, 1), (4, 0)] {
        let page = repos
            .events
            .list_events(paged(page(number, 2)))
            .await
            .unwrap();
        assert_eq!(page.total, 5, "page {number}");
        assert_eq!(page.items.len(), expected_len, "page {number}");
        seen.extend(page.items.into_iter().map(|v| v.event.id));
    }
    created.reverse();
    assert_eq!(seen, created, "pages neither overlap nor skip");
}

pub async fn list_events_views_carry_counts_and_membership(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let id = event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, id, &[&bob, &carol]).await;
    let listed = |viewer: Option<&User>| {
        let q = query(viewer, EventFilter::default(), now());
        let repos = repos.clone();
        async move { repos.events.list_events(q).await.unwrap().items.remove(0) }
    };
    let as_carol = listed(Some(&carol)).await;
    assert_eq!((as_carol.going, as_carol.waitlisted), (2, 1));
    assert_eq!(as_carol.organizer, alice.summary());
    let membership = as_carol.membership.clone().unwrap();
    assert_eq!(
        (membership.status, membership.waitlist_position),
        (MemberStatus::Waitlisted, Some(1))
    );
    assert_eq!(
        Some(as_carol),
        repos.events.get_event(id, Some(carol.id)).await.unwrap(),
        "list and get agree"
    );
    assert_eq!(listed(None).await.membership, None);
    assert_eq!(
        listed(Some(&bob)).await.membership.map(|m| m.status),
        Some(MemberStatus::Going)
    );
}
