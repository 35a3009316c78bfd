//! `EventRepo`: creating, reading, changing (capacity with promotion) and
//! deleting events with everything inside them.

use gatherhub_domain::event::{
    EventChanges, EventDescription, EventStatus, EventTitle, Location, NewEvent, Visibility,
};
use gatherhub_domain::membership::{MemberStatus, Role};
use gatherhub_domain::task::TaskChanges;
use gatherhub_domain::{EventId, PollId, TaskId};
use gatherhub_ports::{PollQuery, Repositories, TaskFilter, TaskQuery};

use crate::fixtures::*;

pub async fn event_create_and_get(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let at = now();
    let input = NewEvent {
        title: EventTitle::parse("Community Meetup").unwrap(),
        description: EventDescription::parse("Monthly community gathering").unwrap(),
        date: at + days(7),
        end_date: Some(at + days(7) + hours(3)),
        location: Location::parse("Community Center").unwrap(),
        max_participants: Some(capacity(50)),
        visibility: Visibility::Private,
    };
    let view = repos
        .events
        .create_event(input.clone(), alice.id, at)
        .await
        .unwrap();
    let event = &view.event;
    assert!(event.id.get() > 0);
    assert_eq!(event.title, "Community Meetup");
    assert_eq!(event.description, "Monthly community gathering");
    assert_eq!((event.date, event.end_date), (input.date, input.end_date));
    assert_eq!(event.location, "Community Center");
    assert_eq!(event.max_participants, Some(capacity(50)));
    assert_eq!(event.visibility, Visibility::Private);
    assert!(!event.cancelled);
    assert_eq!(event.organizer_id, alice.id);
    assert_eq!((event.created_at, event.updated_at), (at, at));
    assert_eq!(view.organizer, alice.summary());
    assert_eq!(
        (view.going, view.waitlisted),
        (1, 0),
        "the organizer is the first going member"
    );
    let own = view.membership.clone().expect("the organizer's membership");
    assert_eq!((own.event_id, own.user_id), (event.id, alice.id));
    assert_eq!(
        (own.role, own.status, own.waitlist_position),
        (Role::Organizer, MemberStatus::Going, None)
    );
    assert_eq!(own.joined_at, at);

    let fetched = repos
        .events
        .get_event(event.id, Some(alice.id))
        .await
        .unwrap();
    assert_eq!(fetched, Some(view.clone()));
    let as_bob = repos
        .events
        .get_event(event.id, Some(bob.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(as_bob.membership, None);
    assert_eq!(as_bob.event, view.event);
    let anonymous = repos
        .events
        .get_event(event.id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(anonymous.membership, None);
    assert_eq!(
        repos
            .events
            .get_event(EventId(MISSING), None)
            .await
            .unwrap(),
        None
    );

    let second = crate::fixtures::event(&repos, &bob, None).await;
    assert_ne!(second.event.id, event.id);
}

pub async fn event_update_fields(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let created = event(&repos, &alice, None).await;
    let id = created.event.id;
    let later = now() + secs(5);
    let date = created.event.date + days(1);
    let changes = EventChanges {
        title: Some(EventTitle::parse("Renamed").unwrap()),
        description: Some(EventDescription::parse("New description").unwrap()),
        date: Some(date),
        end_date: Some(Some(date + hours(2))),
        location: Some(Location::parse("Park").unwrap()),
        visibility: Some(Visibility::Private),
        ..Default::default()
    };
    let (view, promoted) = repos
        .events
        .update_event(id, changes, alice.id, later)
        .await
        .unwrap();
    assert!(promoted.is_empty());
    let event = &view.event;
    assert_eq!(
        (event.title.as_str(), event.description.as_str()),
        ("Renamed", "New description")
    );
    assert_eq!((event.date, event.end_date), (date, Some(date + hours(2))));
    assert_eq!(
        (event.location.as_str(), event.visibility),
        ("Park", Visibility::Private)
    );
    assert_eq!(event.max_participants, None, "untouched fields stay");
    assert_eq!(
        (event.created_at, event.updated_at),
        (created.event.created_at, later)
    );
    assert_eq!(
        view.membership.as_ref().map(|m| m.role),
        Some(Role::Organizer)
    );
    assert_eq!(
        repos.events.get_event(id, Some(alice.id)).await.unwrap(),
        Some(view.clone())
    );

    let clear_end = EventChanges {
        end_date: Some(None),
        ..Default::default()
    };
    let (view, _) = repos
        .events
        .update_event(id, clear_end, alice.id, later)
        .await
        .unwrap();
    assert_eq!(view.event.end_date, None);

    let cancel = EventChanges {
        cancel: true,
        ..Default::default()
    };
    let (view, _) = repos
        .events
        .update_event(id, cancel, alice.id, later)
        .await
        .unwrap();
    assert!(view.event.cancelled);
    assert_eq!(view.event.status(later), EventStatus::Cancelled);

    let missing = repos
        .events
        .update_event(EventId(MISSING), EventChanges::default(), alice.id, later)
        .await;
    assert_not_found(missing);
}

pub async fn event_update_rejects_end_before_start(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let created = event(&repos, &alice, None).await;
    let id = created.event.id;
    let changes = EventChanges {
        title: Some(EventTitle::parse("Should not stick").unwrap()),
        end_date: Some(Some(created.event.date - secs(1))),
        ..Default::default()
    };
    assert_invalid(
        repos
            .events
            .update_event(id, changes, alice.id, now())
            .await,
        "end_date",
    );
    // Moving the start after an existing end is refused the same way.
    let with_end = EventChanges {
        end_date: Some(Some(created.event.date + hours(1))),
        ..Default::default()
    };
    let (view, _) = repos
        .events
        .update_event(id, with_end, alice.id, now())
        .await
        .unwrap();
    let late_start = EventChanges {
        date: Some(created.event.date + hours(2)),
        ..Default::default()
    };
    assert_invalid(
        repos
            .events
            .update_event(id, late_start, alice.id, now())
            .await,
        "end_date",
    );
    let stored = repos.events.get_event(id, Some(alice.id)).await.unwrap();
    assert_eq!(stored, Some(view), "a refused update writes nothing");
}

pub async fn event_capacity_below_going_is_invalid(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol, dave) = (
        user(&repos, "bob").await,
        user(&repos, "carol").await,
        user(&repos, "dave").await,
    );
    let id = event(&repos, &alice, Some(5)).await.event.id;
    join_all(&repos, id, &[&bob, &carol]).await;

    let lower = |cap: i64| EventChanges {
        title: Some(EventTitle::parse("Should not stick").unwrap()),
        max_participants: Some(Some(capacity(cap))),
        ..Default::default()
    };
    assert_invalid(
        repos
            .events
            .update_event(id, lower(2), alice.id, now())
            .await,
        "max_participants",
    );
    let stored = repos.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!(
        stored.event.max_participants,
        Some(capacity(5)),
        "a refused update writes nothing"
    );
    assert_eq!(stored.event.title, "Community Meetup");
    assert_eq!((stored.going, stored.waitlisted), (3, 0));

    let (view, promoted) = repos
        .events
        .update_event(id, lower(3), alice.id, now())
        .await
        .unwrap();
    assert!(promoted.is_empty());
    assert_eq!(
        view.event.max_participants,
        Some(capacity(3)),
        "exactly the going count is fine"
    );
    let joined = repos.events.join_event(id, dave.id, now()).await.unwrap();
    assert_eq!(
        joined.membership.status,
        MemberStatus::Waitlisted,
        "the new capacity applies"
    );
}

pub async fn event_capacity_raise_promotes_fifo(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let members = users(&repos, "member", 4).await;
    let id = event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, id, &members.iter().collect::<Vec<_>>()).await;
    // going: alice, member0; waitlist: member1, member2, member3

    let raise = |cap: Option<i64>| EventChanges {
        max_participants: Some(cap.map(capacity)),
        ..Default::default()
    };
    let (view, promoted) = repos
        .events
        .update_event(id, raise(Some(4)), alice.id, now())
        .await
        .unwrap();
    assert_eq!(
        promoted,
        vec![members[1].id, members[2].id],
        "the earliest waitlisted, in order"
    );
    assert_eq!((view.going, view.waitlisted), (4, 1));
    let last = repos
        .events
        .get_event(id, Some(members[3].id))
        .await
        .unwrap()
        .unwrap();
    let last = last.membership.unwrap();
    assert_eq!(
        (last.status, last.waitlist_position),
        (MemberStatus::Waitlisted, Some(1))
    );
    let promoted_member = repos
        .events
        .get_event(id, Some(members[1].id))
        .await
        .unwrap()
        .unwrap();
    let promoted_member = promoted_member.membership.unwrap();
    assert_eq!(
        (promoted_member.status, promoted_member.waitlist_position),
        (MemberStatus::Going, None)
    );

    let (view, promoted) = repos
        .events
        .update_event(id, raise(None), alice.id, now())
        .await
        .unwrap();
    assert_eq!(
        promoted,
        vec![members[3].id],
        "unlimited capacity promotes everyone"
    );
    assert_eq!((view.going, view.waitlisted), (5, 0));
    assert_eq!(view.event.max_participants, None);
}

pub async fn event_delete_cascades(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let root = staff(&repos, "root").await;
    let doomed = event(&repos, &alice, None).await.event.id;
    let kept = event(&repos, &alice, None).await.event.id;
    join_all(&repos, doomed, &[&bob]).await;
    join_all(&repos, kept, &[&bob]).await;

    let mut task = new_task(doomed, "Book the venue");
    task.assignee_id = Some(bob.id);
    let doomed_task = repos
        .tasks
        .create_task(task, alice.id, now())
        .await
        .unwrap()
        .task
        .id;
    let kept_task = repos
        .tasks
        .create_task(new_task(kept, "Stay"), alice.id, now())
        .await
        .unwrap()
        .task
        .id;
    let doomed_poll = poll(&repos, doomed, &alice).await;
    let kept_poll = poll(&repos, kept, &alice).await;
    let option = doomed_poll.options[0].0.id;
    repos
        .polls
        .cast_vote(doomed_poll.poll.id, bob.id, &[option], now())
        .await
        .unwrap();
    let kept_option = kept_poll.options[1].0.id;
    repos
        .polls
        .cast_vote(kept_poll.poll.id, bob.id, &[kept_option], now())
        .await
        .unwrap();

    repos.events.delete_event(doomed).await.unwrap();
    assert_eq!(repos.events.get_event(doomed, None).await.unwrap(), None);
    assert_eq!(repos.tasks.get_task(doomed_task).await.unwrap(), None);
    assert_eq!(
        repos
            .polls
            .get_poll(doomed_poll.poll.id, None)
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        repos
            .polls
            .cast_vote(doomed_poll.poll.id, bob.id, &[option], now())
            .await,
    );
    assert_not_found(
        repos
            .tasks
            .update_task(doomed_task, TaskChanges::default(), now())
            .await,
    );
    assert_not_found(repos.events.join_event(doomed, bob.id, now()).await);
    assert_not_found(repos.events.delete_event(doomed).await);

    let tasks = repos
        .tasks
        .list_tasks(TaskQuery {
            actor: actor(&root),
            filter: TaskFilter::default(),
            ordering: Default::default(),
            page: all(),
        })
        .await
        .unwrap();
    assert_eq!(
        tasks
            .items
            .iter()
            .map(|t| t.task.id)
            .collect::<Vec<TaskId>>(),
        vec![kept_task]
    );
    let polls = repos
        .polls
        .list_polls(PollQuery {
            viewer: Some(actor(&root)),
            event: None,
            is_open: None,
            ordering: Default::default(),
            page: all(),
            now: now(),
        })
        .await
        .unwrap();
    assert_eq!(
        polls
            .items
            .iter()
            .map(|p| p.poll.id)
            .collect::<Vec<PollId>>(),
        vec![kept_poll.poll.id]
    );
    let kept_view = repos
        .polls
        .get_poll(kept_poll.poll.id, Some(bob.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept_view.my_votes,
        vec![kept_option],
        "other events keep their votes"
    );
    assert_eq!(counts(&kept_view), vec![0, 1, 0]);
    let kept_event = repos
        .events
        .get_event(kept, Some(bob.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept_event.going, 2);
}
