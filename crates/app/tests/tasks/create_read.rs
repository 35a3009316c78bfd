//! Creating, reading and listing tasks.

use chrono::Duration;
use gatherhub_app::tasks::{TaskInput, TaskListInput};
use gatherhub_domain::event::Visibility;
use gatherhub_domain::task::{Priority, TaskStatus};
use gatherhub_domain::{PageRequest, TaskId};

use crate::world::*;

pub fn input(event: gatherhub_domain::EventId, title: &str) -> TaskInput {
    TaskInput {
        event: Some(event.get()),
        title: Some(title.to_owned()),
        ..TaskInput::default()
    }
}

#[tokio::test]
async fn a_going_member_creates_a_task_with_defaults() {
    let w = World::new();
    let org = w.user("org").await;
    let ann = w.user("ann").await;
    let event = w.public_event(&org).await;
    w.join(event, &ann).await;
    let mut body = input(event, "  Book the venue ");
    body.status = Some("done".to_owned());
    let view = w.app.tasks.create(&ann, body).await.unwrap();
    assert_eq!(view.task.title, "Book the venue");
    assert_eq!(view.task.description, "");
    assert_eq!(
        view.task.status,
        TaskStatus::Todo,
        "status is not writable on create"
    );
    assert_eq!(view.task.priority, Priority::Medium);
    assert_eq!(view.task.due_date, None);
    assert_eq!(view.task.completed_at, None);
    assert_eq!(view.assignee, None);
    assert_eq!(view.created_by.username, "ann");
    assert_eq!(view.task.event_id, event);
}

#[tokio::test]
async fn create_takes_every_optional_field() {
    let w = World::new();
    let org = w.user("org").await;
    let bob = w.user("bob").await;
    let event = w.public_event(&org).await;
    w.join(event, &bob).await;
    let due = w.now() + Duration::days(2);
    let body = TaskInput {
        description: Some("call them".to_owned()),
        priority: Some("urgent".to_owned()),
        due_date: Some(Some(due)),
        assignee_id: Some(Some(bob.user_id.get())),
        ..input(event, "Venue")
    };
    let view = w.app.tasks.create(&org, body).await.unwrap();
    assert_eq!(view.task.description, "call them");
    assert_eq!(view.task.priority, Priority::Urgent);
    assert_eq!(view.task.due_date, Some(due));
    assert_eq!(view.assignee.map(|a| a.username), Some("bob".to_owned()));
}

