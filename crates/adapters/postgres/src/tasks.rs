//! `TaskRepo`: tasks of events. An assignee must be a going member when the
//! task is written; the check runs under a share lock on the event row, which
//! excludes a concurrent leave (it holds the row exclusively), so the answer
//! cannot go stale before commit. Locks are taken event first, then task, as
//! `leave_event` takes them, so the two never deadlock.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gatherhub_domain::task::{NewTask, TaskChanges, TaskStatus};
use gatherhub_domain::{EventId, Page, TaskId, UserId, ValidationError};
use gatherhub_ports::{
    Conflict, RepoError, RepoResult, TaskOrdering, TaskQuery, TaskRepo, TaskView,
};

use crate::PgStore;
use crate::error::{ASSIGNEE_NOT_GOING, Fail};
use crate::event_list::Total;
use crate::models::{self, TaskRow, TaskValues};
use crate::schema::{events, memberships, tasks};
use crate::sql::{Bind, Rows, Sql, fixed_statement, limit_offset};
use crate::views::{self, TaskViewRow};

fixed_statement!(
    /// [`load_task_view`]'s statement: the same text for every task.
    TaskById
);

/// The statement of [`load_task_view`].
pub(crate) fn task_by_id(id: TaskId) -> Rows<views::TaskViewSql, TaskById> {
    let mut sql = views::task_view(|s| {
        s.push("tasks");
    });
    sql.push(" WHERE t.id = ").bind(Bind::Int(id.get()));
    sql.fixed_rows()
}

async fn load_task_view(
    conn: &mut AsyncPgConnection,
    id: TaskId,
) -> Result<Option<TaskView>, Fail> {
    let row = task_by_id(id)
        .get_result::<TaskViewRow>(conn)
        .await
        .optional()?;
    Ok(row.map(TaskViewRow::into_view).transpose()?)
}

/// Share-locks the event row; `NotFound` when the event is gone.
async fn share_event(conn: &mut AsyncPgConnection, id: EventId) -> Result<(), Fail> {
    let found: Option<i64> = events::table
        .find(id.get())
        .select(events::id)
        .for_share()
        .first(conn)
        .await
        .optional()?;
    found.map(|_| ()).ok_or(Fail::Repo(RepoError::NotFound))
}

