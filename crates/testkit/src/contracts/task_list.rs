//! `TaskRepo::list_tasks`: who sees which tasks, every filter, every
//! ordering with ties broken by id, and pagination.

use chrono::{DateTime, Utc};
use gatherhub_domain::TaskId;
use gatherhub_domain::task::{NewTask, Priority, TaskChanges, TaskDescription, TaskStatus};
use gatherhub_domain::user::User;
use gatherhub_ports::{Repositories, TaskFilter, TaskOrdering, TaskQuery};

use crate::fixtures::*;

fn query(actor_user: &User, filter: TaskFilter) -> TaskQuery {
    TaskQuery {
        actor: actor(actor_user),
        filter,
        ordering: TaskOrdering::CreatedAt,
        page: all(),
    }
}

async fn ids(repos: &Repositories, query: TaskQuery) -> Vec<TaskId> {
    let page = repos.tasks.list_tasks(query).await.unwrap();
    assert_eq!(
        page.total,
        page.items.len() as u64,
        "every test list fits one page"
    );
    page.items.into_iter().map(|v| v.task.id).collect()
}

async fn create(repos: &Repositories, task: NewTask, by: &User, at: DateTime<Utc>) -> TaskId {
    repos
        .tasks
        .create_task(task, by.id, at)
        .await
        .unwrap()
        .task
        .id
}

pub async fn list_tasks_visibility(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol, dave, erin) = (
        user(&repos, "bob").await,
        user(&repos, "carol").await,
        user(&repos, "dave").await,
        user(&repos, "erin").await,
    );
    let root = staff(&repos, "root").await;
    let first = event(&repos, &alice, Some(2)).await.event.id;
    let second = private_event(&repos, &dave, None).await.event.id;
    join_all(&repos, first, &[&bob, &carol]).await; // carol waitlisted
    let at = now();
    let a1 = create(&repos, new_task(first, "One"), &alice, at).await;
    let a2 = create(&repos, new_task(first, "Two"), &bob, at).await;
    let b1 = create(&repos, new_task(second, "Three"), &dave, at).await;

    assert_eq!(
        ids(&repos, query(&alice, TaskFilter::default())).await,
        vec![a1, a2]
    );
    assert_eq!(
        ids(&repos, query(&bob, TaskFilter::default())).await,
        vec![a1, a2]
    );
    assert_eq!(
        ids(&repos, query(&carol, TaskFilter::default())).await,
        vec![],
        "waitlisted members see no tasks"
    );
    assert_eq!(
        ids(&repos, query(&dave, TaskFilter::default())).await,
        vec![b1]
    );
    assert_eq!(
        ids(&repos, query(&erin, TaskFilter::default())).await,
        vec![]
    );
    assert_eq!(
        ids(&repos, query(&root, TaskFilter::default())).await,
        vec![a1, a2, b1],
        "staff see every task"
    );

    repos.events.leave_event(first, bob.id).await.unwrap(); // carol is promoted
    assert_eq!(
        ids(&repos, query(&bob, TaskFilter::default())).await,
        vec![]
    );
    assert_eq!(
        ids(&repos, query(&carol, TaskFilter::default())).await,
        vec![a1, a2]
    );
}

