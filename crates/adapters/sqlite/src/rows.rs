//! Rows as stored, and their conversion into domain values. Enums are stored
//! as their API names (priority as its rank), instants as microseconds. The
//! event, task and poll rows also load by column name, embedded in the
//! views' rows (`views`).

use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use gatherhub_domain::event::{Capacity, Event, Visibility};
use gatherhub_domain::membership::{MemberStatus, Membership, Role};
use gatherhub_domain::poll::{Poll, PollOption};
use gatherhub_domain::task::{Priority, Task, TaskStatus};
use gatherhub_domain::user::{User, UserSummary};
use gatherhub_domain::{EventId, OptionId, PollId, TaskId, UserId};

use crate::error::{Fail, Tx};
use crate::schema::{events, memberships, poll_options, polls, tasks, users};
use crate::sql::{instant, opt_instant};

pub(crate) const GOING: &str = "going";
pub(crate) const WAITLISTED: &str = "waitlisted";
pub(crate) const ORGANIZER: &str = "organizer";
pub(crate) const MEMBER: &str = "member";

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(Sqlite))]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    first_name: String,
    last_name: String,
    bio: String,
    avatar_url: Option<String>,
    is_staff: bool,
    is_active: bool,
    date_joined: i64,
    last_login: Option<i64>,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Tx<User> {
        Ok(User {
            id: UserId(self.id),
            username: self.username,
            email: self.email,
            password_hash: self.password_hash,
            first_name: self.first_name,
            last_name: self.last_name,
            bio: self.bio,
            avatar_url: self.avatar_url,
            is_staff: self.is_staff,
            is_active: self.is_active,
            date_joined: instant(self.date_joined)?,
            last_login: opt_instant(self.last_login)?,
        })
    }
}

/// What other users see of an account.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(Sqlite))]
pub(crate) struct SummaryRow {
    id: i64,
    username: String,
    first_name: String,
    last_name: String,
}

impl From<SummaryRow> for UserSummary {
    fn from(row: SummaryRow) -> Self {
        Self {
            id: UserId(row.id),
            username: row.username,
            first_name: row.first_name,
            last_name: row.last_name,
        }
    }
}

#[derive(Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = events, check_for_backend(Sqlite))]
pub(crate) struct EventRow {
    id: i64,
    title: String,
    description: String,
    date: i64,
    end_date: Option<i64>,
    location: String,
    max_participants: Option<i32>,
    visibility: String,
    cancelled: bool,
    organizer_id: i64,
    created_at: i64,
    updated_at: i64,
}

impl EventRow {
    pub(crate) fn into_event(self) -> Tx<Event> {
        Ok(Event {
            id: EventId(self.id),
            title: self.title,
            description: self.description,
            date: instant(self.date)?,
            end_date: opt_instant(self.end_date)?,
            location: self.location,
            max_participants: capacity(self.max_participants)?,
            visibility: Visibility::parse(&self.visibility).map_err(Fail::corrupt)?,
            cancelled: self.cancelled,
            organizer_id: UserId(self.organizer_id),
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
        })
    }
}

pub(crate) fn capacity(stored: Option<i32>) -> Tx<Option<Capacity>> {
    stored
        .map(|n| Capacity::new(n.into()).map_err(Fail::corrupt))
        .transpose()
}

/// The stored form of a capacity (at most 100 000, so it fits).
pub(crate) fn stored_capacity(capacity: Option<Capacity>) -> Option<i32> {
    capacity.map(|c| i32::try_from(c.get()).unwrap_or(i32::MAX))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships, check_for_backend(Sqlite))]
pub(crate) struct MembershipRow {
    pub(crate) event_id: i64,
    pub(crate) user_id: i64,
    pub(crate) role: String,
    pub(crate) status: String,
    pub(crate) seq: i64,
    pub(crate) joined_at: i64,
}

impl MembershipRow {
    pub(crate) fn is_waitlisted(&self) -> bool {
        self.status == WAITLISTED
    }

