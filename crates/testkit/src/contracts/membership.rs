//! `EventRepo` membership: joining with capacity and a FIFO waitlist,
//! leaving with promotion, and the members list.

use std::collections::HashSet;

use gatherhub_domain::event::EventChanges;
use gatherhub_domain::membership::{MemberStatus, Role};
use gatherhub_domain::task::TaskChanges;
use gatherhub_domain::{EventId, UserId};
use gatherhub_ports::{Conflict, MemberView, Repositories};

use crate::fixtures::*;
pub(crate) async fn members(repos: &Repositories, event: EventId) -> Vec<MemberView> {
    repos.events.list_members(event, all()).await.unwrap().items
}

pub(crate) async fn membership_of(
    repos: &Repositories,
    event: EventId,
    user: UserId,
) -> Option<(MemberStatus, Option<u32>)> {
    let view = repos
        .events
        .get_event(event, Some(user))
        .await
        .unwrap()
        .unwrap();
    view.membership.map(|m| (m.status, m.waitlist_position))
}

/// The invariants of one event's members: one membership per user, going
/// members first, then the waitlist with positions 1..n, nobody waiting while
/// there is room, and counts that agree with the list.
pub(crate) async fn assert_roster_invariants(repos: &Repositories, event: EventId) {
    let view = repos.events.get_event(event, None).await.unwrap().unwrap();
    let list = members(repos, event).await;
    let users: HashSet<UserId> = list.iter().map(|m| m.user.id).collect();
    assert_eq!(users.len(), list.len(), "a user is a member at most once");
    let going = list
        .iter()
        .take_while(|m| m.membership.status == MemberStatus::Going)
        .count();
    assert_eq!(
        going as u64, view.going,
        "going members come first and match the count"
    );
    assert_eq!((list.len() - going) as u64, view.waitlisted);
    let positions: Vec<Option<u32>> = list[going..]
        .iter()
        .map(|m| m.membership.waitlist_position)
        .collect();
    let expected: Vec<Option<u32>> = (1..=positions.len() as u32).map(Some).collect();
    assert_eq!(
        positions, expected,
        "waitlist positions are 1..n without gaps"
    );
    assert!(
        list[..going]
            .iter()
            .all(|m| m.membership.waitlist_position.is_none())
    );
    if let Some(cap) = view.event.max_participants {
        assert!(
            view.going <= u64::from(cap.get()),
            "going {} exceeds capacity {}",
            view.going,
            cap.get()
        );
        assert!(
            view.waitlisted == 0 || view.going == u64::from(cap.get()),
            "nobody waits while there is room"
        );
    } else {
        assert_eq!(view.waitlisted, 0);
    }
    let organizer = list
        .iter()
        .find(|m| m.membership.role == Role::Organizer)
        .unwrap();
    assert_eq!(
        (organizer.user.id, organizer.membership.status),
        (view.event.organizer_id, MemberStatus::Going)
    );
}

