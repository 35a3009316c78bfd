//! `TaskRepo`: creating, reading, changing and deleting tasks; the assignee
//! rule and completion time.

use gatherhub_domain::task::{
    NewTask, Priority, TaskChanges, TaskDescription, TaskStatus, TaskTitle,
};
use gatherhub_domain::{EventId, TaskId};
use gatherhub_ports::Repositories;

use crate::fixtures::*;

pub async fn task_create_and_get(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = event(&repos, &alice, None).await.event.id;
    join_all(&repos, id, &[&bob]).await;
    let at = now();
    let due = at + days(3);
    let input = NewTask {
        description: TaskDescription::parse("Call the community center").unwrap(),
        priority: Priority::High,
        due_date: Some(due),
        assignee_id: Some(bob.id),
        ..new_task(id, "Book the venue")
    };
    let view = repos.tasks.create_task(input, alice.id, at).await.unwrap();
    let task = &view.task;
    assert!(task.id.get() > 0);
    assert_eq!(task.event_id, id);
    assert_eq!(
        (task.title.as_str(), task.description.as_str()),
        ("Book the venue", "Call the community center")
    );
    assert_eq!(
        (task.status, task.priority),
        (TaskStatus::Todo, Priority::High)
    );
    assert_eq!((task.due_date, task.assignee_id), (Some(due), Some(bob.id)));
    assert_eq!((task.created_by, task.completed_at), (alice.id, None));
    assert_eq!((task.created_at, task.updated_at), (at, at));
    assert_eq!(view.assignee, Some(bob.summary()));
    assert_eq!(view.created_by, alice.summary());
    assert_eq!(
        repos.tasks.get_task(task.id).await.unwrap(),
        Some(view.clone())
    );

    let plain = repos
        .tasks
        .create_task(new_task(id, "Bring chairs"), bob.id, at)
        .await
        .unwrap();
    assert_ne!(plain.task.id, task.id);
    assert_eq!(
        (plain.task.priority, plain.task.assignee_id, plain.assignee),
        (Priority::Medium, None, None)
    );
    assert_eq!(plain.created_by, bob.summary());
    assert_eq!(repos.tasks.get_task(TaskId(MISSING)).await.unwrap(), None);
}

pub async fn task_create_requires_event(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let result = repos
        .tasks
        .create_task(new_task(EventId(MISSING), "Orphan"), alice.id, now())
        .await;
    assert_not_found(result);
    let id = event(&repos, &alice, None).await.event.id;
    repos.events.delete_event(id).await.unwrap();
    assert_not_found(
        repos
            .tasks
            .create_task(new_task(id, "Too late"), alice.id, now())
            .await,
    );
}

pub async fn task_assignee_must_be_going_member(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol, stranger) = (
        user(&repos, "bob").await,
        user(&repos, "carol").await,
        user(&repos, "stranger").await,
    );
    let id = event(&repos, &alice, Some(2)).await.event.id;
    join_all(&repos, id, &[&bob, &carol]).await; // bob going, carol waitlisted
    let assigned_to = |user: &gatherhub_domain::user::User| NewTask {
        assignee_id: Some(user.id),
        ..new_task(id, "Assigned")
    };
    for refused in [&stranger, &carol] {
        let result = repos
            .tasks
            .create_task(assigned_to(refused), alice.id, now())
            .await;
        assert_invalid(result, "assignee_id");
    }
    let task = repos
        .tasks
        .create_task(assigned_to(&bob), alice.id, now())
        .await
        .unwrap();
    assert_eq!(task.task.assignee_id, Some(bob.id));
    let own = repos
        .tasks
        .create_task(assigned_to(&alice), alice.id, now())
        .await
        .unwrap();
    assert_eq!(
        own.task.assignee_id,
        Some(alice.id),
        "the organizer is a going member"
    );

    let assign = |to: Option<gatherhub_domain::UserId>| TaskChanges {
        title: Some(TaskTitle::parse("Should not stick").unwrap()),
        assignee_id: Some(to),
        ..Default::default()
    };
    for refused in [&stranger, &carol] {
        let result = repos
            .tasks
            .update_task(task.task.id, assign(Some(refused.id)), now())
            .await;
        assert_invalid(result, "assignee_id");
    }
    assert_eq!(
        repos.tasks.get_task(task.task.id).await.unwrap(),
        Some(task.clone()),
        "a refused update writes nothing"
    );
    let cleared = repos
        .tasks
        .update_task(task.task.id, assign(None), now())
        .await
        .unwrap();
    assert_eq!((cleared.task.assignee_id, cleared.assignee), (None, None));
    let reassigned = repos
        .tasks
        .update_task(task.task.id, assign(Some(alice.id)), now())
        .await
        .unwrap();
    assert_eq!(reassigned.assignee, Some(alice.summary()));

    // Promotion makes a waitlisted member assignable.
    repos.events.leave_event(id, bob.id).await.unwrap();
    let promoted = repos
        .tasks
        .update_task(task.task.id, assign(Some(carol.id)), now())
        .await
        .unwrap();
    assert_eq!(promoted.task.assignee_id, Some(carol.id));
}