    /// The membership, with its 1-based place in the waitlist when waitlisted.
    pub(crate) fn into_membership(self, position: Option<u32>) -> Tx<Membership> {
        membership(
            EventId(self.event_id),
            UserId(self.user_id),
            &self.role,
            &self.status,
            self.joined_at,
            position.map(i64::from),
        )
    }
}

/// A membership from its stored columns, with the 1-based place in the
/// waitlist of a waitlisted one.
pub(crate) fn membership(
    event_id: EventId,
    user_id: UserId,
    role: &str,
    status: &str,
    joined_at: i64,
    position: Option<i64>,
) -> Tx<Membership> {
    let status = member_status(status)?;
    Ok(Membership {
        event_id,
        user_id,
        role: match role {
            ORGANIZER => Role::Organizer,
            MEMBER => Role::Member,
            other => return Err(Fail::corrupt(format!("role {other:?}"))),
        },
        status,
        waitlist_position: match status {
            MemberStatus::Going => None,
            MemberStatus::Waitlisted => Some(
                position
                    .map(|p| u32::try_from(p).unwrap_or(u32::MAX))
                    .ok_or_else(|| Fail::corrupt("waitlisted without position"))?,
            ),
        },
        joined_at: instant(joined_at)?,
    })
}

pub(crate) fn member_status(stored: &str) -> Tx<MemberStatus> {
    match stored {
        GOING => Ok(MemberStatus::Going),
        WAITLISTED => Ok(MemberStatus::Waitlisted),
        other => Err(Fail::corrupt(format!("member status {other:?}"))),
    }
}

#[derive(Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = tasks, check_for_backend(Sqlite))]
pub(crate) struct TaskRow {
    id: i64,
    event_id: i64,
    title: String,
    description: String,
    status: String,
    priority: i16,
    due_date: Option<i64>,
    assignee_id: Option<i64>,
    created_by: i64,
    completed_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TaskRow {
    pub(crate) fn into_task(self) -> Tx<Task> {
        Ok(Task {
            id: TaskId(self.id),
            event_id: EventId(self.event_id),
            title: self.title,
            description: self.description,
            status: TaskStatus::parse("status", &self.status).map_err(Fail::corrupt)?,
            priority: Priority::from_rank(self.priority)
                .ok_or_else(|| Fail::corrupt(format!("priority {}", self.priority)))?,
            due_date: opt_instant(self.due_date)?,
            assignee_id: self.assignee_id.map(UserId),
            created_by: UserId(self.created_by),
            completed_at: opt_instant(self.completed_at)?,
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
        })
    }
}

#[derive(Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = polls, check_for_backend(Sqlite))]
pub(crate) struct PollRow {
    id: i64,
    event_id: i64,
    title: String,
    description: String,
    multiple_choice: bool,
    anonymous: bool,
    ends_at: Option<i64>,
    closed: bool,
    created_by: i64,
    created_at: i64,
    updated_at: i64,
}

impl PollRow {
    pub(crate) fn into_poll(self) -> Tx<Poll> {
        Ok(Poll {
            id: PollId(self.id),
            event_id: EventId(self.event_id),
            title: self.title,
            description: self.description,
            multiple_choice: self.multiple_choice,
            anonymous: self.anonymous,
            ends_at: opt_instant(self.ends_at)?,
            closed: self.closed,
            created_by: UserId(self.created_by),
            created_at: instant(self.created_at)?,
            updated_at: instant(self.updated_at)?,
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = poll_options, check_for_backend(Sqlite))]
pub(crate) struct OptionRow {
    id: i64,
    poll_id: i64,
    text: String,
    position: i32,
}

impl From<OptionRow> for PollOption {
    fn from(row: OptionRow) -> Self {
        Self {
            id: OptionId(row.id),
            poll_id: PollId(row.poll_id),
            text: row.text,
            position: row.position,
        }
    }
}
