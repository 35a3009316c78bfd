//! Rows of the tables as diesel reads and writes them, and their conversion
//! into domain values. A stored value the domain refuses (an unknown status,
//! a capacity out of range) means a corrupt row: `RepoError::Unknown`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gatherhub_domain::event::{Capacity, Event, Visibility};
use gatherhub_domain::membership::{MemberStatus, Role};
use gatherhub_domain::task::{Priority, Task, TaskStatus};
use gatherhub_domain::user::{User, UserSummary};
use gatherhub_domain::{EventId, TaskId, UserId};
use gatherhub_ports::{RepoError, RepoResult, Session};

use crate::schema::{events, sessions, tasks, users};

pub(crate) fn corrupt(what: impl std::fmt::Display) -> RepoError {
    RepoError::unknown(format!("corrupt row: {what}"))
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UserRow {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) bio: String,
    pub(crate) avatar_url: Option<String>,
    pub(crate) is_staff: bool,
    pub(crate) is_active: bool,
    pub(crate) date_joined: DateTime<Utc>,
    pub(crate) last_login: Option<DateTime<Utc>>,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            first_name: row.first_name,
            last_name: row.last_name,
            bio: row.bio,
            avatar_url: row.avatar_url,
            is_staff: row.is_staff,
            is_active: row.is_active,
            date_joined: row.date_joined,
            last_login: row.last_login,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct NewUserRow<'a> {
    pub(crate) username: &'a str,
    pub(crate) email: &'a str,
    pub(crate) password_hash: &'a str,
    pub(crate) first_name: &'a str,
    pub(crate) last_name: &'a str,
    pub(crate) is_staff: bool,
    pub(crate) date_joined: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub(crate) struct SessionRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) user_id: i64,
    pub(crate) refresh_jti: &'a str,
    pub(crate) revoked: bool,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
}

impl<'a> From<&'a Session> for SessionRow<'a> {
    fn from(session: &'a Session) -> Self {
        Self {
            id: &session.id,
            user_id: session.user_id.get(),
            refresh_jti: &session.refresh_jti,
            revoked: session.revoked,
            created_at: session.created_at,
            expires_at: session.expires_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
pub(crate) struct EventRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) date: DateTime<Utc>,
    pub(crate) end_date: Option<DateTime<Utc>>,
    pub(crate) location: String,
    pub(crate) max_participants: Option<i32>,
    pub(crate) visibility: String,
    pub(crate) cancelled: bool,
    pub(crate) organizer_id: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl EventRow {
    pub(crate) fn into_event(self) -> RepoResult<Event> {
        Ok(Event {
            id: EventId(self.id),
            title: self.title,
            description: self.description,
            date: self.date,
            end_date: self.end_date,
            location: self.location,
            max_participants: capacity(self.max_participants)?,
            visibility: visibility(&self.visibility)?,
            cancelled: self.cancelled,
            organizer_id: UserId(self.organizer_id),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The writable columns of an event, for inserts and whole-row updates.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
pub(crate) struct EventValues<'a> {
    pub(crate) title: &'a str,
    pub(crate) description: &'a str,
    pub(crate) date: DateTime<Utc>,
    pub(crate) end_date: Option<DateTime<Utc>>,
    pub(crate) location: &'a str,
    pub(crate) max_participants: Option<i32>,
    pub(crate) visibility: &'a str,
    pub(crate) cancelled: bool,
    pub(crate) updated_at: DateTime<Utc>,
}

impl<'a> From<&'a Event> for EventValues<'a> {
    fn from(event: &'a Event) -> Self {
        Self {
            title: &event.title,
            description: &event.description,
            date: event.date,
            end_date: event.end_date,
            location: &event.location,
            max_participants: event.max_participants.map(capacity_value),
            visibility: event.visibility.as_str(),
            cancelled: event.cancelled,
            updated_at: event.updated_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = tasks, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TaskRow {
    pub(crate) id: i64,
    pub(crate) event_id: i64,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) status: String,
    pub(crate) priority: i16,
    pub(crate) due_date: Option<DateTime<Utc>>,
    pub(crate) assignee_id: Option<i64>,
    pub(crate) created_by: i64,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl TaskRow {
    pub(crate) fn into_task(self) -> RepoResult<Task> {
        Ok(Task {
            id: TaskId(self.id),
            event_id: EventId(self.event_id),
            title: self.title,
            description: self.description,
            status: task_status(&self.status)?,
            priority: Priority::from_rank(self.priority)
                .ok_or_else(|| corrupt(format!("priority {}", self.priority)))?,
            due_date: self.due_date,
            assignee_id: self.assignee_id.map(UserId),
            created_by: UserId(self.created_by),
            completed_at: self.completed_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns a task update may change.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tasks, treat_none_as_null = true)]
pub(crate) struct TaskValues<'a> {
    pub(crate) title: &'a str,
    pub(crate) description: &'a str,
    pub(crate) status: &'a str,
    pub(crate) priority: i16,
    pub(crate) due_date: Option<DateTime<Utc>>,
    pub(crate) assignee_id: Option<i64>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl<'a> From<&'a Task> for TaskValues<'a> {
    fn from(task: &'a Task) -> Self {
        Self {
            title: &task.title,
            description: &task.description,
            status: task.status.as_str(),
            priority: task.priority.rank(),
            due_date: task.due_date,
            assignee_id: task.assignee_id.map(UserId::get),
            completed_at: task.completed_at,
            updated_at: task.updated_at,
        }
    }
}

pub(crate) fn summary(
    id: i64,
    username: String,
    first_name: String,
    last_name: String,
) -> UserSummary {
    UserSummary {
        id: UserId(id),
        username,
        first_name,
        last_name,
    }
}

pub(crate) fn capacity(stored: Option<i32>) -> RepoResult<Option<Capacity>> {
    stored
        .map(|value| {
            Capacity::new(i64::from(value)).map_err(|_| corrupt(format!("capacity {value}")))
        })
        .transpose()
}

/// Capacities are at most 100 000, so they always fit.
pub(crate) fn capacity_value(capacity: Capacity) -> i32 {
    i32::try_from(capacity.get()).unwrap_or(i32::MAX)
}

pub(crate) fn visibility(stored: &str) -> RepoResult<Visibility> {
    Visibility::parse(stored).map_err(|_| corrupt(format!("visibility {stored:?}")))
}

pub(crate) fn task_status(stored: &str) -> RepoResult<TaskStatus> {
    TaskStatus::parse("status", stored).map_err(|_| corrupt(format!("task status {stored:?}")))
}

pub(crate) fn role(stored: &str) -> RepoResult<Role> {
    match stored {
        "organizer" => Ok(Role::Organizer),
        "member" => Ok(Role::Member),
        other => Err(corrupt(format!("role {other:?}"))),
    }
}

pub(crate) fn member_status(stored: &str) -> RepoResult<MemberStatus> {
    match stored {
        "going" => Ok(MemberStatus::Going),
        "waitlisted" => Ok(MemberStatus::Waitlisted),
        other => Err(corrupt(format!("membership status {other:?}"))),
    }
}

/// A 1-based waitlist position as counted by SQL.
pub(crate) fn position(stored: Option<i64>) -> RepoResult<Option<u32>> {
    stored
        .map(|p| u32::try_from(p).map_err(|_| corrupt(format!("waitlist position {p}"))))
        .transpose()
}

/// A SQL count as the ports' `u64`.
pub(crate) fn count(stored: i64) -> RepoResult<u64> {
    u64::try_from(stored).map_err(|_| corrupt(format!("count {stored}")))
}
