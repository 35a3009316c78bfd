//! `TaskRepo`: tasks of events, whose assignee must be a going member when
//! assigned, and the task list (visible to going members and staff).

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use gatherhub_domain::task::{NewTask, Task, TaskChanges, TaskStatus};
use gatherhub_domain::{EventId, Page, TaskId, UserId, ValidationError};
use gatherhub_ports::{
    Conflict, RepoError, RepoResult, TaskOrdering, TaskQuery, TaskRepo, TaskView,
};

use crate::SqliteStore;
use crate::error::{Fail, Tx};
use crate::event_list::{summaries, summary_of};
use crate::rows::{GOING, TaskRow};
use crate::schema::{events, memberships, tasks};
use crate::sql::{Bind, Sql, fold, micros};
use crate::users::found;
use crate::views::{TaskViewRow, load_page, task_view};

#[derive(Insertable)]
#[diesel(table_name = tasks)]
struct NewTaskRow {
    event_id: i64,
    title: String,
    description: String,
    status: &'static str,
    priority: i16,
    due_date: Option<i64>,
    assignee_id: Option<i64>,
    created_by: i64,
    created_at: i64,
    updated_at: i64,
}

/// Every writable column: the new state is computed by the domain
/// (`TaskChanges::apply`) and written whole, `None` as NULL.
#[derive(AsChangeset)]
#[diesel(table_name = tasks, treat_none_as_null = true)]
struct TaskUpdate {
    title: String,
    description: String,
    status: &'static str,
    priority: i16,
    due_date: Option<i64>,
    assignee_id: Option<i64>,
    completed_at: Option<i64>,
    updated_at: i64,
}

/// An assignee, when there is one, is a going member of the event now.
fn check_assignee(conn: &mut SqliteConnection, event: EventId, assignee: Option<UserId>) -> Tx<()> {
    let Some(user) = assignee else {
        return Ok(());
    };
    let going = memberships::table
        .filter(memberships::event_id.eq(event.get()))
        .filter(memberships::user_id.eq(user.get()))
        .filter(memberships::status.eq(GOING));
    if diesel::select(exists(going)).get_result(conn)? {
        Ok(())
    } else {
        Err(ValidationError::new(
            "assignee_id",
            "The assignee must be a going member of the event.",
        )
        .into())
    }
}

fn task_by_id(conn: &mut SqliteConnection, id: TaskId) -> Tx<Option<Task>> {
    tasks::table
        .find(id.get())
        .select(TaskRow::as_select())
        .get_result(conn)
        .optional()?
        .map(TaskRow::into_task)
        .transpose()
}

/// The view of task `id`: one statement.
fn task_view_of(conn: &mut SqliteConnection, id: TaskId) -> Tx<Option<TaskView>> {
    let mut sql = Sql::default();
    task_view(
        &mut sql,
        |_| {},
        |s| {
            s.push("tasks");
        },
    );
    sql.push(" WHERE t.id = ").bind(Bind::Int(id.get()));
    sql.get_result::<TaskViewRow>(conn)
        .optional()?
        .map(TaskViewRow::into_view)
        .transpose()
}

/// `list_tasks`: one statement, the page's views with the size of the
/// filtered list (a count subquery); an empty page past the first costs a
/// count as well.
fn list(conn: &mut SqliteConnection, query: &TaskQuery) -> Tx<Page<TaskView>> {
    let order = order_by(query.ordering);
    let (total, rows) = load_page::<TaskViewRow>(
        conn,
        ("tasks", "t"),
        order,
        &query.page,
        |s| conditions(s, query),
        |s, total, rows| task_view(s, total, rows),
    )?;
    Ok(Page {
        total,
        items: rows
            .into_iter()
            .map(TaskViewRow::into_view)
            .collect::<Tx<_>>()?,
    })
}

/// The `WHERE` clause over `tasks t`: the tasks of events where the actor
/// is a going member (every task for staff) that pass every filter.
fn conditions(sql: &mut Sql, query: &TaskQuery) {
    sql.push(" WHERE 1");
    let filter = &query.filter;
    // Correlated (a primary-key probe per task), as the PostgreSQL adapter
    // does: an `IN (SELECT ...)` would gather every event of the actor
    // first, twice (page and count), through an index that lacks event_id.
    if !query.actor.is_staff {
        sql.push(
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.event_id = t.event_id \
             AND m.user_id = ",
        )
        .bind(Bind::Int(query.actor.user_id.get()))
        .push(" AND m.status = 'going')");
    }
    if let Some(event) = filter.event {
        sql.push(" AND t.event_id = ").bind(Bind::Int(event.get()));
    }
    if let Some(status) = filter.status {
        sql.push(" AND t.status = ")
            .bind(Bind::Text(status.as_str().to_owned()));
    }
    if let Some(priority) = filter.priority {
        sql.push(" AND t.priority = ")
            .bind(Bind::Int(priority.rank().into()));
    }
    if let Some(assignee) = filter.assignee {
        sql.push(" AND t.assignee_id = ")
            .bind(Bind::Int(assignee.get()));
    }
    // NULL compares to nothing: tasks without a due date never match.
    if let Some(before) = filter.due_before {
        sql.push(" AND t.due_date < ")
            .bind(Bind::Int(micros(before)));
    }
    if let Some(after) = filter.due_after {
        sql.push(" AND t.due_date > ")
            .bind(Bind::Int(micros(after)));
    }
    if let Some(search) = &filter.search {
        let needle = || Bind::Text(fold(search));
        sql.push(" AND (gh_contains(t.title, ")
            .bind(needle())
            .push(") OR gh_contains(t.description, ")
            .bind(needle())
            .push("))");
    }
}

