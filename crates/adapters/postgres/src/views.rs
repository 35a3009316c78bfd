//! The read models: one SQL statement builds whole `EventView`s, `TaskView`s
//! and `PollView`s (with organizer, counts, the viewer's membership and
//! waitlist position, tallies and the viewer's votes) for one row or a whole
//! page, so no view costs a query per item.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use gatherhub_domain::membership::Membership;
use gatherhub_domain::poll::{Poll, PollOption};
use gatherhub_domain::{EventId, OptionId, PollId, UserId};
use gatherhub_ports::{EventView, PollView, RepoResult, TaskView};

use crate::models::{self, EventRow, TaskRow, corrupt, summary};
use crate::sql::{Bind, Sql};

/// `source` is the relation the views are built from, aliased `e`: `events`
/// itself, or a page of it as a subquery.
pub(crate) fn event_view(sql: &mut Sql, viewer: Option<UserId>, source: impl FnOnce(&mut Sql)) {
    let viewer = sql.param(Bind::OptInt(viewer.map(UserId::get)));
    sql.push(
        "SELECT e.id, e.title, e.description, e.date, e.end_date, e.location, \
         e.max_participants, e.visibility, e.cancelled, e.organizer_id, e.created_at, e.updated_at, \
         o.username AS organizer_username, o.first_name AS organizer_first_name, \
         o.last_name AS organizer_last_name, c.going, c.waitlisted, \
         me.role AS my_role, me.status AS my_status, me.joined_at AS my_joined_at, \
         me.position AS my_position FROM ",
    );
    source(sql);
    sql.push(&format!(
        " e JOIN users o ON o.id = e.organizer_id \
         CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE m.status = 'going') AS going, \
           count(*) FILTER (WHERE m.status = 'waitlisted') AS waitlisted \
           FROM memberships m WHERE m.event_id = e.id) c \
         LEFT JOIN LATERAL (SELECT m.role, m.status, m.joined_at, \
           CASE WHEN m.status = 'waitlisted' THEN (SELECT count(*) FROM memberships w \
             WHERE w.event_id = m.event_id AND w.status = 'waitlisted' AND w.seq <= m.seq) END AS position \
           FROM memberships m WHERE m.event_id = e.id AND m.user_id = {viewer}) me ON true"
    ));
}

