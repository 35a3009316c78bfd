//! Changing and deleting events: permissions, PUT and PATCH, dates, status
//! and capacity.

use chrono::Duration;
use gatherhub_app::events::EventInput;
use gatherhub_app::{AppError, ConflictCode};
use gatherhub_domain::event::EventStatus;
use gatherhub_domain::membership::Role;

use crate::support::{Harness, fields, messages};

#[tokio::test]
async fn only_the_organizer_and_staff_change_an_event() {
    let h = Harness::new();
    let (alice, bob, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.staff("mod").await,
    );
    let id = h.public(&alice, "Open").await;
    let patch = EventInput {
        title: Some("Renamed".into()),
        ..EventInput::default()
    };
    assert!(matches!(
        h.events.update(&bob, id, patch.clone(), true).await,
        Err(AppError::Forbidden(_))
    ));
    let updated = h.events.update(&alice, id, patch, true).await.unwrap();
    assert_eq!(updated.view.event.title, "Renamed");
    assert!(updated.promoted.is_empty());
    let by_staff = EventInput {
        location: Some("Hall".into()),
        ..EventInput::default()
    };
    let updated = h
        .events
        .update(&mod_, id, by_staff, true)
        .await
        .unwrap()
        .view;
    assert_eq!(
        (
            updated.event.title.as_str(),
            updated.event.location.as_str()
        ),
        ("Renamed", "Hall")
    );
    assert_eq!(
        updated.event.organizer_id, alice.user_id,
        "staff edits keep the organizer"
    );

    let secret = h.private(&alice, "Secret").await;
    let patch = EventInput {
        title: Some("Mine".into()),
        ..EventInput::default()
    };
    assert!(matches!(
        h.events.update(&bob, secret, patch.clone(), true).await,
        Err(AppError::NotFound("Event"))
    ));
    assert!(h.events.update(&mod_, secret, patch, true).await.is_ok());
}

#[tokio::test]
async fn a_member_of_a_private_event_may_see_but_not_change_it() {
    let h = Harness::new();
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let id = h.private(&alice, "Secret").await;
    h.events
        .add_member(&alice, id, Some("bob".into()))
        .await
        .unwrap();
    let patch = EventInput {
        title: Some("Mine".into()),
        ..EventInput::default()
    };
    assert!(matches!(
        h.events.update(&bob, id, patch, true).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        h.events.delete(&bob, id).await,
        Err(AppError::Forbidden(_))
    ));
}

#[tokio::test]
async fn put_requires_title_and_date_patch_does_not() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let id = h.public(&alice, "Open").await;
    let only_location = EventInput {
        location: Some("Hall".into()),
        ..EventInput::default()
    };
    assert_eq!(
        fields(
            h.events
                .update(&alice, id, only_location.clone(), false)
                .await
        ),
        ["date", "title"]
    );
    assert_eq!(
        h.events.get(None, id).await.unwrap().event.location,
        "",
        "nothing was written"
    );
    assert!(
        h.events
            .update(&alice, id, only_location, true)
            .await
            .is_ok()
    );
    let full = EventInput {
        location: None,
        ..h.input("Full")
    };
    let view = h.events.update(&alice, id, full, false).await.unwrap().view;
    assert_eq!(
        (view.event.title.as_str(), view.event.location.as_str()),
        ("Full", "Hall")
    );
}

#[tokio::test]
async fn update_validates_each_field() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let id = h.public(&alice, "Open").await;
    let bad = EventInput {
        title: Some(String::new()),
        description: Some("d".repeat(10_001)),
        location: Some("l".repeat(256)),
        max_participants: Some(Some(100_001)),
        visibility: Some("hidden".into()),
        status: Some("finished".into()),
        date: Some(h.now() - Duration::days(1)),
        end_date: None,
    };
    assert_eq!(
        fields(h.events.update(&alice, id, bad, true).await),
        [
            "date",
            "description",
            "location",
            "max_participants",
            "status",
            "title",
            "visibility"
        ]
    );
}

#[tokio::test]
async fn end_date_is_checked_against_the_stored_date() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let view = h.event(&alice, h.input("Open")).await;
    let before = EventInput {
        end_date: Some(Some(view.event.date - Duration::hours(1))),
        ..EventInput::default()
    };
    assert_eq!(
        fields(h.events.update(&alice, view.event.id, before, true).await),
        ["end_date"]
    );
    let after = EventInput {
        end_date: Some(Some(view.event.date + Duration::hours(1))),
        ..EventInput::default()
    };
    assert!(
        h.events
            .update(&alice, view.event.id, after, true)
            .await
            .is_ok()
    );
    let cleared = EventInput {
        end_date: Some(None),
        ..EventInput::default()
    };
    let view = h
        .events
        .update(&alice, view.event.id, cleared, true)
        .await
        .unwrap()
        .view;
    assert_eq!(view.event.end_date, None);
}

