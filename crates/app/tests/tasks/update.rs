//! Updating and deleting tasks: who may change which field.

use chrono::Duration;
use gatherhub_app::tasks::TaskInput;
use gatherhub_domain::TaskId;
use gatherhub_domain::task::{Priority, TaskStatus};

use crate::create_read::input;
use crate::world::*;

/// An event with an organizer, a task creator, an assignee, another going
/// member and staff, and one task created by `creator` assigned to `assignee`.
pub struct Cast {
    pub w: World,
    pub org: gatherhub_app::Actor,
    pub creator: gatherhub_app::Actor,
    pub assignee: gatherhub_app::Actor,
    pub other: gatherhub_app::Actor,
    pub staff: gatherhub_app::Actor,
    pub event: gatherhub_domain::EventId,
    pub task: TaskId,
}

pub async fn cast() -> Cast {
    let w = World::new();
    let org = w.user("org").await;
    let creator = w.user("creator").await;
    let assignee = w.user("assignee").await;
    let other = w.user("other").await;
    let staff = w.staff("staff").await;
    let event = w.public_event(&org).await;
    for user in [&creator, &assignee, &other] {
        w.join(event, user).await;
    }
    let body = TaskInput {
        assignee_id: Some(Some(assignee.user_id.get())),
        ..input(event, "Task")
    };
    let task = w.app.tasks.create(&creator, body).await.unwrap().task.id;
    Cast {
        w,
        org,
        creator,
        assignee,
        other,
        staff,
        event,
        task,
    }
}

fn patch(f: impl FnOnce(&mut TaskInput)) -> TaskInput {
    let mut input = TaskInput::default();
    f(&mut input);
    input
}

#[tokio::test]
async fn managers_change_any_field() {
    let c = cast().await;
    let due = c.w.now() + Duration::days(1);
    for (who, title) in [
        (&c.org, "by org"),
        (&c.creator, "by creator"),
        (&c.staff, "by staff"),
    ] {
        let body = patch(|i| {
            i.title = Some(title.to_owned());
            i.priority = Some("high".to_owned());
            i.due_date = Some(Some(due));
            i.assignee_id = Some(Some(c.other.user_id.get()));
        });
        let view = c.w.app.tasks.update(who, c.task, body, true).await.unwrap();
        assert_eq!(view.task.title, title);
        assert_eq!(view.task.priority, Priority::High);
        assert_eq!(view.task.due_date, Some(due));
        assert_eq!(view.task.assignee_id, Some(c.other.user_id));
    }
    let view =
        c.w.app
            .tasks
            .update(&c.org, c.task, patch(|i| i.due_date = Some(None)), true)
            .await
            .unwrap();
    assert_eq!(view.task.due_date, None);
    assert_eq!(
        view.task.title, "by staff",
        "a PATCH leaves other fields alone"
    );
}

#[tokio::test]
async fn another_member_may_not_change_or_delete_the_task() {
    let c = cast().await;
    let body = patch(|i| i.status = Some("done".to_owned()));
    assert_forbidden(c.w.app.tasks.update(&c.other, c.task, body, true).await);
    assert_forbidden(c.w.app.tasks.delete(&c.other, c.task).await);
    assert_forbidden(c.w.app.tasks.delete(&c.assignee, c.task).await);
    assert_eq!(
        c.w.app.tasks.get(&c.org, c.task).await.unwrap().task.status,
        TaskStatus::Todo
    );
}

#[tokio::test]
async fn the_assignee_changes_the_status_only() {
    let c = cast().await;
    let app = &c.w.app.tasks;
    assert_forbidden(
        app.update(
            &c.assignee,
            c.task,
            patch(|i| i.title = Some("mine".into())),
            true,
        )
        .await,
    );
    assert_forbidden(
        app.update(
            &c.assignee,
            c.task,
            patch(|i| i.title = Some(String::new())),
            true,
        )
        .await,
    );
    let both = patch(|i| {
        i.status = Some("in_progress".into());
        i.priority = Some("urgent".into());
    });
    assert_forbidden(app.update(&c.assignee, c.task, both, true).await);
    // Sending the other fields back unchanged is not changing them.
    let echo = patch(|i| {
        i.title = Some("Task".into());
        i.priority = Some("medium".into());
        i.status = Some("in_progress".into());
        i.event = Some(987_654);
    });
    let view = app.update(&c.assignee, c.task, echo, true).await.unwrap();
    assert_eq!(view.task.status, TaskStatus::InProgress);
    assert_eq!(view.task.event_id, c.event);
    let errors = fields(
        app.update(
            &c.assignee,
            c.task,
            patch(|i| i.status = Some("finished".into())),
            true,
        )
        .await,
    );
    assert_eq!(
        errors["status"],
        vec!["\"finished\" is not a valid choice."]
    );
}

#[tokio::test]
async fn completed_at_follows_the_status() {
    let c = cast().await;
    let app = &c.w.app.tasks;
    let done = app
        .update(
            &c.assignee,
            c.task,
            patch(|i| i.status = Some("done".into())),
            true,
        )
        .await
        .unwrap();
    assert_eq!(done.task.completed_at, Some(c.w.now()));
    let first = done.task.completed_at;
    c.w.clock.advance(Duration::minutes(5));
    let again = app
        .update(
            &c.org,
            c.task,
            patch(|i| i.status = Some("done".into())),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        again.task.completed_at, first,
        "staying done keeps the time"
    );
    let reopened = app
        .update(
            &c.assignee,
            c.task,
            patch(|i| i.status = Some("todo".into())),
            true,
        )
        .await
        .unwrap();
    assert_eq!(reopened.task.completed_at, None);
}

#[tokio::test]
async fn put_requires_the_title_and_ignores_the_event() {
    let c = cast().await;
    let app = &c.w.app.tasks;
    let errors = fields(
        app.update(
            &c.org,
            c.task,
            patch(|i| i.priority = Some("low".into())),
            false,
        )
        .await,
    );
    assert_eq!(errors["title"], vec!["This field is required."]);
    let other_event = c.w.public_event(&c.org).await;
    let body = TaskInput {
        priority: Some("low".into()),
        ..input(other_event, "Renamed")
    };
    let view = app.update(&c.org, c.task, body, false).await.unwrap();
    assert_eq!(
        (view.task.title.as_str(), view.task.event_id),
        ("Renamed", c.event)
    );
    assert_eq!(view.task.priority, Priority::Low);
}

#[tokio::test]
async fn update_validates_every_field() {
    let c = cast().await;
    let waiting = c.w.user("late").await;
    let body = patch(|i| {
        i.title = Some("t".repeat(201));
        i.description = Some("d".repeat(10_001));
        i.priority = Some("asap".into());
        i.status = Some("closed".into());
        i.assignee_id = Some(Some(waiting.user_id.get()));
    });
    let names = field_names(c.w.app.tasks.update(&c.org, c.task, body, true).await);
    assert_eq!(
        names,
        ["assignee_id", "description", "priority", "status", "title"]
    );
    let unchanged = c.w.app.tasks.get(&c.org, c.task).await.unwrap();
    assert_eq!(unchanged.task.title, "Task");
}

#[tokio::test]
async fn managers_delete() {
    for who in 0..3 {
        let c = cast().await;
        let actor = [&c.org, &c.creator, &c.staff][who];
        c.w.app.tasks.delete(actor, c.task).await.unwrap();
        assert_not_found(c.w.app.tasks.get(&c.org, c.task).await, "Task");
        assert_not_found(c.w.app.tasks.delete(actor, c.task).await, "Task");
    }
}