#[derive(Debug, QueryableByName)]
pub(crate) struct EventViewRow {
    #[diesel(embed)]
    event: EventRow,
    #[diesel(sql_type = Text)]
    organizer_username: String,
    #[diesel(sql_type = Text)]
    organizer_first_name: String,
    #[diesel(sql_type = Text)]
    organizer_last_name: String,
    #[diesel(sql_type = BigInt)]
    going: i64,
    #[diesel(sql_type = BigInt)]
    waitlisted: i64,
    #[diesel(sql_type = Nullable<Text>)]
    my_role: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    my_status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    my_joined_at: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
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
pub(crate) fn task_view(sql: &mut Sql, source: impl FnOnce(&mut Sql)) {
    sql.push(
        "SELECT t.id, t.event_id, t.title, t.description, t.status, t.priority, t.due_date, \
         t.assignee_id, t.created_by, t.completed_at, t.created_at, t.updated_at, \
         a.username AS assignee_username, a.first_name AS assignee_first_name, \
         a.last_name AS assignee_last_name, c.username AS creator_username, \
         c.first_name AS creator_first_name, c.last_name AS creator_last_name FROM ",
    );
    source(sql);
    sql.push(" t LEFT JOIN users a ON a.id = t.assignee_id JOIN users c ON c.id = t.created_by");
}

#[derive(Debug, QueryableByName)]
pub(crate) struct TaskViewRow {
    #[diesel(embed)]
    task: TaskRow,
    #[diesel(sql_type = Nullable<Text>)]
    assignee_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    assignee_first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    assignee_last_name: Option<String>,
    #[diesel(sql_type = Text)]
    creator_username: String,
    #[diesel(sql_type = Text)]
    creator_first_name: String,
    #[diesel(sql_type = Text)]
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
/// with their vote counts and whether the viewer chose them, as arrays.
pub(crate) fn poll_view(sql: &mut Sql, viewer: Option<UserId>, source: impl FnOnce(&mut Sql)) {
    let viewer = sql.param(Bind::OptInt(viewer.map(UserId::get)));
    sql.push(
        "SELECT p.id, p.event_id, p.title, p.description, p.multiple_choice, p.anonymous, \
         p.ends_at, p.closed, p.created_by, p.created_at, p.updated_at, \
         u.username AS creator_username, u.first_name AS creator_first_name, \
         u.last_name AS creator_last_name, \
         (SELECT count(DISTINCT v.user_id) FROM votes v WHERE v.poll_id = p.id) AS total_voters, \
         o.option_ids, o.option_texts, o.option_positions, o.option_votes, o.option_mine FROM ",
    );
    source(sql);
    sql.push(&format!(
        " p JOIN users u ON u.id = p.created_by \
         CROSS JOIN LATERAL (SELECT \
           coalesce(array_agg(x.id ORDER BY x.position), '{{}}') AS option_ids, \
           coalesce(array_agg(x.text ORDER BY x.position), '{{}}') AS option_texts, \
           coalesce(array_agg(x.position ORDER BY x.position), '{{}}') AS option_positions, \
           coalesce(array_agg(x.votes ORDER BY x.position), '{{}}') AS option_votes, \
           coalesce(array_agg(x.mine ORDER BY x.position), '{{}}') AS option_mine \
           FROM (SELECT po.id, po.text, po.position, count(v.id) AS votes, \
             coalesce(bool_or(v.user_id = {viewer}), false) AS mine \
             FROM poll_options po LEFT JOIN votes v ON v.poll_id = po.poll_id AND v.option_id = po.id \
             WHERE po.poll_id = p.id GROUP BY po.id) x) o"
    ));
}

#[derive(Debug, QueryableByName)]
pub(crate) struct PollViewRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Bool)]
    multiple_choice: bool,
    #[diesel(sql_type = Bool)]
    anonymous: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    ends_at: Option<chrono::DateTime<chrono::Utc>>,
    #[diesel(sql_type = Bool)]
    closed: bool,
    #[diesel(sql_type = BigInt)]
    created_by: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Text)]
    creator_username: String,
    #[diesel(sql_type = Text)]
    creator_first_name: String,
    #[diesel(sql_type = Text)]
    creator_last_name: String,
    #[diesel(sql_type = BigInt)]
    total_voters: i64,
    #[diesel(sql_type = Array<BigInt>)]
    option_ids: Vec<i64>,
    #[diesel(sql_type = Array<Text>)]
    option_texts: Vec<String>,
    #[diesel(sql_type = Array<Integer>)]
    option_positions: Vec<i32>,
    #[diesel(sql_type = Array<BigInt>)]
    option_votes: Vec<i64>,
    #[diesel(sql_type = Array<Bool>)]
    option_mine: Vec<bool>,
}

impl PollViewRow {
    pub(crate) fn into_view(self) -> RepoResult<PollView> {
        let poll_id = PollId(self.id);
        let n = self.option_ids.len();
        if [
            self.option_texts.len(),
            self.option_positions.len(),
            self.option_votes.len(),
            self.option_mine.len(),
        ]
        .iter()
        .any(|len| *len != n)
        {
            return Err(corrupt(format!("options of poll {poll_id}")));
        }
        let mut options = Vec::with_capacity(n);
        let mut my_votes = Vec::new();
        let columns = self
            .option_ids
            .into_iter()
            .zip(self.option_texts)
            .zip(self.option_positions);
        for (((id, text), position), (votes, mine)) in
            columns.zip(self.option_votes.into_iter().zip(self.option_mine))
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
            poll: Poll {
                id: poll_id,
                event_id: EventId(self.event_id),
                title: self.title,
                description: self.description,
                multiple_choice: self.multiple_choice,
                anonymous: self.anonymous,
                ends_at: self.ends_at,
                closed: self.closed,
                created_by: UserId(self.created_by),
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            options,
            created_by: summary(
                self.created_by,
                self.creator_username,
                self.creator_first_name,
                self.creator_last_name,
            ),
            total_voters: models::count(self.total_voters)?,
            my_votes,
        })
    }
}
