//! Listing events: who sees what, every filter, every ordering, bad filters.

use chrono::{Duration, SecondsFormat};
use gatherhub_app::Actor;
use gatherhub_app::events::{EventInput, EventListInput};
use gatherhub_domain::{EventId, PageRequest};

use crate::support::{Harness, fields, messages};

async fn titles(h: &Harness, viewer: Option<&Actor>, input: EventListInput) -> Vec<String> {
    let page = h.events.list(viewer, input).await.unwrap();
    assert_eq!(
        page.total as usize,
        page.items.len(),
        "one page holds the whole test list"
    );
    page.items.into_iter().map(|v| v.event.title).collect()
}

fn query() -> EventListInput {
    EventListInput::default()
}

/// alice: "Alpha" (public, tomorrow), "Bravo" (private, in 3 days);
/// bob: "Charlie" (public, in 2 days, in the "Harbour"), bob joined Alpha.
async fn three_events(h: &Harness) -> (Actor, Actor, [EventId; 3]) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let alpha = h.public(&alice, "Alpha").await;
    h.clock.advance(Duration::seconds(1));
    let bravo = EventInput {
        visibility: Some("private".into()),
        date: Some(h.now() + Duration::days(3)),
        description: Some("Board games".into()),
        ..h.input("Bravo")
    };
    let bravo = h.event(&alice, bravo).await.event.id;
    h.clock.advance(Duration::seconds(1));
    let charlie = EventInput {
        date: Some(h.now() + Duration::days(2)),
        location: Some("Harbour".into()),
        ..h.input("Charlie")
    };
    let charlie = h.event(&bob, charlie).await.event.id;
    h.events.join(&bob, alpha).await.unwrap();
    (alice, bob, [alpha, bravo, charlie])
}

#[tokio::test]
async fn everyone_sees_public_events_members_their_private_ones_staff_all() {
    let h = Harness::new();
    let (alice, bob, _) = three_events(&h).await;
    let mod_ = h.staff("mod").await;
    let carol = h.user("carol").await;
    assert_eq!(titles(&h, None, query()).await, ["Charlie", "Alpha"]);
    assert_eq!(titles(&h, Some(&bob), query()).await, ["Charlie", "Alpha"]);
    assert_eq!(
        titles(&h, Some(&carol), query()).await,
        ["Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&alice), query()).await,
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&mod_), query()).await,
        ["Charlie", "Bravo", "Alpha"]
    );
    let private = EventListInput {
        visibility: Some("private".into()),
        ..query()
    };
    assert!(titles(&h, Some(&carol), private.clone()).await.is_empty());
    assert_eq!(titles(&h, Some(&alice), private).await, ["Bravo"]);
}

#[tokio::test]
async fn list_items_carry_the_viewers_membership() {
    let h = Harness::new();
    let (_, bob, [alpha, ..]) = three_events(&h).await;
    let page = h.events.list(Some(&bob), query()).await.unwrap();
    let alpha = page.items.iter().find(|v| v.event.id == alpha).unwrap();
    assert!(alpha.membership.is_some());
    assert_eq!(alpha.going, 2);
}

#[tokio::test]
async fn every_ordering() {
    let h = Harness::new();
    let (alice, _, _) = three_events(&h).await;
    let ordered = |o: &str| EventListInput {
        ordering: Some(o.to_owned()),
        ..query()
    };
    assert_eq!(
        titles(&h, Some(&alice), ordered("date")).await,
        ["Alpha", "Charlie", "Bravo"]
    );
    assert_eq!(
        titles(&h, Some(&alice), ordered("-date")).await,
        ["Bravo", "Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&alice), ordered("created_at")).await,
        ["Alpha", "Bravo", "Charlie"]
    );
    assert_eq!(
        titles(&h, Some(&alice), ordered("-created_at")).await,
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&alice), ordered("title")).await,
        ["Alpha", "Bravo", "Charlie"]
    );
    assert_eq!(
        titles(&h, Some(&alice), ordered("-title")).await,
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&alice), ordered("")).await,
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        fields(h.events.list(None, ordered("location")).await),
        ["ordering"]
    );
}

#[tokio::test]
async fn search_is_case_insensitive_over_title_description_and_location() {
    let h = Harness::new();
    let (alice, _, _) = three_events(&h).await;
    let search = |s: &str| EventListInput {
        search: Some(s.to_owned()),
        ..query()
    };
    assert_eq!(titles(&h, Some(&alice), search("ALPH")).await, ["Alpha"]);
    assert_eq!(titles(&h, Some(&alice), search("board")).await, ["Bravo"]);
    assert_eq!(titles(&h, Some(&alice), search("harb")).await, ["Charlie"]);
    assert!(
        titles(&h, None, search("board")).await.is_empty(),
        "private events stay hidden"
    );
    assert_eq!(
        titles(&h, None, search("  ")).await.len(),
        2,
        "a blank search is no filter"
    );
}

