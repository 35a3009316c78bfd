//! `PollRepo::list_polls`: polls of the events a viewer may see, the filters,
//! every ordering with ties broken by id, and pagination.

use chrono::{DateTime, Utc};
use gatherhub_domain::poll::NewPoll;
use gatherhub_domain::user::User;
use gatherhub_domain::{EventId, PollId};
use gatherhub_ports::{PollOrdering, PollQuery, Repositories};

use crate::fixtures::*;

fn query(viewer: Option<&User>, at: DateTime<Utc>) -> PollQuery {
    PollQuery {
        viewer: viewer.map(actor),
        event: None,
        is_open: None,
        ordering: PollOrdering::CreatedAt,
        page: all(),
        now: at,
    }
}

async fn ids(repos: &Repositories, query: PollQuery) -> Vec<PollId> {
    let page = repos.polls.list_polls(query).await.unwrap();
    assert_eq!(
        page.total,
        page.items.len() as u64,
        "every test list fits one page"
    );
    page.items.into_iter().map(|v| v.poll.id).collect()
}

async fn create(repos: &Repositories, poll: NewPoll, by: &User, at: DateTime<Utc>) -> PollId {
    repos
        .polls
        .create_poll(poll, by.id, at)
        .await
        .unwrap()
        .poll
        .id
}

pub async fn list_polls_visibility_and_filters(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol, dave) = (
        user(&repos, "bob").await,
        user(&repos, "carol").await,
        user(&repos, "dave").await,
    );
    let root = staff(&repos, "root").await;
    let public = event(&repos, &alice, None).await.event.id;
    let private = private_event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, private, &[&carol, &dave]).await; // dave waitlisted
    let base = now();
    let p1 = create(
        &repos,
        new_poll(public, "Public", &["a", "b"]),
        &alice,
        base,
    )
    .await;
    let ends = NewPoll {
        ends_at: Some(base + hours(1)),
        ..new_poll(public, "Ends soon", &["a", "b"])
    };
    let p2 = create(&repos, ends, &alice, base).await;
    let q1 = create(
        &repos,
        new_poll(private, "Private", &["a", "b"]),
        &carol,
        base,
    )
    .await;
    repos.polls.close_poll(q1, carol.id, base).await.unwrap();

    assert_eq!(ids(&repos, query(None, base)).await, vec![p1, p2]);
    assert_eq!(ids(&repos, query(Some(&bob), base)).await, vec![p1, p2]);
    for viewer in [&alice, &carol, &dave, &root] {
        assert_eq!(
            ids(&repos, query(Some(viewer), base)).await,
            vec![p1, p2, q1],
            "{}",
            viewer.username
        );
    }

    let in_event = |viewer, event: EventId| PollQuery {
        event: Some(event),
        ..query(viewer, base)
    };
    assert_eq!(ids(&repos, in_event(Some(&carol), private)).await, vec![q1]);
    assert_eq!(
        ids(&repos, in_event(Some(&carol), public)).await,
        vec![p1, p2]
    );
    assert_eq!(
        ids(&repos, in_event(Some(&bob), private)).await,
        vec![],
        "filtering never reveals"
    );

    let open = |viewer, is_open, at| PollQuery {
        is_open: Some(is_open),
        ..query(viewer, at)
    };
    assert_eq!(
        ids(&repos, open(Some(&carol), true, base)).await,
        vec![p1, p2]
    );
    assert_eq!(
        ids(&repos, open(Some(&carol), false, base)).await,
        vec![q1],
        "closed by hand"
    );
    let later = base + hours(1);
    assert_eq!(ids(&repos, open(Some(&carol), true, later)).await, vec![p1]);
    assert_eq!(
        ids(&repos, open(Some(&carol), false, later)).await,
        vec![p2, q1],
        "ended at query.now"
    );
    assert_eq!(ids(&repos, open(None, false, later)).await, vec![p2]);

    // Losing the membership hides the private event's polls again.
    repos.events.leave_event(private, carol.id).await.unwrap();
    assert_eq!(ids(&repos, query(Some(&carol), base)).await, vec![p1, p2]);
    assert_eq!(
        ids(&repos, query(Some(&dave), base)).await,
        vec![p1, p2, q1],
        "dave was promoted"
    );
}

pub async fn list_polls_orderings_and_pagination(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let id = event(&repos, &alice, None).await.event.id;
    let base = now();
    let poll = |title: &str, ends: Option<i64>| NewPoll {
        ends_at: ends.map(|h| base + hours(h)),
        ..new_poll(id, title, &["a", "b"])
    };
    let p1 = create(&repos, poll("Charlie", Some(2)), &alice, base).await;
    let p2 = create(&repos, poll("Alpha", None), &alice, base + secs(1)).await;
    let p3 = create(&repos, poll("Bravo", Some(1)), &alice, base + secs(1)).await;
    let p4 = create(&repos, poll("Alpha", Some(2)), &alice, base + secs(2)).await;
    let p5 = create(&repos, poll("Delta", None), &alice, base + secs(3)).await;
    // Polls without an end sort last both ways, as tasks without a due date do.
    let cases = [
        (PollOrdering::CreatedAt, vec![p1, p2, p3, p4, p5]),
        (PollOrdering::CreatedAtDesc, vec![p5, p4, p3, p2, p1]),
        (PollOrdering::EndsAt, vec![p3, p1, p4, p2, p5]),
        (PollOrdering::EndsAtDesc, vec![p4, p1, p3, p5, p2]),
        (PollOrdering::Title, vec![p2, p4, p3, p1, p5]),
        (PollOrdering::TitleDesc, vec![p5, p1, p3, p4, p2]),
    ];
    for (ordering, expected) in cases {
        let q = PollQuery {
            ordering,
            ..query(Some(&alice), base)
        };
        assert_eq!(ids(&repos, q).await, expected, "{ordering:?}");
    }
    assert_eq!(PollOrdering::default(), PollOrdering::CreatedAtDesc);

    let mut seen = Vec::new();
    for (number, expected_len) in [(1, 2), (2, 2), (3, 1), (4, 0)] {
        let q = PollQuery {
            ordering: PollOrdering::Title,
            page: page(number, 2),
            ..query(None, base)
        };
        let page = repos.polls.list_polls(q).await.unwrap();
        assert_eq!(
            (page.total, page.items.len()),
            (5, expected_len),
            "page {number}"
        );
        seen.extend(page.items.into_iter().map(|v| v.poll.id));
    }
    assert_eq!(
        seen,
        vec![p2, p4, p3, p1, p5],
        "pages neither overlap nor skip"
    );
}