async fn check_going(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> Result<(), Fail> {
    let going: bool = diesel::select(diesel::dsl::exists(
        memberships::table
            .find((event.get(), user.get()))
            .filter(memberships::status.eq("going")),
    ))
    .get_result(conn)
    .await?;
    if going {
        Ok(())
    } else {
        Err(ValidationError::new("assignee_id", ASSIGNEE_NOT_GOING).into())
    }
}

#[async_trait::async_trait]
impl TaskRepo for PgStore {
    async fn create_task(
        &self,
        task: NewTask,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView> {
        self.transaction(async |conn| {
            share_event(conn, task.event_id).await?;
            if let Some(assignee) = task.assignee_id {
                check_going(conn, task.event_id, assignee).await?;
            }
            let id: i64 = diesel::insert_into(tasks::table)
                .values((
                    tasks::event_id.eq(task.event_id.get()),
                    tasks::title.eq(task.title.as_str()),
                    tasks::description.eq(task.description.as_str()),
                    tasks::status.eq(TaskStatus::Todo.as_str()),
                    tasks::priority.eq(task.priority.rank()),
                    tasks::due_date.eq(task.due_date),
                    tasks::assignee_id.eq(task.assignee_id.map(UserId::get)),
                    tasks::created_by.eq(created_by.get()),
                    tasks::created_at.eq(now),
                    tasks::updated_at.eq(now),
                ))
                .returning(tasks::id)
                .get_result(conn)
                .await?;
            load_task_view(conn, TaskId(id))
                .await?
                .ok_or_else(|| RepoError::NotFound.into())
        })
        .await
    }

    async fn get_task(&self, id: TaskId) -> RepoResult<Option<TaskView>> {
        self.run(async |conn| load_task_view(conn, id).await).await
    }

    async fn list_tasks(&self, query: TaskQuery) -> RepoResult<Page<TaskView>> {
        self.run(async |conn| {
            let mut count = Sql::new("SELECT count(*) AS total FROM tasks t");
            conditions(&mut count, &query);
            let total = models::count(count.get_result::<Total>(conn).await?.total)?;
            if query.page.offset() >= total {
                return Ok(Page {
                    total,
                    items: Vec::new(),
                });
            }
            let order = order_by(query.ordering);
            let mut sql = views::task_view(|s| {
                s.push("(SELECT t.* FROM tasks t");
                conditions(s, &query);
                s.push(" ORDER BY ").push(order);
                limit_offset(s, &query.page);
                s.push(")");
            });
            sql.push(" ORDER BY ").push(order);
            let rows: Vec<TaskViewRow> = sql.rows::<views::TaskViewSql>().load(conn).await?;
            let items = rows
                .into_iter()
                .map(TaskViewRow::into_view)
                .collect::<RepoResult<Vec<_>>>()?;
            Ok(Page { total, items })
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
        self.transaction(async |conn| {
            // A task never moves to another event, so its event can be read
            // before anything is locked.
            let event: Option<i64> = tasks::table
                .find(id.get())
                .select(tasks::event_id)
                .first(conn)
                .await
                .optional()?;
            let event = EventId(event.ok_or(Fail::Repo(RepoError::NotFound))?);
            if let Some(Some(assignee)) = changes.assignee_id {
                share_event(conn, event).await?;
                check_going(conn, event, assignee).await?;
            }
            let current: Option<TaskRow> = tasks::table
                .find(id.get())
                .for_no_key_update()
                .select(TaskRow::as_select())
                .first(conn)
                .await
                .optional()?;
            let current = current
                .ok_or(Fail::Repo(RepoError::NotFound))?
                .into_task()?;
            if !changes.precondition_holds(&current) {
                return Err(Fail::Repo(Conflict::TaskAssigned.into()));
            }
            let next = changes.apply(&current, now);
            diesel::update(tasks::table.find(id.get()))
                .set(TaskValues::from(&next))
                .execute(conn)
                .await?;
            load_task_view(conn, id)
                .await?
                .ok_or_else(|| RepoError::NotFound.into())
        })
        .await
    }

    async fn delete_task(&self, id: TaskId) -> RepoResult<()> {
        self.run(async |conn| {
            let deleted = diesel::delete(tasks::table.find(id.get()))
                .execute(conn)
                .await?;
            if deleted == 0 {
                return Err(RepoError::NotFound.into());
            }
            Ok(())
        })
        .await
    }
}

/// The `WHERE` clause over `tasks t`: the actor's going memberships (staff
/// see everything), then every filter.
fn conditions(sql: &mut Sql, query: &TaskQuery) {
    sql.push(" WHERE true");
    if !query.actor.is_staff {
        sql.push(
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.event_id = t.event_id \
             AND m.status = 'going' AND m.user_id = ",
        )
        .bind(Bind::Int(query.actor.user_id.get()))
        .push(")");
    }
    let filter = &query.filter;
    if let Some(event) = filter.event {
        sql.push(" AND t.event_id = ").bind(Bind::Int(event.get()));
    }
    if let Some(status) = filter.status {
        sql.push(" AND t.status = ")
            .bind(Bind::Text(status.as_str().to_owned()));
    }
    if let Some(priority) = filter.priority {
        sql.push(" AND t.priority = ")
            .bind(Bind::Small(priority.rank()));
    }
    if let Some(assignee) = filter.assignee {
        sql.push(" AND t.assignee_id = ")
            .bind(Bind::Int(assignee.get()));
    }
    if let Some(before) = filter.due_before {
        sql.push(" AND t.due_date < ").bind(Bind::Time(before));
    }
    if let Some(after) = filter.due_after {
        sql.push(" AND t.due_date > ").bind(Bind::Time(after));
    }
    if let Some(search) = &filter.search {
        let needle = sql.param(Bind::Text(search.clone()));
        sql.push(&format!(
            " AND (strpos(lower(t.title), lower({needle})) > 0 \
             OR strpos(lower(t.description), lower({needle})) > 0)"
        ));
    }
}

/// Each ordering with the id tie-breaker in its direction; tasks without a
/// due date come last both ways.
fn order_by(ordering: TaskOrdering) -> &'static str {
    match ordering {
        TaskOrdering::DueDate => "t.due_date ASC NULLS LAST, t.id ASC",
        TaskOrdering::DueDateDesc => "t.due_date DESC NULLS LAST, t.id DESC",
        TaskOrdering::Priority => "t.priority ASC, t.id ASC",
        TaskOrdering::PriorityDesc => "t.priority DESC, t.id DESC",
        TaskOrdering::CreatedAt => "t.created_at ASC, t.id ASC",
        TaskOrdering::CreatedAtDesc => "t.created_at DESC, t.id DESC",
    }
}
