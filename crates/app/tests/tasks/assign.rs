//! Assigning, claiming and completing tasks.

use chrono::Duration;
use gatherhub_app::tasks::AssignInput;
use gatherhub_domain::task::TaskStatus;

use crate::create_read::input;
use crate::update::cast;
use crate::world::*;

fn to(id: Option<i64>) -> AssignInput {
    AssignInput {
        assignee_id: Some(id),
    }
}

#[tokio::test]
async fn managers_assign_any_going_member_or_nobody() {
    let c = cast().await;
    let app = &c.w.app.tasks;
    for who in [&c.org, &c.creator, &c.staff] {
        let view = app
            .assign(who, c.task, to(Some(c.other.user_id.get())))
            .await
            .unwrap();
        assert_eq!(view.assignee.map(|a| a.username), Some("other".to_owned()));
        let view = app.assign(who, c.task, to(None)).await.unwrap();
        assert_eq!(view.task.assignee_id, None);
    }
    let outsider = c.w.user("outsider").await;
    let errors = fields(
        app.assign(&c.org, c.task, to(Some(outsider.user_id.get())))
            .await,
    );
    assert_eq!(
        errors["assignee_id"],
        vec!["The assignee must be a going member of the event."]
    );
    assert_eq!(
        field_names(app.assign(&c.org, c.task, to(Some(-3))).await),
        ["assignee_id"]
    );
}

#[tokio::test]
async fn a_going_member_claims_an_unassigned_task_for_themselves() {
    let c = cast().await;
    let app = &c.w.app.tasks;
    // Assigned to someone else: no claiming (409, as when losing a race).
    assert_task_claimed(app.assign(&c.other, c.task, AssignInput::default()).await);
    app.assign(&c.org, c.task, to(None)).await.unwrap();
    // Not for somebody else, and not unassigning.
    assert_forbidden(
        app.assign(&c.other, c.task, to(Some(c.assignee.user_id.get())))
            .await,
    );
    assert_forbidden(app.assign(&c.other, c.task, to(None)).await);
    let view = app
        .assign(&c.other, c.task, AssignInput::default())
        .await
        .unwrap();
    assert_eq!(view.task.assignee_id, Some(c.other.user_id));
    // Claiming it again changes nothing.
    let again = app
        .assign(&c.other, c.task, to(Some(c.other.user_id.get())))
        .await
        .unwrap();
    assert_eq!(again.task.assignee_id, Some(c.other.user_id));
    // Nobody else may take it over.
    assert_task_claimed(
        app.assign(&c.assignee, c.task, AssignInput::default())
            .await,
    );

    app.assign(&c.org, c.task, to(None)).await.unwrap();
    let view = app
        .assign(&c.assignee, c.task, to(Some(c.assignee.user_id.get())))
        .await
        .unwrap();
    assert_eq!(view.task.assignee_id, Some(c.assignee.user_id));
}

#[tokio::test]
async fn non_going_users_cannot_see_let_alone_claim() {
    let w = World::new();
    let org = w.user("org").await;
    let member = w.user("mem").await;
    let waiting = w.user("wait").await;
    let event = w.full_event(&org, &[&member], &waiting).await;
    let task = w
        .app
        .tasks
        .create(&org, input(event, "x"))
        .await
        .unwrap()
        .task
        .id;
    assert_not_found(
        w.app
            .tasks
            .assign(&waiting, task, AssignInput::default())
            .await,
        "Task",
    );
    assert_not_found(w.app.tasks.complete(&waiting, task).await, "Task");
}

#[tokio::test]
async fn the_assignee_creator_organizer_and_staff_complete() {
    for who in 0..4 {
        let c = cast().await;
        let actor = [&c.assignee, &c.creator, &c.org, &c.staff][who];
        let view = c.w.app.tasks.complete(actor, c.task).await.unwrap();
        assert_eq!(view.task.status, TaskStatus::Done);
        assert_eq!(view.task.completed_at, Some(c.w.now()));
    }
}

#[tokio::test]
async fn completing_is_idempotent_and_not_for_others() {
    let c = cast().await;
    let app = &c.w.app.tasks;
    assert_forbidden(app.complete(&c.other, c.task).await);
    let first = app.complete(&c.assignee, c.task).await.unwrap();
    c.w.clock.advance(Duration::hours(1));
    let second = app.complete(&c.assignee, c.task).await.unwrap();
    assert_eq!(second.task.completed_at, first.task.completed_at);
    assert_eq!(
        second.task.updated_at, first.task.updated_at,
        "nothing was written"
    );
}

#[track_caller]
fn assert_task_claimed(result: gatherhub_app::AppResult<gatherhub_ports::TaskView>) {
    match result {
        Err(gatherhub_app::AppError::Conflict { code, .. }) => {
            assert_eq!(code, gatherhub_app::ConflictCode::Conflict);
        }
        other => panic!("expected a 409 conflict, got {other:?}"),
    }
}
