//! The read models: one SQL statement builds whole `EventView`s, `TaskView`s
//! and `PollView`s (with organizer, counts, the viewer's membership and
//! waitlist position, tallies and the viewer's votes) for one row or a whole
//! page, so no view costs a query per item.

use diesel::Queryable;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use gatherhub_domain::membership::Membership;
use gatherhub_domain::poll::{Poll, PollOption};
use gatherhub_domain::{EventId, OptionId, PollId, UserId};
use gatherhub_ports::{EventView, PollView, RepoResult, TaskView};

use crate::models::{self, EventRow, TaskRow, corrupt, summary};
use crate::schema::{events, tasks};
use crate::sql::{Bind, Sql};

/// `source` is the relation the views are built from, aliased `e`: `events`
/// itself, or a page of it as a subquery. The viewer is bound first, as
/// `$1`, so the text around `source` is fixed.
pub(crate) fn event_view(viewer: Option<UserId>, source: impl FnOnce(&mut Sql)) -> Sql {
    around(
        EVENT_VIEW_HEAD,
        source,
        EVENT_VIEW_TAIL,
        Some(viewer_bind(viewer)),
    )
}

/// `head`, then what `source` writes, then `tail`; `first`, if any, is bound
/// as `$1` before `source` binds anything.
fn around(head: &str, source: impl FnOnce(&mut Sql), tail: &str, first: Option<Bind>) -> Sql {
    // Room for the source's text too (a page's subquery), so it rarely grows.
    let mut sql = Sql::with_capacity(head.len() + tail.len() + 512);
    if let Some(first) = first {
        sql = sql.arg(first);
    }
    sql.push(head);
    source(&mut sql);
    sql.push(tail);
    sql
}

fn viewer_bind(viewer: Option<UserId>) -> Bind {
    Bind::OptInt(viewer.map(UserId::get))
}

const EVENT_VIEW_HEAD: &str = "SELECT e.id, e.title, e.description, e.date, e.end_date, e.location, \
     e.max_participants, e.visibility, e.cancelled, e.organizer_id, e.created_at, e.updated_at, \
     o.username AS organizer_username, o.first_name AS organizer_first_name, \
     o.last_name AS organizer_last_name, c.going, c.waitlisted, \
     me.role AS my_role, me.status AS my_status, me.joined_at AS my_joined_at, \
     me.position AS my_position FROM ";

/// `$1` is the viewer ([`event_view`]).
const EVENT_VIEW_TAIL: &str = " e JOIN users o ON o.id = e.organizer_id \
     CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE m.status = 'going') AS going, \
       count(*) FILTER (WHERE m.status = 'waitlisted') AS waitlisted \
       FROM memberships m WHERE m.event_id = e.id) c \
     LEFT JOIN LATERAL (SELECT m.role, m.status, m.joined_at, \
       CASE WHEN m.status = 'waitlisted' THEN (SELECT count(*) FROM memberships w \
         WHERE w.event_id = m.event_id AND w.status = 'waitlisted' AND w.seq <= m.seq) END AS position \
       FROM memberships m WHERE m.event_id = e.id AND m.user_id = $1) me ON true";

/// The SQL types of [`event_view`]'s columns, in order: the event's, then
/// the organizer, the counts and the viewer's membership.
pub(crate) type EventViewSql = (
    events::SqlType,
    Text,
    Text,
    Text,
    BigInt,
    BigInt,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Timestamptz>,
    Nullable<BigInt>,
);

/// A row of [`event_view`], read by position ([`EventViewSql`]).
#[derive(Debug, Queryable)]
pub(crate) struct EventViewRow {
    event: EventRow,
    organizer_username: String,
    organizer_first_name: String,
    organizer_last_name: String,
    going: i64,
    waitlisted: i64,
    my_role: Option<String>,
    my_status: Option<String>,
    my_joined_at: Option<chrono::DateTime<chrono::Utc>>,
    my_position: Option<i64>,
}

