//! `TaskRepo`: tasks of events, whose assignee must be a going member when
//! assigned, and the task list (visible to going members and staff).

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
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
use crate::sql::{fold, gh_contains, micros};
use crate::users::found;

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

/// The views of `tasks`, in order: one query for every user they name.
fn task_views(conn: &mut SqliteConnection, tasks: Vec<Task>) -> Tx<Vec<TaskView>> {
    let users = summaries(
        conn,
        tasks
            .iter()
            .flat_map(|t| [Some(t.created_by), t.assignee_id])
            .flatten(),
    )?;
    tasks
        .into_iter()
        .map(|task| {
            Ok(TaskView {
                assignee: task
                    .assignee_id
                    .map(|id| summary_of(&users, id))
                    .transpose()?,
                created_by: summary_of(&users, task.created_by)?,
                task,
            })
        })
        .collect()
}

fn task_by_id(conn: &mut SqliteConnection, id: TaskId) -> Tx<Option<Task>> {
    tasks::table
        .find(id.get())
        .select(TaskRow::as_select())
        .first(conn)
        .optional()?
        .map(TaskRow::into_task)
        .transpose()
}

fn one_view(conn: &mut SqliteConnection, task: Task) -> Tx<TaskView> {
    task_views(conn, vec![task])?
        .pop()
        .ok_or_else(|| Fail::corrupt("a task without its view"))
}

type TasksQuery = tasks::BoxedQuery<'static, Sqlite>;

/// The tasks of events where the actor is a going member (every task for
/// staff) that pass every filter.
fn filtered(query: &TaskQuery) -> TasksQuery {
    let filter = &query.filter;
    let mut q = tasks::table.into_boxed();
    if !query.actor.is_staff {
        q = q.filter(
            tasks::event_id.eq_any(
                memberships::table
                    .filter(memberships::user_id.eq(query.actor.user_id.get()))
                    .filter(memberships::status.eq(GOING))
                    .select(memberships::event_id),
            ),
        );
    }
    if let Some(event) = filter.event {
        q = q.filter(tasks::event_id.eq(event.get()));
    }
    if let Some(status) = filter.status {
        q = q.filter(tasks::status.eq(status.as_str()));
    }
    if let Some(priority) = filter.priority {
        q = q.filter(tasks::priority.eq(priority.rank()));
    }
    if let Some(assignee) = filter.assignee {
        q = q.filter(tasks::assignee_id.eq(assignee.get()));
    }
    // NULL compares to nothing: tasks without a due date never match.
    if let Some(before) = filter.due_before {
        q = q.filter(tasks::due_date.lt(micros(before)));
    }
    if let Some(after) = filter.due_after {
        q = q.filter(tasks::due_date.gt(micros(after)));
    }
    if let Some(search) = &filter.search {
        let needle = fold(search);
        q = q.filter(
            gh_contains(tasks::title, needle.clone()).or(gh_contains(tasks::description, needle)),
        );
    }
    q
}

/// Tasks without a due date come last in both due-date orders.
fn ordered(q: TasksQuery, ordering: TaskOrdering) -> TasksQuery {
    let undated_last = tasks::due_date.is_null().asc();
    match ordering {
        TaskOrdering::DueDate => q.order((undated_last, tasks::due_date.asc(), tasks::id.asc())),
        TaskOrdering::DueDateDesc => {
            q.order((undated_last, tasks::due_date.desc(), tasks::id.desc()))
        }
        TaskOrdering::Priority => q.order((tasks::priority.asc(), tasks::id.asc())),
        TaskOrdering::PriorityDesc => q.order((tasks::priority.desc(), tasks::id.desc())),
        TaskOrdering::CreatedAt => q.order((tasks::created_at.asc(), tasks::id.asc())),
        TaskOrdering::CreatedAtDesc => q.order((tasks::created_at.desc(), tasks::id.desc())),
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
        self.db
            .read(move |conn| {
                task_by_id(conn, id)?
                    .map(|task| one_view(conn, task))
                    .transpose()
            })
            .await
    }

    async fn list_tasks(&self, query: TaskQuery) -> RepoResult<Page<TaskView>> {
        self.db
            .read(move |conn| {
                let total: i64 = filtered(&query).count().get_result(conn)?;
                let rows: Vec<TaskRow> = ordered(filtered(&query), query.ordering)
                    .offset(i64::try_from(query.page.offset()).unwrap_or(i64::MAX))
                    .limit(i64::try_from(query.page.limit()).unwrap_or(i64::MAX))
                    .select(TaskRow::as_select())
                    .load(conn)?;
                let tasks = rows
                    .into_iter()
                    .map(TaskRow::into_task)
                    .collect::<Tx<Vec<_>>>()?;
                Ok(Page {
                    total: u64::try_from(total).unwrap_or_default(),
                    items: task_views(conn, tasks)?,
                })
            })
            .await
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
                one_view(conn, next)
            })
            .await
    }

    async fn delete_task(&self, id: TaskId) -> RepoResult<()> {
        self.db
            .write(move |conn| found(diesel::delete(tasks::table.find(id.get())).execute(conn)?))
            .await
    }
}