pub async fn join_going_then_waitlisted_fifo(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let us = users(&repos, "u", 4).await;
    let id = event(&repos, &alice, Some(3)).await.event.id;
    let at = now();
    let mut outcomes = Vec::new();
    for u in &us {
        outcomes.push(repos.events.join_event(id, u.id, at).await.unwrap());
    }
    for (joined, u) in outcomes.iter().zip(&us) {
        assert!(joined.created);
        let m = &joined.membership;
        assert_eq!(
            (m.event_id, m.user_id, m.role, m.joined_at),
            (id, u.id, Role::Member, at)
        );
    }
    let statuses: Vec<_> = outcomes
        .iter()
        .map(|j| (j.membership.status, j.membership.waitlist_position))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (MemberStatus::Going, None),
            (MemberStatus::Going, None),
            (MemberStatus::Waitlisted, Some(1)),
            (MemberStatus::Waitlisted, Some(2)),
        ]
    );
    let view = repos
        .events
        .get_event(id, Some(us[3].id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((view.going, view.waitlisted), (3, 2));
    assert_eq!(view.membership, Some(outcomes[3].membership.clone()));
    assert_roster_invariants(&repos, id).await;
}

pub async fn join_again_returns_existing_membership(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let id = event(&repos, &alice, Some(2)).await.event.id;
    let first = repos.events.join_event(id, bob.id, now()).await.unwrap();
    let again = repos
        .events
        .join_event(id, bob.id, now() + secs(10))
        .await
        .unwrap();
    assert!(first.created && !again.created);
    assert_eq!(
        again.membership, first.membership,
        "returned unchanged, joined_at included"
    );

    let waiting = repos.events.join_event(id, carol.id, now()).await.unwrap();
    let waiting_again = repos.events.join_event(id, carol.id, now()).await.unwrap();
    assert!(!waiting_again.created);
    assert_eq!(waiting_again.membership, waiting.membership);
    assert_eq!(waiting.membership.waitlist_position, Some(1));

    let organizer = repos.events.join_event(id, alice.id, now()).await.unwrap();
    assert!(!organizer.created);
    assert_eq!(organizer.membership.role, Role::Organizer);
    let view = repos.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!((view.going, view.waitlisted), (2, 1));
}

pub async fn join_refused_when_missing_or_closed(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    assert_not_found(
        repos
            .events
            .join_event(EventId(MISSING), bob.id, now())
            .await,
    );

    let created = event(&repos, &alice, None).await;
    let id = created.event.id;
    let date = created.event.date;
    // Without an end date an event is completed once its date has passed.
    assert_conflict(
        repos.events.join_event(id, bob.id, date).await,
        Conflict::EventClosed,
    );
    assert_conflict(
        repos.events.join_event(id, bob.id, date + hours(1)).await,
        Conflict::EventClosed,
    );
    assert_eq!(
        membership_of(&repos, id, bob.id).await,
        None,
        "a refused join writes nothing"
    );

    // An ongoing event still takes members.
    let with_end = EventChanges {
        end_date: Some(Some(date + hours(3))),
        ..Default::default()
    };
    repos
        .events
        .update_event(id, with_end, alice.id, now())
        .await
        .unwrap();
    let joined = repos
        .events
        .join_event(id, bob.id, date + hours(1))
        .await
        .unwrap();
    assert_eq!(joined.membership.status, MemberStatus::Going);
    assert_conflict(
        repos.events.join_event(id, bob.id, date + hours(3)).await,
        Conflict::EventClosed,
    );

    let cancel = EventChanges {
        cancel: true,
        ..Default::default()
    };
    let other = event(&repos, &alice, None).await.event.id;
    repos.events.join_event(other, bob.id, now()).await.unwrap();
    repos
        .events
        .update_event(other, cancel, alice.id, now())
        .await
        .unwrap();
    let carol = user(&repos, "carol").await;
    assert_conflict(
        repos.events.join_event(other, carol.id, now()).await,
        Conflict::EventClosed,
    );
    // A closed event refuses even its members: the conflict comes first.
    assert_conflict(
        repos.events.join_event(other, bob.id, now()).await,
        Conflict::EventClosed,
    );
}

pub async fn leave_promotes_fifo_and_compacts_waitlist(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let us = users(&repos, "u", 6).await;
    let id = event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, id, &us.iter().collect::<Vec<_>>()).await;
    // going: alice, u0; waitlist: u1..u5

    assert_eq!(
        repos.events.leave_event(id, us[0].id).await.unwrap(),
        vec![us[1].id]
    );
    assert_eq!(membership_of(&repos, id, us[0].id).await, None);
    assert_eq!(
        membership_of(&repos, id, us[1].id).await,
        Some((MemberStatus::Going, None))
    );
    assert_eq!(
        membership_of(&repos, id, us[2].id).await,
        Some((MemberStatus::Waitlisted, Some(1)))
    );

    // A waitlisted member leaving frees no place; those behind move up.
    assert!(
        repos
            .events
            .leave_event(id, us[3].id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        membership_of(&repos, id, us[4].id).await,
        Some((MemberStatus::Waitlisted, Some(2)))
    );
    assert_eq!(
        membership_of(&repos, id, us[5].id).await,
        Some((MemberStatus::Waitlisted, Some(3)))
    );

    // Rejoining queues at the end.
    let rejoined = repos.events.join_event(id, us[0].id, now()).await.unwrap();
    assert!(rejoined.created);
    assert_eq!(rejoined.membership.waitlist_position, Some(4));
    let view = repos.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!((view.going, view.waitlisted), (2, 4));
    assert_roster_invariants(&repos, id).await;
}

pub async fn leave_errors(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let id = event(&repos, &alice, None).await.event.id;
    join_all(&repos, id, &[&bob]).await;
    assert_conflict(
        repos.events.leave_event(id, alice.id).await,
        Conflict::OrganizerCannotLeave,
    );
    assert_conflict(
        repos.events.leave_event(id, carol.id).await,
        Conflict::NotMember,
    );
    assert_not_found(repos.events.leave_event(EventId(MISSING), bob.id).await);
    repos.events.leave_event(id, bob.id).await.unwrap();
    assert_conflict(
        repos.events.leave_event(id, bob.id).await,
        Conflict::NotMember,
    );
    let view = repos
        .events
        .get_event(id, Some(alice.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.going, 1);
    assert_eq!(view.membership.map(|m| m.role), Some(Role::Organizer));
}

pub async fn leave_unassigns_own_tasks_in_that_event(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let left = event(&repos, &alice, None).await.event.id;
    let stayed = event(&repos, &alice, None).await.event.id;
    join_all(&repos, left, &[&bob, &carol]).await;
    join_all(&repos, stayed, &[&bob]).await;
    let assigned = |event, title: &str, to: UserId| {
        let mut task = new_task(event, title);
        task.assignee_id = Some(to);
        task
    };
    let t1 = repos
        .tasks
        .create_task(assigned(left, "Bob's", bob.id), alice.id, now())
        .await
        .unwrap();
    let t2 = repos
        .tasks
        .create_task(assigned(left, "Carol's", carol.id), alice.id, now())
        .await
        .unwrap();
    let t3 = repos
        .tasks
        .create_task(assigned(stayed, "Bob's elsewhere", bob.id), alice.id, now())
        .await
        .unwrap();

    repos.events.leave_event(left, bob.id).await.unwrap();
    let assignee = |id| {
        let repos = repos.clone();
        async move {
            repos
                .tasks
                .get_task(id)
                .await
                .unwrap()
                .unwrap()
                .task
                .assignee_id
        }
    };
    assert_eq!(
        assignee(t1.task.id).await,
        None,
        "the leaver's task in that event is unassigned"
    );
    assert_eq!(assignee(t2.task.id).await, Some(carol.id));
    assert_eq!(
        assignee(t3.task.id).await,
        Some(bob.id),
        "other events are untouched"
    );
    let t1_view = repos.tasks.get_task(t1.task.id).await.unwrap().unwrap();
    assert_eq!(t1_view.assignee, None);
    // The leaver can no longer be assigned there.
    let reassign = TaskChanges {
        assignee_id: Some(Some(bob.id)),
        ..Default::default()
    };
    assert_invalid(
        repos.tasks.update_task(t1.task.id, reassign, now()).await,
        "assignee_id",
    );
}

pub async fn list_members_in_order_and_paged(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let us = users(&repos, "u", 3).await;
    let id = event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, id, &[&us[0], &us[1], &us[2]]).await;
    let list = members(&repos, id).await;
    let summary: Vec<_> = list
        .iter()
        .map(|m| {
            (
                m.user.clone(),
                m.membership.role,
                m.membership.status,
                m.membership.waitlist_position,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (alice.summary(), Role::Organizer, MemberStatus::Going, None),
            (us[0].summary(), Role::Member, MemberStatus::Going, None),
            (
                us[1].summary(),
                Role::Member,
                MemberStatus::Waitlisted,
                Some(1)
            ),
            (
                us[2].summary(),
                Role::Member,
                MemberStatus::Waitlisted,
                Some(2)
            ),
        ]
    );
    assert!(
        list.iter()
            .all(|m| m.membership.event_id == id && m.membership.user_id == m.user.id)
    );

    let second = repos.events.list_members(id, page(2, 3)).await.unwrap();
    assert_eq!(second.total, 4);
    assert_eq!(
        second.items.iter().map(|m| m.user.id).collect::<Vec<_>>(),
        vec![us[2].id]
    );
    let past = repos.events.list_members(id, page(3, 3)).await.unwrap();
    assert_eq!((past.total, past.items.len()), (4, 0));
}