#[tokio::test]
async fn only_a_changed_date_must_be_in_the_future() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let view = h.event(&alice, h.input("Soon")).await;
    h.clock.advance(Duration::days(2));
    // The event is over; sending its own date back is no change.
    let same = EventInput {
        date: Some(view.event.date),
        title: Some("Renamed".into()),
        ..EventInput::default()
    };
    assert!(
        h.events
            .update(&alice, view.event.id, same, false)
            .await
            .is_ok()
    );
    let moved = EventInput {
        date: Some(view.event.date + Duration::hours(1)),
        ..EventInput::default()
    };
    assert_eq!(
        messages(
            h.events.update(&alice, view.event.id, moved, true).await,
            "date"
        ),
        ["The date must be in the future."]
    );
    let future = EventInput {
        date: Some(h.now() + Duration::days(1)),
        ..EventInput::default()
    };
    let view = h
        .events
        .update(&alice, view.event.id, future, true)
        .await
        .unwrap()
        .view;
    assert_eq!(view.event.status(h.now()), EventStatus::Upcoming);
}

#[tokio::test]
async fn cancelling_is_the_only_status_write() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let bob = h.user("bob").await;
    let id = h.public(&alice, "Open").await;
    let status = |s: &str| EventInput {
        status: Some(s.to_owned()),
        ..EventInput::default()
    };
    assert_eq!(
        fields(h.events.update(&alice, id, status("completed"), true).await),
        ["status"]
    );
    assert_eq!(
        fields(h.events.update(&alice, id, status("nonsense"), true).await),
        ["status"]
    );
    // The current status, sent back unchanged, is accepted as a no-op.
    let same = h
        .events
        .update(&alice, id, status("upcoming"), true)
        .await
        .unwrap()
        .view;
    assert!(!same.event.cancelled);
    assert!(matches!(
        h.events.update(&bob, id, status("cancelled"), true).await,
        Err(AppError::Forbidden(_))
    ));
    let cancelled = h
        .events
        .update(&alice, id, status("cancelled"), true)
        .await
        .unwrap()
        .view;
    assert_eq!(cancelled.event.status(h.now()), EventStatus::Cancelled);
    // There is no way back.
    assert_eq!(
        fields(h.events.update(&alice, id, status("upcoming"), true).await),
        ["status"]
    );
    let join = h.events.join(&bob, id).await;
    assert!(matches!(
        join,
        Err(AppError::Conflict {
            code: ConflictCode::EventClosed,
            ..
        })
    ));
}

#[tokio::test]
async fn updates_never_touch_read_only_state() {
    let h = Harness::new();
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let id = h.public(&alice, "Open").await;
    h.events.join(&bob, id).await.unwrap();
    let before = h.events.get(Some(&alice), id).await.unwrap();
    h.clock.advance(Duration::seconds(5));
    let view = h
        .events
        .update(&alice, id, h.input("Full"), false)
        .await
        .unwrap()
        .view;
    assert_eq!(view.event.id, before.event.id);
    assert_eq!(view.event.organizer_id, alice.user_id);
    assert_eq!(view.event.created_at, before.event.created_at);
    assert_eq!(view.event.updated_at, h.now());
    assert_eq!((view.going, view.waitlisted), (2, 0));
    assert_eq!(view.membership.unwrap().role, Role::Organizer);
}

#[tokio::test]
async fn capacity_cannot_drop_below_going_and_raising_it_promotes() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let id = h.limited(&alice, "Small", 2).await;
    let mut users = Vec::new();
    for name in ["bob", "carol", "dave"] {
        let user = h.user(name).await;
        h.events.join(&user, id).await.unwrap();
        users.push(user);
    }
    let cap = |n: Option<i64>| EventInput {
        max_participants: Some(n),
        ..EventInput::default()
    };
    let lowered = h.events.update(&alice, id, cap(Some(1)), true).await;
    assert_eq!(
        messages(lowered, "max_participants"),
        ["Ensure this value is at least the number of going participants (2)."]
    );
    let raised = h
        .events
        .update(&alice, id, cap(Some(3)), true)
        .await
        .unwrap();
    assert_eq!(raised.promoted, [users[1].user_id]);
    assert_eq!((raised.view.going, raised.view.waitlisted), (3, 1));
    let unlimited = h.events.update(&alice, id, cap(None), true).await.unwrap();
    assert_eq!(unlimited.promoted, [users[2].user_id]);
    assert_eq!((unlimited.view.going, unlimited.view.waitlisted), (4, 0));
}

#[tokio::test]
async fn only_the_organizer_and_staff_delete() {
    let h = Harness::new();
    let (alice, bob, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.staff("mod").await,
    );
    let id = h.public(&alice, "Open").await;
    assert!(matches!(
        h.events.delete(&bob, id).await,
        Err(AppError::Forbidden(_))
    ));
    h.events.delete(&alice, id).await.unwrap();
    assert!(matches!(
        h.events.get(None, id).await,
        Err(AppError::NotFound("Event"))
    ));
    assert!(matches!(
        h.events.delete(&alice, id).await,
        Err(AppError::NotFound("Event"))
    ));

    let secret = h.private(&alice, "Secret").await;
    assert!(matches!(
        h.events.delete(&bob, secret).await,
        Err(AppError::NotFound("Event"))
    ));
    h.events.delete(&mod_, secret).await.unwrap();
    assert!(matches!(
        h.events.get(Some(&mod_), secret).await,
        Err(AppError::NotFound("Event"))
    ));
}