/// Each ordering with the id tie-breaker; tasks without a due date come
/// last in both due-date orders.
fn order_by(ordering: TaskOrdering) -> &'static str {
    match ordering {
        TaskOrdering::DueDate => "t.due_date IS NULL ASC, t.due_date ASC, t.id ASC",
        TaskOrdering::DueDateDesc => "t.due_date IS NULL ASC, t.due_date DESC, t.id DESC",
        TaskOrdering::Priority => "t.priority ASC, t.id ASC",
        TaskOrdering::PriorityDesc => "t.priority DESC, t.id DESC",
        TaskOrdering::CreatedAt => "t.created_at ASC, t.id ASC",
        TaskOrdering::CreatedAtDesc => "t.created_at DESC, t.id DESC",
    }
}

#[async_trait::async_trait]
impl TaskRepo for SqliteStore {
    /// Checks in the in-memory store's order: the event, the creator, then
    /// the assignee.
    async fn create_task(
        &self,
        task: NewTask,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView> {
        self.db
            .write(move |conn| {
                let event = events::table.find(task.event_id.get());
                if !diesel::select(exists(event)).get_result::<bool>(conn)? {
                    return Err(RepoError::NotFound.into());
                }
                let users = summaries(
                    conn,
                    [Some(created_by), task.assignee_id].into_iter().flatten(),
                )?;
                let creator = users
                    .get(&created_by)
                    .cloned()
                    .ok_or(Fail::Repo(RepoError::NotFound))?;
                check_assignee(conn, task.event_id, task.assignee_id)?;
                let row = NewTaskRow {
                    event_id: task.event_id.get(),
                    title: task.title.into_inner(),
                    description: task.description.into_inner(),
                    status: TaskStatus::Todo.as_str(),
                    priority: task.priority.rank(),
                    due_date: task.due_date.map(micros),
                    assignee_id: task.assignee_id.map(UserId::get),
                    created_by: created_by.get(),
                    created_at: micros(now),
                    updated_at: micros(now),
                };
                let stored = diesel::insert_into(tasks::table)
                    .values(row)
                    .returning(TaskRow::as_returning())
                    .get_result(conn)?
                    .into_task()?;
                Ok(TaskView {
                    assignee: stored
                        .assignee_id
                        .map(|id| summary_of(&users, id))
                        .transpose()?,
                    created_by: creator,
                    task: stored,
                })
            })
            .await
    }

    async fn get_task(&self, id: TaskId) -> RepoResult<Option<TaskView>> {
        self.db.read(move |conn| task_view_of(conn, id)).await
    }

    async fn list_tasks(&self, query: TaskQuery) -> RepoResult<Page<TaskView>> {
        self.db.read(move |conn| list(conn, &query)).await
    }

    /// Only an assignee given in `changes` is checked: a task is not refused
    /// unrelated changes because its current assignee has since left.
    async fn update_task(
        &self,
        id: TaskId,
        changes: TaskChanges,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView> {
        self.db
            .write(move |conn| {
                let current = task_by_id(conn, id)?.ok_or(Fail::Repo(RepoError::NotFound))?;
                if !changes.precondition_holds(&current) {
                    return Err(Fail::Repo(Conflict::TaskAssigned.into()));
                }
                if let Some(assignee) = changes.assignee_id {
                    check_assignee(conn, current.event_id, assignee)?;
                }
                let next = changes.apply(&current, now);
                diesel::update(tasks::table.find(id.get()))
                    .set(TaskUpdate {
                        title: next.title.clone(),
                        description: next.description.clone(),
                        status: next.status.as_str(),
                        priority: next.priority.rank(),
                        due_date: next.due_date.map(micros),
                        assignee_id: next.assignee_id.map(UserId::get),
                        completed_at: next.completed_at.map(micros),
                        updated_at: micros(next.updated_at),
                    })
                    .execute(conn)?;
                // The task as the domain computed it (the stored row is the
                // same, at microsecond precision), with its users as stored.
                let view = task_view_of(conn, id)?
                    .ok_or_else(|| Fail::corrupt("an updated task without its view"))?;
                Ok(TaskView { task: next, ..view })
            })
            .await
    }

    async fn delete_task(&self, id: TaskId) -> RepoResult<()> {
        self.db
            .write(move |conn| found(diesel::delete(tasks::table.find(id.get())).execute(conn)?))
            .await
    }
}