#[tokio::test]
async fn filters_by_status_organizer_and_membership() {
    let h = Harness::new();
    let (alice, bob, [_, bravo, _]) = three_events(&h).await;
    let cancel = EventInput {
        status: Some("cancelled".into()),
        ..EventInput::default()
    };
    h.events.update(&alice, bravo, cancel, true).await.unwrap();
    let status = |s: &str| EventListInput {
        status: Some(s.to_owned()),
        ..query()
    };
    assert_eq!(
        titles(&h, Some(&alice), status("cancelled")).await,
        ["Bravo"]
    );
    assert_eq!(
        titles(&h, Some(&alice), status("upcoming")).await,
        ["Charlie", "Alpha"]
    );
    assert!(
        titles(&h, Some(&alice), status("completed"))
            .await
            .is_empty()
    );
    h.clock.advance(Duration::hours(36));
    assert_eq!(
        titles(&h, Some(&alice), status("completed")).await,
        ["Alpha"]
    );

    let organizer = EventListInput {
        organizer: Some(bob.user_id.to_string()),
        ..query()
    };
    assert_eq!(titles(&h, None, organizer).await, ["Charlie"]);
    let joined = |v: &str| EventListInput {
        joined: Some(v.to_owned()),
        ..query()
    };
    assert_eq!(
        titles(&h, Some(&bob), joined("true")).await,
        ["Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&bob), joined("1")).await,
        ["Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&alice), joined("TRUE")).await,
        ["Bravo", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&bob), joined("false")).await,
        ["Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&h, Some(&bob), joined("0")).await,
        ["Charlie", "Alpha"]
    );
    let anonymous = h.events.list(None, joined("true")).await.unwrap();
    assert_eq!((anonymous.total, anonymous.items.len()), (0, 0));
}

#[tokio::test]
async fn filters_by_date_range_with_any_offset() {
    let h = Harness::new();
    let (alice, _, _) = three_events(&h).await;
    let at = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&chrono::FixedOffset::east_opt(5 * 3600).unwrap())
            .to_rfc3339_opts(SecondsFormat::Micros, false)
    };
    let from = EventListInput {
        date_from: Some(at(h.now() + Duration::hours(36))),
        ..query()
    };
    assert_eq!(titles(&h, Some(&alice), from).await, ["Charlie", "Bravo"]);
    let to = EventListInput {
        date_to: Some(at(h.now() + Duration::hours(60))),
        ..query()
    };
    assert_eq!(titles(&h, Some(&alice), to).await, ["Charlie", "Alpha"]);
    let both = EventListInput {
        date_from: Some(at(h.now() + Duration::hours(36))),
        date_to: Some(at(h.now() + Duration::hours(60))),
        ..query()
    };
    assert_eq!(titles(&h, Some(&alice), both).await, ["Charlie"]);
    // A plain day as the upper bound takes in the whole day.
    let day = (h.now() + Duration::days(3)).format("%Y-%m-%d").to_string();
    let to_day = EventListInput {
        date_to: Some(day),
        ..query()
    };
    assert_eq!(
        titles(&h, Some(&alice), to_day).await,
        ["Charlie", "Bravo", "Alpha"]
    );
}

#[tokio::test]
async fn bad_filters_are_field_errors_all_at_once() {
    let h = Harness::new();
    let input = EventListInput {
        status: Some("soon".into()),
        visibility: Some("hidden".into()),
        organizer: Some("bob".into()),
        joined: Some("maybe".into()),
        date_from: Some("tomorrow".into()),
        date_to: Some("2024-13-40".into()),
        ordering: Some("?".into()),
        ..query()
    };
    assert_eq!(
        fields(h.events.list(None, input).await),
        [
            "date_from",
            "date_to",
            "joined",
            "ordering",
            "organizer",
            "status",
            "visibility"
        ]
    );
    let zero = EventListInput {
        organizer: Some("0".into()),
        ..query()
    };
    assert_eq!(
        messages(h.events.list(None, zero).await, "organizer"),
        ["Ensure this value is greater than or equal to 1."]
    );
}

#[tokio::test]
async fn pages_split_the_list_without_overlap() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    for i in 0..5 {
        h.public(&alice, &format!("E{i}")).await;
    }
    let page = |n| EventListInput {
        page: PageRequest::new(Some(n), Some(2)).unwrap(),
        ordering: Some("title".into()),
        ..query()
    };
    let first = h.events.list(None, page(1)).await.unwrap();
    assert_eq!(first.total, 5);
    assert_eq!(
        first
            .items
            .iter()
            .map(|v| v.event.title.as_str())
            .collect::<Vec<_>>(),
        ["E0", "E1"]
    );
    let last = h.events.list(None, page(3)).await.unwrap();
    assert_eq!(
        last.items
            .iter()
            .map(|v| v.event.title.as_str())
            .collect::<Vec<_>>(),
        ["E4"]
    );
    let past = h.events.list(None, page(4)).await.unwrap();
    assert_eq!((past.total, past.items.len()), (5, 0));
}