impl EventViewRow {
    pub(crate) fn into_view(self, viewer: Option<UserId>) -> RepoResult<EventView> {
        let event_id = EventId(self.event.id);
        let membership = match (viewer, self.my_role, self.my_status, self.my_joined_at) {
            (Some(user_id), Some(role), Some(status), Some(joined_at)) => Some(Membership {
                event_id,
                user_id,
                role: models::role(&role)?,
                status: models::member_status(&status)?,
                waitlist_position: models::position(self.my_position)?,
                joined_at,
            }),
            _ => None,
        };
        let organizer = summary(
            self.event.organizer_id,
            self.organizer_username,
            self.organizer_first_name,
            self.organizer_last_name,
        );
        Ok(EventView {
            event: self.event.into_event()?,
            organizer,
            going: models::count(self.going)?,
            waitlisted: models::count(self.waitlisted)?,
            membership,
        })
    }
}

/// Task views from `source`, aliased `t`.
pub(crate) fn task_view(source: impl FnOnce(&mut Sql)) -> Sql {
    around(TASK_VIEW_HEAD, source, TASK_VIEW_TAIL, None)
}

const TASK_VIEW_HEAD: &str = "SELECT t.id, t.event_id, t.title, t.description, t.status, \
     t.priority, t.due_date, t.assignee_id, t.created_by, t.completed_at, t.created_at, \
     t.updated_at, a.username AS assignee_username, a.first_name AS assignee_first_name, \
     a.last_name AS assignee_last_name, c.username AS creator_username, \
     c.first_name AS creator_first_name, c.last_name AS creator_last_name FROM ";

const TASK_VIEW_TAIL: &str =
    " t LEFT JOIN users a ON a.id = t.assignee_id JOIN users c ON c.id = t.created_by";

/// The SQL types of [`task_view`]'s columns, in order.
pub(crate) type TaskViewSql = (
    tasks::SqlType,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Text,
    Text,
    Text,
);

/// A row of [`task_view`], read by position ([`TaskViewSql`]).
#[derive(Debug, Queryable)]
pub(crate) struct TaskViewRow {
    task: TaskRow,
    assignee_username: Option<String>,
    assignee_first_name: Option<String>,
    assignee_last_name: Option<String>,
    creator_username: String,
    creator_first_name: String,
    creator_last_name: String,
}

impl TaskViewRow {
    pub(crate) fn into_view(self) -> RepoResult<TaskView> {
        let assignee = match (
            self.task.assignee_id,
            self.assignee_username,
            self.assignee_first_name,
            self.assignee_last_name,
        ) {
            (Some(id), Some(username), Some(first), Some(last)) => {
                Some(summary(id, username, first, last))
            }
            (None, ..) => None,
            (Some(id), ..) => return Err(corrupt(format!("assignee {id} is missing"))),
        };
        let created_by = summary(
            self.task.created_by,
            self.creator_username,
            self.creator_first_name,
            self.creator_last_name,
        );
        Ok(TaskView {
            task: self.task.into_task()?,
            assignee,
            created_by,
        })
    }
}

/// Poll views from `source`, aliased `p`, seen by `viewer`: options in order
/// with their vote counts and whether the viewer chose them, as arrays. The
/// viewer is bound first, as `$1`.
pub(crate) fn poll_view(viewer: Option<UserId>, source: impl FnOnce(&mut Sql)) -> Sql {
    around(
        POLL_VIEW_HEAD,
        source,
        POLL_VIEW_TAIL,
        Some(viewer_bind(viewer)),
    )
}

const POLL_VIEW_HEAD: &str = "SELECT p.id, p.event_id, p.title, p.description, \
     p.multiple_choice, p.anonymous, p.ends_at, p.closed, p.created_by, p.created_at, \
     p.updated_at, u.username AS creator_username, u.first_name AS creator_first_name, \
     u.last_name AS creator_last_name, \
     (SELECT count(DISTINCT v.user_id) FROM votes v WHERE v.poll_id = p.id) AS total_voters, \
     o.option_ids, o.option_texts, o.option_positions, o.option_votes, o.option_mine FROM ";

