//! Joining, leaving, the waitlist, and members managed by the organizer.

use chrono::Duration;
use gatherhub_app::{AppError, ConflictCode};
use gatherhub_domain::membership::{MemberStatus, Role};
use gatherhub_domain::{EventId, PageRequest, UserId};

use crate::support::{Harness, messages};

fn conflict<T: std::fmt::Debug>(result: Result<T, AppError>) -> ConflictCode {
    match result {
        Err(AppError::Conflict { code, .. }) => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// (user, status, waitlist position) of every member, in list order.
async fn roster(h: &Harness, id: EventId) -> Vec<(UserId, MemberStatus, Option<u32>)> {
    let page = h
        .events
        .members(None, id, PageRequest::new(None, Some(100)).unwrap())
        .await
        .unwrap();
    page.items
        .into_iter()
        .map(|m| {
            (
                m.user.id,
                m.membership.status,
                m.membership.waitlist_position,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_full_event_waitlists_in_order_and_promotes_fifo() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let id = h.limited(&alice, "Small", 2).await;
    let (bob, carol, dave) = (
        h.user("bob").await,
        h.user("carol").await,
        h.user("dave").await,
    );
    let joined = h.events.join(&bob, id).await.unwrap();
    assert!(joined.created);
    assert_eq!(
        (
            joined.membership.status,
            joined.membership.waitlist_position
        ),
        (MemberStatus::Going, None)
    );
    let c = h.events.join(&carol, id).await.unwrap().membership;
    let d = h.events.join(&dave, id).await.unwrap().membership;
    assert_eq!(
        (c.status, c.waitlist_position),
        (MemberStatus::Waitlisted, Some(1))
    );
    assert_eq!(
        (d.status, d.waitlist_position),
        (MemberStatus::Waitlisted, Some(2))
    );
    let view = h.events.get(Some(&carol), id).await.unwrap();
    assert_eq!((view.going, view.waitlisted), (2, 2));
    assert_eq!(view.membership.unwrap().waitlist_position, Some(1));

    assert_eq!(h.events.leave(&bob, id).await.unwrap(), [carol.user_id]);
    assert_eq!(
        roster(&h, id).await,
        [
            (alice.user_id, MemberStatus::Going, None),
            (carol.user_id, MemberStatus::Going, None),
            (dave.user_id, MemberStatus::Waitlisted, Some(1)),
        ]
    );
    // A waitlisted member leaving frees no place.
    assert!(h.events.leave(&dave, id).await.unwrap().is_empty());
}

#[tokio::test]
async fn joining_again_returns_the_existing_membership() {
    let h = Harness::new();
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let id = h.public(&alice, "Open").await;
    let first = h.events.join(&bob, id).await.unwrap();
    let again = h.events.join(&bob, id).await.unwrap();
    assert!(first.created && !again.created);
    assert_eq!(first.membership, again.membership);
    let organizer = h.events.join(&alice, id).await.unwrap();
    assert!(!organizer.created);
    assert_eq!(organizer.membership.role, Role::Organizer);
    assert_eq!(h.events.get(None, id).await.unwrap().going, 2);
}

#[tokio::test]
async fn closed_and_invisible_events_refuse_joins() {
    let h = Harness::new();
    let (alice, bob, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.staff("mod").await,
    );
    let secret = h.private(&alice, "Secret").await;
    assert!(matches!(
        h.events.join(&bob, secret).await,
        Err(AppError::NotFound("Event"))
    ));
    assert!(
        h.events.join(&mod_, secret).await.unwrap().created,
        "staff see and may join anything"
    );
    assert!(matches!(
        h.events.join(&bob, EventId(404)).await,
        Err(AppError::NotFound("Event"))
    ));

    let soon = h.public(&alice, "Soon").await;
    h.clock.advance(Duration::days(2));
    assert_eq!(
        conflict(h.events.join(&bob, soon).await),
        ConflictCode::EventClosed
    );
}

#[tokio::test]
async fn an_ongoing_event_still_takes_members() {
    let h = Harness::new();
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let date = h.now() + Duration::hours(1);
    let input = gatherhub_app::events::EventInput {
        date: Some(date),
        end_date: Some(Some(date + Duration::hours(3))),
        ..h.input("Long")
    };
    let id = h.event(&alice, input).await.event.id;
    h.clock.advance(Duration::hours(2));
    assert!(h.events.join(&bob, id).await.unwrap().created);
}

#[tokio::test]
async fn leaving_rules() {
    let h = Harness::new();
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let id = h.public(&alice, "Open").await;
    assert_eq!(
        conflict(h.events.leave(&bob, id).await),
        ConflictCode::NotMember
    );
    assert_eq!(
        conflict(h.events.leave(&alice, id).await),
        ConflictCode::OrganizerCannotLeave
    );
    let secret = h.private(&alice, "Secret").await;
    assert!(matches!(
        h.events.leave(&bob, secret).await,
        Err(AppError::NotFound("Event"))
    ));
    h.events.join(&bob, id).await.unwrap();
    assert!(h.events.leave(&bob, id).await.unwrap().is_empty());
    assert!(
        h.events
            .get(Some(&bob), id)
            .await
            .unwrap()
            .membership
            .is_none()
    );
}

#[tokio::test]
async fn members_of_private_events_are_private() {
    let h = Harness::new();
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let secret = h.private(&alice, "Secret").await;
    let first = PageRequest::first();
    assert!(matches!(
        h.events.members(None, secret, first).await,
        Err(AppError::NotFound("Event"))
    ));
    assert!(matches!(
        h.events.members(Some(&bob), secret, first).await,
        Err(AppError::NotFound("Event"))
    ));
    let page = h.events.members(Some(&alice), secret, first).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].user.username, "alice");
    assert_eq!(page.items[0].membership.role, Role::Organizer);
}

#[tokio::test]
async fn the_organizer_adds_members_by_username() {
    let h = Harness::new();
    let (alice, bob, carol) = (
        h.user("alice").await,
        h.user("Bob").await,
        h.user("carol").await,
    );
    let id = h.limited(&alice, "Small", 2).await;
    let joined = h
        .events
        .add_member(&alice, id, Some(" bob ".into()))
        .await
        .unwrap();
    assert_eq!(joined.user.username, "Bob");
    assert_eq!(
        (joined.membership.user_id, joined.membership.status),
        (bob.user_id, MemberStatus::Going)
    );
    let waiting = h
        .events
        .add_member(&alice, id, Some("carol".into()))
        .await
        .unwrap()
        .membership;
    assert_eq!(
        (waiting.user_id, waiting.waitlist_position),
        (carol.user_id, Some(1))
    );
    let again = h.events.add_member(&alice, id, Some("BOB".into())).await;
    assert_eq!(conflict(again), ConflictCode::AlreadyMember);
    let organizer = h.events.add_member(&alice, id, Some("alice".into())).await;
    assert_eq!(conflict(organizer), ConflictCode::AlreadyMember);
}

#[tokio::test]
async fn adding_members_validates_the_username() {
    let h = Harness::new();
    let alice = h.user("alice").await;
    let id = h.public(&alice, "Open").await;
    assert_eq!(
        messages(h.events.add_member(&alice, id, None).await, "username"),
        ["This field is required."]
    );
    assert_eq!(
        messages(
            h.events.add_member(&alice, id, Some(" ".into())).await,
            "username"
        ),
        ["This field may not be blank."]
    );
    assert_eq!(
        messages(
            h.events.add_member(&alice, id, Some("ghost".into())).await,
            "username"
        ),
        ["User not found."]
    );
}

#[tokio::test]
async fn only_the_organizer_and_staff_add_members() {
    let h = Harness::new();
    let (alice, bob, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.staff("mod").await,
    );
    h.user("carol").await;
    let id = h.public(&alice, "Open").await;
    let result = h.events.add_member(&bob, id, Some("carol".into())).await;
    assert!(matches!(result, Err(AppError::Forbidden(_))));
    // Permission comes before validation: a stranger learns nothing about usernames.
    assert!(matches!(
        h.events.add_member(&bob, id, None).await,
        Err(AppError::Forbidden(_))
    ));
    let secret = h.private(&alice, "Secret").await;
    let result = h
        .events
        .add_member(&bob, secret, Some("carol".into()))
        .await;
    assert!(matches!(result, Err(AppError::NotFound("Event"))));
    assert!(
        h.events
            .add_member(&mod_, secret, Some("carol".into()))
            .await
            .is_ok()
    );
    let cancelled = gatherhub_app::events::EventInput {
        status: Some("cancelled".into()),
        ..Default::default()
    };
    h.events.update(&alice, id, cancelled, true).await.unwrap();
    assert_eq!(
        conflict(h.events.add_member(&alice, id, Some("carol".into())).await),
        ConflictCode::EventClosed
    );
}

#[tokio::test]
async fn the_organizer_removes_members_and_the_waitlist_moves_up() {
    let h = Harness::new();
    let (alice, bob, carol, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
        h.staff("mod").await,
    );
    let id = h.limited(&alice, "Small", 2).await;
    h.events.join(&bob, id).await.unwrap();
    h.events.join(&carol, id).await.unwrap();
    assert!(matches!(
        h.events.remove_member(&carol, id, bob.user_id).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        h.events.remove_member(&bob, id, bob.user_id).await,
        Err(AppError::Forbidden(_))
    ));
    assert_eq!(
        h.events
            .remove_member(&alice, id, bob.user_id)
            .await
            .unwrap(),
        [carol.user_id]
    );
    assert!(matches!(
        h.events.remove_member(&alice, id, bob.user_id).await,
        Err(AppError::NotFound("Member"))
    ));
    assert!(matches!(
        h.events.remove_member(&alice, id, UserId(999)).await,
        Err(AppError::NotFound("Member"))
    ));
    assert_eq!(
        conflict(h.events.remove_member(&alice, id, alice.user_id).await),
        ConflictCode::OrganizerCannotLeave
    );
    assert!(
        h.events
            .remove_member(&mod_, id, carol.user_id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        roster(&h, id).await,
        [(alice.user_id, MemberStatus::Going, None)]
    );
    let secret = h.private(&alice, "Secret").await;
    let result = h.events.remove_member(&bob, secret, alice.user_id).await;
    assert!(matches!(result, Err(AppError::NotFound("Event"))));
}

#[tokio::test]
async fn presence_is_for_members_and_staff() {
    let h = Harness::new();
    let (alice, bob, carol, mod_) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
        h.staff("mod").await,
    );
    let id = h.limited(&alice, "Small", 1).await;
    assert!(h.events.presence(&alice, id).await.unwrap().is_empty());
    assert!(matches!(
        h.events.presence(&bob, id).await,
        Err(AppError::Forbidden(_))
    ));
    h.events.join(&bob, id).await.unwrap();
    assert!(
        h.events.presence(&bob, id).await.is_ok(),
        "waitlisted members are members"
    );
    assert!(h.events.presence(&mod_, id).await.is_ok());
    let secret = h.private(&alice, "Secret").await;
    assert!(matches!(
        h.events.presence(&carol, secret).await,
        Err(AppError::NotFound("Event"))
    ));
}