#[tokio::test]
async fn create_reports_every_bad_field_at_once() {
    let w = World::new();
    let org = w.user("org").await;
    let errors = fields(w.app.tasks.create(&org, TaskInput::default()).await);
    assert_eq!(errors["event"], vec!["This field is required."]);
    assert_eq!(errors["title"], vec!["This field is required."]);
    assert_eq!(errors.len(), 2);

    let event = w.public_event(&org).await;
    let body = TaskInput {
        description: Some("d".repeat(10_001)),
        priority: Some("whenever".to_owned()),
        assignee_id: Some(Some(0)),
        ..input(event, "   ")
    };
    let names = field_names(w.app.tasks.create(&org, body).await);
    assert_eq!(names, ["assignee_id", "description", "priority", "title"]);
    let long = fields(
        w.app
            .tasks
            .create(&org, input(event, &"t".repeat(201)))
            .await,
    );
    assert_eq!(
        long["title"],
        vec!["Ensure this field has no more than 200 characters."]
    );
    assert!(
        w.app
            .tasks
            .create(&org, input(event, &"t".repeat(200)))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn create_needs_a_visible_event_and_a_going_membership() {
    let w = World::new();
    let org = w.user("org").await;
    let outsider = w.user("out").await;
    let member = w.user("mem").await;
    let waiting = w.user("wait").await;
    let public = w.full_event(&org, &[&member], &waiting).await;
    let private = w.event(&org, Visibility::Private, None).await;

    let missing = fields(
        w.app
            .tasks
            .create(
                &org,
                TaskInput {
                    event: Some(987_654),
                    ..input(public, "x")
                },
            )
            .await,
    );
    assert_eq!(missing["event"], vec!["Invalid event."]);
    assert_eq!(
        field_names(w.app.tasks.create(&outsider, input(private, "x")).await),
        ["event"]
    );
    assert_forbidden(w.app.tasks.create(&outsider, input(public, "x")).await);
    assert_forbidden(w.app.tasks.create(&waiting, input(public, "x")).await);
    assert!(
        w.app
            .tasks
            .create(&member, input(public, "x"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_assignee_must_be_going() {
    let w = World::new();
    let org = w.user("org").await;
    let member = w.user("mem").await;
    let waiting = w.user("wait").await;
    let outsider = w.user("out").await;
    let event = w.full_event(&org, &[&member], &waiting).await;
    for user in [&waiting, &outsider] {
        let body = TaskInput {
            assignee_id: Some(Some(user.user_id.get())),
            ..input(event, "x")
        };
        let errors = fields(w.app.tasks.create(&org, body).await);
        assert_eq!(
            errors["assignee_id"],
            vec!["The assignee must be a going member of the event."]
        );
    }
    let body = TaskInput {
        assignee_id: Some(Some(987_654)),
        ..input(event, "x")
    };
    assert_eq!(
        field_names(w.app.tasks.create(&org, body).await),
        ["assignee_id"]
    );
    let body = TaskInput {
        assignee_id: Some(None),
        ..input(event, "x")
    };
    assert_eq!(w.app.tasks.create(&org, body).await.unwrap().assignee, None);
}

#[tokio::test]
async fn tasks_are_seen_by_going_members_and_staff_only() {
    let w = World::new();
    let org = w.user("org").await;
    let member = w.user("mem").await;
    let waiting = w.user("wait").await;
    let outsider = w.user("out").await;
    let staff = w.staff("staff").await;
    let event = w.full_event(&org, &[&member], &waiting).await;
    let id = w
        .app
        .tasks
        .create(&org, input(event, "x"))
        .await
        .unwrap()
        .task
        .id;
    for who in [&org, &member, &staff] {
        assert_eq!(w.app.tasks.get(who, id).await.unwrap().task.id, id);
    }
    for who in [&waiting, &outsider] {
        assert_not_found(w.app.tasks.get(who, id).await, "Task");
    }
    assert_not_found(w.app.tasks.get(&org, TaskId(987_654)).await, "Task");

    let private = w.event(&org, Visibility::Private, None).await;
    let hidden = w
        .app
        .tasks
        .create(&org, input(private, "secret"))
        .await
        .unwrap()
        .task
        .id;
    assert_not_found(w.app.tasks.get(&outsider, hidden).await, "Task");
    assert_not_found(w.app.tasks.delete(&outsider, hidden).await, "Task");
}

fn titles(page: gatherhub_domain::Page<gatherhub_ports::TaskView>) -> Vec<String> {
    page.items.into_iter().map(|v| v.task.title).collect()
}

#[tokio::test]
async fn the_list_shows_tasks_of_going_events_with_filters_and_orderings() {
    let w = World::new();
    let org = w.user("org").await;
    let ann = w.user("ann").await;
    let staff = w.staff("staff").await;
    let mine = w.public_event(&org).await;
    let other = w.public_event(&ann).await;
    w.join(mine, &ann).await;
    let now = w.now();
    let make = |title: &str,
                priority: &str,
                due: Option<i64>,
                assignee: Option<&gatherhub_app::Actor>| TaskInput {
        priority: Some(priority.to_owned()),
        due_date: Some(due.map(|d| now + Duration::days(d))),
        assignee_id: Some(assignee.map(|a| a.user_id.get())),
        description: Some(format!("about {title}")),
        ..input(mine, title)
    };
    w.app
        .tasks
        .create(&org, make("alpha", "low", Some(3), Some(&ann)))
        .await
        .unwrap();
    w.clock.advance(Duration::seconds(1));
    w.app
        .tasks
        .create(&org, make("beta", "urgent", Some(1), None))
        .await
        .unwrap();
    w.clock.advance(Duration::seconds(1));
    w.app
        .tasks
        .create(&org, make("gamma", "high", None, Some(&org)))
        .await
        .unwrap();
    w.app
        .tasks
        .create(&ann, input(other, "theirs"))
        .await
        .unwrap();

    let list = |who, input: TaskListInput| {
        let app = w.app.clone();
        async move { app.tasks.list(who, input).await }
    };
    let q = |f: fn(&mut TaskListInput)| {
        let mut input = TaskListInput::default();
        f(&mut input);
        input
    };
    assert_eq!(
        titles(list(&org, q(|_| {})).await.unwrap()),
        ["gamma", "beta", "alpha"]
    );
    assert_eq!(list(&ann, q(|_| {})).await.unwrap().total, 4);
    assert_eq!(list(&staff, q(|_| {})).await.unwrap().total, 4);
    let by = |o: &'static str| TaskListInput {
        ordering: Some(o.to_owned()),
        ..TaskListInput::default()
    };
    assert_eq!(
        titles(list(&org, by("priority")).await.unwrap()),
        ["alpha", "gamma", "beta"]
    );
    assert_eq!(
        titles(list(&org, by("-priority")).await.unwrap()),
        ["beta", "gamma", "alpha"]
    );
    assert_eq!(
        titles(list(&org, by("due_date")).await.unwrap()),
        ["beta", "alpha", "gamma"]
    );
    assert_eq!(
        titles(list(&org, by("created_at")).await.unwrap()),
        ["alpha", "beta", "gamma"]
    );
    assert_eq!(
        titles(
            list(&org, q(|i| i.assignee = Some("me".into())))
                .await
                .unwrap()
        ),
        ["gamma"]
    );
    assert_eq!(
        titles(
            list(&ann, q(|i| i.assignee = Some("me".into())))
                .await
                .unwrap()
        ),
        ["alpha"]
    );
    assert_eq!(
        titles(
            list(&org, q(|i| i.priority = Some("urgent".into())))
                .await
                .unwrap()
        ),
        ["beta"]
    );
    assert_eq!(
        titles(
            list(&org, q(|i| i.search = Some("ABOUT AL".into())))
                .await
                .unwrap()
        ),
        ["alpha"]
    );
    assert_eq!(
        list(&org, q(|i| i.status = Some("done".into())))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        list(&org, q(|i| i.status = Some(String::new())))
            .await
            .unwrap()
            .total,
        3
    );
    let window = TaskListInput {
        due_after: Some((now + Duration::days(2)).to_rfc3339()),
        ..TaskListInput::default()
    };
    assert_eq!(titles(list(&org, window).await.unwrap()), ["alpha"]);
    let window = TaskListInput {
        due_before: Some((now + Duration::days(2)).format("%Y-%m-%d").to_string()),
        event: Some(mine.get().to_string()),
        ..TaskListInput::default()
    };
    assert_eq!(titles(list(&ann, window).await.unwrap()), ["beta"]);
    let paged = TaskListInput {
        page: PageRequest::new(Some(2), Some(2)).unwrap(),
        ..TaskListInput::default()
    };
    let page = list(&org, paged).await.unwrap();
    assert_eq!((page.total, titles(page)), (3, vec!["alpha".to_owned()]));
}

#[tokio::test]
async fn bad_list_parameters_are_field_errors() {
    let w = World::new();
    let org = w.user("org").await;
    let input = TaskListInput {
        event: Some("abc".into()),
        status: Some("finished".into()),
        priority: Some("meh".into()),
        assignee: Some("you".into()),
        due_before: Some("tomorrow".into()),
        due_after: Some("2024-13-45".into()),
        ordering: Some("title".into()),
        ..TaskListInput::default()
    };
    let names = field_names(w.app.tasks.list(&org, input).await);
    assert_eq!(
        names,
        [
            "assignee",
            "due_after",
            "due_before",
            "event",
            "ordering",
            "priority",
            "status"
        ]
    );
}