pub async fn list_tasks_filters(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let first = event(&repos, &alice, None).await.event.id;
    let second = event(&repos, &alice, None).await.event.id;
    join_all(&repos, first, &[&bob]).await;
    let base = now();
    let task = |event,
                title: &str,
                description: &str,
                priority,
                due: Option<i64>,
                assignee: Option<&User>| NewTask {
        description: TaskDescription::parse(description).unwrap(),
        priority,
        due_date: due.map(|d| base + days(d)),
        assignee_id: assignee.map(|u| u.id),
        ..new_task(event, title)
    };
    let t1 = create(
        &repos,
        task(
            first,
            "Book the VENUE",
            "",
            Priority::High,
            Some(1),
            Some(&bob),
        ),
        &alice,
        base,
    )
    .await;
    let t2 = create(
        &repos,
        task(
            first,
            "Chairs",
            "near the venue",
            Priority::Low,
            Some(3),
            None,
        ),
        &alice,
        base,
    )
    .await;
    let t3 = create(
        &repos,
        task(first, "Snacks", "", Priority::High, None, Some(&alice)),
        &alice,
        base,
    )
    .await;
    let t4 = create(
        &repos,
        task(second, "Posters", "", Priority::Urgent, Some(2), None),
        &alice,
        base,
    )
    .await;
    let done = TaskChanges {
        status: Some(TaskStatus::Done),
        ..Default::default()
    };
    repos.tasks.update_task(t2, done, base).await.unwrap();
    let filtered = |filter| query(&alice, filter);

    let by_event = TaskFilter {
        event: Some(second),
        ..Default::default()
    };
    assert_eq!(ids(&repos, filtered(by_event)).await, vec![t4]);
    let by_status = |status| TaskFilter {
        status: Some(status),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(by_status(TaskStatus::Done))).await,
        vec![t2]
    );
    assert_eq!(
        ids(&repos, filtered(by_status(TaskStatus::Todo))).await,
        vec![t1, t3, t4]
    );
    assert_eq!(
        ids(&repos, filtered(by_status(TaskStatus::InProgress))).await,
        vec![]
    );
    let by_priority = TaskFilter {
        priority: Some(Priority::High),
        ..Default::default()
    };
    assert_eq!(ids(&repos, filtered(by_priority)).await, vec![t1, t3]);
    let by_assignee = TaskFilter {
        assignee: Some(bob.id),
        ..Default::default()
    };
    assert_eq!(ids(&repos, filtered(by_assignee)).await, vec![t1]);
    let before = TaskFilter {
        due_before: Some(base + days(2)),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(before)).await,
        vec![t1],
        "strictly before; no due date never matches"
    );
    let after = TaskFilter {
        due_after: Some(base + days(2)),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(after)).await,
        vec![t2],
        "strictly after"
    );
    let search = TaskFilter {
        search: Some("Venue".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(search)).await,
        vec![t1, t2],
        "title or description, ignoring case"
    );
    let combined = TaskFilter {
        event: Some(first),
        priority: Some(Priority::High),
        due_after: Some(base),
        ..Default::default()
    };
    assert_eq!(
        ids(&repos, filtered(combined)).await,
        vec![t1],
        "filters combine"
    );

    // Bob sees the first event's tasks only, filters applied on top.
    let bobs = query(
        &bob,
        TaskFilter {
            priority: Some(Priority::Urgent),
            ..Default::default()
        },
    );
    assert_eq!(ids(&repos, bobs).await, vec![]);
    let paged = TaskQuery {
        page: page(2, 3),
        ..filtered(TaskFilter::default())
    };
    let second_page = repos.tasks.list_tasks(paged).await.unwrap();
    assert_eq!(second_page.total, 4);
    assert_eq!(
        second_page
            .items
            .iter()
            .map(|v| v.task.id)
            .collect::<Vec<_>>(),
        vec![t4]
    );
}

pub async fn list_tasks_orderings(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let id = event(&repos, &alice, None).await.event.id;
    let base = now();
    let task = |priority, due: Option<i64>| NewTask {
        priority,
        due_date: due.map(|d| base + days(d)),
        ..new_task(id, "Task")
    };
    let t1 = create(&repos, task(Priority::Low, Some(2)), &alice, base).await;
    let t2 = create(&repos, task(Priority::High, None), &alice, base + secs(1)).await;
    let t3 = create(
        &repos,
        task(Priority::High, Some(1)),
        &alice,
        base + secs(1),
    )
    .await;
    let t4 = create(
        &repos,
        task(Priority::Urgent, Some(2)),
        &alice,
        base + secs(2),
    )
    .await;
    let t5 = create(&repos, task(Priority::Low, None), &alice, base + secs(3)).await;
    let cases = [
        (TaskOrdering::DueDate, vec![t3, t1, t4, t2, t5]),
        (TaskOrdering::DueDateDesc, vec![t4, t1, t3, t5, t2]),
        (TaskOrdering::Priority, vec![t1, t5, t2, t3, t4]),
        (TaskOrdering::PriorityDesc, vec![t4, t3, t2, t5, t1]),
        (TaskOrdering::CreatedAt, vec![t1, t2, t3, t4, t5]),
        (TaskOrdering::CreatedAtDesc, vec![t5, t4, t3, t2, t1]),
    ];
    for (ordering, expected) in cases {
        let q = TaskQuery {
            ordering,
            ..query(&alice, TaskFilter::default())
        };
        assert_eq!(ids(&repos, q).await, expected, "{ordering:?}");
    }
    assert_eq!(TaskOrdering::default(), TaskOrdering::CreatedAtDesc);
}