/// `$1` is the viewer ([`poll_view`]).
const POLL_VIEW_TAIL: &str = " p JOIN users u ON u.id = p.created_by \
     CROSS JOIN LATERAL (SELECT \
       coalesce(array_agg(x.id ORDER BY x.position), '{}') AS option_ids, \
       coalesce(array_agg(x.text ORDER BY x.position), '{}') AS option_texts, \
       coalesce(array_agg(x.position ORDER BY x.position), '{}') AS option_positions, \
       coalesce(array_agg(x.votes ORDER BY x.position), '{}') AS option_votes, \
       coalesce(array_agg(x.mine ORDER BY x.position), '{}') AS option_mine \
       FROM (SELECT po.id, po.text, po.position, count(v.id) AS votes, \
         coalesce(bool_or(v.user_id = $1), false) AS mine \
         FROM poll_options po LEFT JOIN votes v ON v.poll_id = po.poll_id AND v.option_id = po.id \
         WHERE po.poll_id = p.id GROUP BY po.id) x) o";

/// The SQL types of [`poll_view`]'s columns, in order.
pub(crate) type PollViewSql = (
    (
        BigInt,
        BigInt,
        Text,
        Text,
        Bool,
        Bool,
        Nullable<Timestamptz>,
        Bool,
        BigInt,
        Timestamptz,
        Timestamptz,
    ),
    (Text, Text, Text, BigInt),
    (
        Array<BigInt>,
        Array<Text>,
        Array<Integer>,
        Array<BigInt>,
        Array<Bool>,
    ),
);

/// A row of [`poll_view`], read by position ([`PollViewSql`]).
#[derive(Debug, Queryable)]
pub(crate) struct PollViewRow {
    poll: PollRow,
    creator: (String, String, String, i64),
    options: OptionColumns,
}

#[derive(Debug, Queryable)]
pub(crate) struct PollRow {
    id: i64,
    event_id: i64,
    title: String,
    description: String,
    multiple_choice: bool,
    anonymous: bool,
    ends_at: Option<chrono::DateTime<chrono::Utc>>,
    closed: bool,
    created_by: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Queryable)]
pub(crate) struct OptionColumns {
    ids: Vec<i64>,
    texts: Vec<String>,
    positions: Vec<i32>,
    votes: Vec<i64>,
    mine: Vec<bool>,
}

impl PollViewRow {
    pub(crate) fn into_view(self) -> RepoResult<PollView> {
        let Self {
            poll,
            creator: (username, first_name, last_name, total_voters),
            options: columns,
        } = self;
        let poll_id = PollId(poll.id);
        let n = columns.ids.len();
        if [
            columns.texts.len(),
            columns.positions.len(),
            columns.votes.len(),
            columns.mine.len(),
        ]
        .iter()
        .any(|len| *len != n)
        {
            return Err(corrupt(format!("options of poll {poll_id}")));
        }
        let mut options = Vec::with_capacity(n);
        let mut my_votes = Vec::new();
        let described = columns
            .ids
            .into_iter()
            .zip(columns.texts)
            .zip(columns.positions);
        for (((id, text), position), (votes, mine)) in
            described.zip(columns.votes.into_iter().zip(columns.mine))
        {
            let option = PollOption {
                id: OptionId(id),
                poll_id,
                text,
                position,
            };
            if mine {
                my_votes.push(option.id);
            }
            options.push((option, models::count(votes)?));
        }
        Ok(PollView {
            created_by: summary(poll.created_by, username, first_name, last_name),
            poll: Poll {
                id: poll_id,
                event_id: EventId(poll.event_id),
                title: poll.title,
                description: poll.description,
                multiple_choice: poll.multiple_choice,
                anonymous: poll.anonymous,
                ends_at: poll.ends_at,
                closed: poll.closed,
                created_by: UserId(poll.created_by),
                created_at: poll.created_at,
                updated_at: poll.updated_at,
            },
            options,
            total_voters: models::count(total_voters)?,
            my_votes,
        })
    }
}
