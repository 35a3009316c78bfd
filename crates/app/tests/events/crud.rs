//! Creating and reading events: validation and visibility.

use chrono::Duration;
use gatherhub_app::AppError;
use gatherhub_app::events::EventInput;
use gatherhub_domain::EventId;
use gatherhub_domain::event::{EventStatus, Visibility};
use gatherhub_domain::membership::{MemberStatus, Role};

use crate::support::{Harness, fields, messages};

#[tokio::test]
async fn the_creator_is_organizer_and_first_going_member() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let date = h.now() + Duration::days(2);
    let input = EventInput {
        title: Some("  Community Meetup ".into()),
        description: Some("Monthly".into()),
        date: Some(date),
        end_date: Some(Some(date + Duration::hours(2))),
        location: Some("Center".into()),
        max_participants: Some(Some(50)),
        visibility: Some("private".into()),
        status: None,
    };
    let view = h.events.create(&alice, input).await.unwrap();
    assert_eq!(view.event.title, "Community Meetup");
    assert_eq!(view.event.organizer_id, alice.user_id);
    assert_eq!(view.organizer.username, "alice");
    assert_eq!(view.event.visibility, Visibility::Private);
    assert_eq!(view.event.max_participants.map(|c| c.get()), Some(50));
    assert_eq!(view.event.end_date, Some(date + Duration::hours(2)));
    assert_eq!((view.going, view.waitlisted), (1, 0));
    let membership = view.membership.unwrap();
    assert_eq!(
        (membership.role, membership.status),
        (Role::Organizer, MemberStatus::Going)
    );
    assert_eq!(view.event.status(h.now()), EventStatus::Upcoming);
}

#[tokio::test]
async fn defaults_are_public_unlimited_and_empty_texts() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let view = h.events.create(&alice, h.input("Meetup")).await.unwrap();
    assert_eq!(view.event.visibility, Visibility::Public);
    assert_eq!(view.event.max_participants, None);
    assert_eq!(
        (
            view.event.description.as_str(),
            view.event.location.as_str()
        ),
        ("", "")
    );
    assert_eq!(view.event.end_date, None);
}

#[tokio::test]
async fn create_requires_title_and_date() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let result = h.events.create(&alice, EventInput::default()).await;
    assert_eq!(fields(result), ["date", "title"]);
    let result = h.events.create(&alice, EventInput::default()).await;
    assert_eq!(messages(result, "title"), ["This field is required."]);
}

#[tokio::test]
async fn create_validates_every_field_at_once() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let input = EventInput {
        title: Some("t".repeat(201)),
        description: Some("d".repeat(10_001)),
        date: Some(h.now() - Duration::minutes(1)),
        end_date: None,
        location: Some("l".repeat(256)),
        max_participants: Some(Some(0)),
        visibility: Some("secret".into()),
        status: Some("cancelled".into()),
    };
    let result = h.events.create(&alice, input).await;
    assert_eq!(
        fields(result),
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
async fn create_field_rules_one_by_one() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let base = h.input("Meetup");
    let blank = EventInput {
        title: Some("   ".into()),
        ..base.clone()
    };
    assert_eq!(
        messages(h.events.create(&alice, blank).await, "title"),
        ["This field may not be blank."]
    );
    let past = EventInput {
        date: Some(h.now()),
        ..base.clone()
    };
    assert_eq!(
        messages(h.events.create(&alice, past).await, "date"),
        ["The date must be in the future."]
    );
    let date = base.date.unwrap();
    let backwards = EventInput {
        end_date: Some(Some(date - Duration::seconds(1))),
        ..base.clone()
    };
    assert_eq!(
        fields(h.events.create(&alice, backwards).await),
        ["end_date"]
    );
    let same = EventInput {
        end_date: Some(Some(date)),
        ..base.clone()
    };
    assert!(h.events.create(&alice, same).await.is_ok());
    for (max, ok) in [
        (0, false),
        (1, true),
        (100_000, true),
        (100_001, false),
        (-3, false),
    ] {
        let input = EventInput {
            max_participants: Some(Some(max)),
            ..base.clone()
        };
        assert_eq!(
            h.events.create(&alice, input).await.is_ok(),
            ok,
            "max_participants {max}"
        );
    }
    let unlimited = EventInput {
        max_participants: Some(None),
        ..base.clone()
    };
    assert_eq!(
        h.events
            .create(&alice, unlimited)
            .await
            .unwrap()
            .event
            .max_participants,
        None
    );
    let title = EventInput {
        title: Some("é".repeat(200)),
        ..base.clone()
    };
    assert!(h.events.create(&alice, title).await.is_ok());
    let status = EventInput {
        status: Some("upcoming".into()),
        ..base
    };
    assert_eq!(fields(h.events.create(&alice, status).await), ["status"]);
}

#[tokio::test]
async fn private_events_are_seen_by_members_and_staff_only() {
    let h = Harness::new();
    let (alice, bob, carol, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
        h.staff("mod").await,
    );
    let id = h.private(&alice, "Secret").await;
    assert!(matches!(
        h.events.get(None, id).await,
        Err(AppError::NotFound("Event"))
    ));
    assert!(matches!(
        h.events.get(Some(&bob), id).await,
        Err(AppError::NotFound("Event"))
    ));
    assert!(h.events.get(Some(&alice), id).await.is_ok());
    assert!(
        h.events
            .get(Some(&mod_), id)
            .await
            .unwrap()
            .membership
            .is_none()
    );
    h.events
        .add_member(&alice, id, Some("carol".into()))
        .await
        .unwrap();
    let seen = h.events.get(Some(&carol), id).await.unwrap();
    assert_eq!(seen.membership.unwrap().role, Role::Member);
    assert!(matches!(
        h.events.get(None, EventId(999)).await,
        Err(AppError::NotFound("Event"))
    ));
}

#[tokio::test]
async fn public_events_are_seen_by_anyone() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let bob = h.user("bob").await;
    let id = h.public(&alice, "Open").await;
    let anonymous = h.events.get(None, id).await.unwrap();
    assert!(anonymous.membership.is_none());
    assert!(
        h.events
            .get(Some(&bob), id)
            .await
            .unwrap()
            .membership
            .is_none()
    );
}