pub async fn task_update_fields_and_completion(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let id = event(&repos, &alice, None).await.event.id;
    let created = repos
        .tasks
        .create_task(new_task(id, "Book the venue"), alice.id, now())
        .await
        .unwrap();
    let task = created.task.id;
    let t0 = now();
    let due = t0 + days(2);
    let changes = TaskChanges {
        title: Some(TaskTitle::parse("Book the hall").unwrap()),
        description: Some(TaskDescription::parse("Before Friday").unwrap()),
        priority: Some(Priority::Urgent),
        due_date: Some(Some(due)),
        ..Default::default()
    };
    let view = repos.tasks.update_task(task, changes, t0).await.unwrap();
    assert_eq!(
        (view.task.title.as_str(), view.task.description.as_str()),
        ("Book the hall", "Before Friday")
    );
    assert_eq!(
        (view.task.priority, view.task.due_date),
        (Priority::Urgent, Some(due))
    );
    assert_eq!(
        (view.task.created_at, view.task.updated_at),
        (created.task.created_at, t0)
    );
    assert_eq!(view.task.status, TaskStatus::Todo, "untouched fields stay");

    let status = |s| TaskChanges {
        status: Some(s),
        ..Default::default()
    };
    let view = repos
        .tasks
        .update_task(task, status(TaskStatus::InProgress), t0 + secs(1))
        .await
        .unwrap();
    assert_eq!(
        (view.task.status, view.task.completed_at),
        (TaskStatus::InProgress, None)
    );
    let done_at = t0 + secs(2);
    let view = repos
        .tasks
        .update_task(task, status(TaskStatus::Done), done_at)
        .await
        .unwrap();
    assert_eq!(
        (view.task.status, view.task.completed_at),
        (TaskStatus::Done, Some(done_at))
    );
    let view = repos
        .tasks
        .update_task(task, status(TaskStatus::Done), t0 + secs(3))
        .await
        .unwrap();
    assert_eq!(
        view.task.completed_at,
        Some(done_at),
        "staying done keeps the completion time"
    );
    assert_eq!(view.task.updated_at, t0 + secs(3));
    let view = repos
        .tasks
        .update_task(task, status(TaskStatus::Todo), t0 + secs(4))
        .await
        .unwrap();
    assert_eq!(
        (view.task.status, view.task.completed_at),
        (TaskStatus::Todo, None),
        "leaving done clears it"
    );
    assert_eq!(repos.tasks.get_task(task).await.unwrap(), Some(view));

    let no_due = TaskChanges {
        due_date: Some(None),
        ..Default::default()
    };
    let view = repos
        .tasks
        .update_task(task, no_due, t0 + secs(5))
        .await
        .unwrap();
    assert_eq!(view.task.due_date, None);
    assert_not_found(
        repos
            .tasks
            .update_task(TaskId(MISSING), TaskChanges::default(), now())
            .await,
    );
}

pub async fn task_delete(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let id = event(&repos, &alice, None).await.event.id;
    let doomed = repos
        .tasks
        .create_task(new_task(id, "Doomed"), alice.id, now())
        .await
        .unwrap();
    let kept = repos
        .tasks
        .create_task(new_task(id, "Kept"), alice.id, now())
        .await
        .unwrap();
    repos.tasks.delete_task(doomed.task.id).await.unwrap();
    assert_eq!(repos.tasks.get_task(doomed.task.id).await.unwrap(), None);
    assert_eq!(
        repos.tasks.get_task(kept.task.id).await.unwrap(),
        Some(kept)
    );
    assert_not_found(repos.tasks.delete_task(doomed.task.id).await);
    assert_not_found(repos.tasks.delete_task(TaskId(MISSING)).await);
}

/// Members claiming one unassigned task at the same moment: exactly one gets
/// it, the others see `Conflict(TaskAssigned)`, and nobody's claim is lost
/// silently. A precondition that no longer holds changes nothing.
pub async fn task_concurrent_claims_one_wins(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let members = users(&repos, "claimer", 10).await;
    let id = event(&repos, &alice, None).await.event.id;
    join_all(&repos, id, &members.iter().collect::<Vec<_>>()).await;
    let task = repos
        .tasks
        .create_task(new_task(id, "Bring chairs"), alice.id, now())
        .await
        .unwrap()
        .task
        .id;
    let r = repos.clone();
    let ids: Vec<_> = members.iter().map(|u| u.id).collect();
    let outcomes = concurrently(10, move |i| {
        let (r, user) = (r.clone(), ids[i]);
        async move {
            let claim = TaskChanges {
                assignee_id: Some(Some(user)),
                only_if_unassigned: true,
                ..TaskChanges::default()
            };
            r.tasks.update_task(task, claim, now()).await
        }
    })
    .await;
    let (won, lost): (Vec<_>, Vec<_>) = outcomes.into_iter().partition(Result::is_ok);
    assert_eq!(won.len(), 1, "exactly one claim succeeds");
    for outcome in lost {
        assert_conflict(outcome, gatherhub_ports::Conflict::TaskAssigned);
    }
    let winner = won.into_iter().next().unwrap().unwrap().task.assignee_id;
    let stored = repos.tasks.get_task(task).await.unwrap().unwrap();
    assert_eq!(stored.task.assignee_id, winner);

    // Without the precondition (a manager assigning) the change applies.
    let reassign = TaskChanges {
        assignee_id: Some(Some(members[0].id)),
        ..TaskChanges::default()
    };
    let view = repos
        .tasks
        .update_task(task, reassign, now())
        .await
        .unwrap();
    assert_eq!(view.task.assignee_id, Some(members[0].id));
}
