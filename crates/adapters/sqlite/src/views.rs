//! The read models: one statement builds whole `EventView`s, `TaskView`s and
//! `PollView`s (organizer, counts, the viewer's membership and waitlist
//! position, assignee and creator, tallies and the viewer's votes) for one
//! row or a whole page, as the PostgreSQL adapter's views do, so no view
//! costs a query per item. SQLite has no `LATERAL`: counts and positions are
//! correlated subqueries (each an index range of
//! `memberships (event_id, status, seq)` or `votes (poll_id, ...)`), and a
//! poll's options come as one JSON array.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryableByName, RunQueryDsl, SqliteConnection};
use gatherhub_domain::poll::PollOption;
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{OptionId, PageRequest, UserId};
use gatherhub_ports::{EventView, MemberView, PollView, TaskView};

use crate::error::{Fail, Tx};
use crate::rows::{EventRow, PollRow, TaskRow, membership};
use crate::sql::{Bind, Sql};

/// A row of a list page with the size of the whole filtered list, counted by
/// an uncorrelated scalar subquery of the same statement (which SQLite
/// computes once per statement, not per row).
#[derive(Debug, QueryableByName)]
pub(crate) struct Listed<View> {
    #[diesel(embed)]
    pub(crate) view: View,
    #[diesel(sql_type = BigInt)]
    pub(crate) total: i64,
}

/// The page's rows and the list's size (`None` when the page is empty: the
/// caller counts then, if the page was not the first).
pub(crate) fn split<View>(rows: Vec<Listed<View>>) -> (Option<u64>, Vec<View>) {
    let total = rows
        .first()
        .map(|row| u64::try_from(row.total).unwrap_or_default());
    (total, rows.into_iter().map(|listed| listed.view).collect())
}

fn user(id: i64, username: String, first_name: String, last_name: String) -> UserSummary {
    UserSummary {
        id: UserId(id),
        username,
        first_name,
        last_name,
    }
}

fn count(n: i64) -> Tx<u64> {
    u64::try_from(n).map_err(|_| Fail::corrupt(format!("count {n}")))
}

/// `SELECT` of the views of the events of `source`, aliased `e` (`events`
/// itself, or a page of it as a subquery), as `viewer` sees them, with the
/// `extra` columns. The caller appends `WHERE` / `ORDER BY`.
pub(crate) fn event_view(
    sql: &mut Sql,
    viewer: Option<UserId>,
    extra: impl FnOnce(&mut Sql),
    source: impl FnOnce(&mut Sql),
) {
    sql.push(
        "SELECT e.id AS id, e.title AS title, e.description AS description, e.date AS date, \
         e.end_date AS end_date, e.location AS location, e.max_participants AS max_participants, \
         e.visibility AS visibility, e.cancelled AS cancelled, e.organizer_id AS organizer_id, \
         e.created_at AS created_at, e.updated_at AS updated_at, \
         o.username AS organizer_username, o.first_name AS organizer_first_name, \
         o.last_name AS organizer_last_name, \
         (SELECT count(*) FROM memberships c WHERE c.event_id = e.id AND c.status = 'going') AS going, \
         (SELECT count(*) FROM memberships c WHERE c.event_id = e.id AND c.status = 'waitlisted') AS waitlisted, \
         me.role AS my_role, me.status AS my_status, me.joined_at AS my_joined_at, \
         CASE WHEN me.status = 'waitlisted' THEN (SELECT count(*) FROM memberships w \
           WHERE w.event_id = me.event_id AND w.status = 'waitlisted' AND w.seq <= me.seq) END AS my_position",
    );
    extra(sql);
    sql.push(" FROM ");
    source(sql);
    sql.push(
        " e JOIN users o ON o.id = e.organizer_id \
         LEFT JOIN memberships me ON me.event_id = e.id AND me.user_id = ",
    )
    .bind(Bind::OptInt(viewer.map(UserId::get)));
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
    #[diesel(sql_type = Nullable<BigInt>)]
    my_joined_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    my_position: Option<i64>,
}

impl EventViewRow {
    pub(crate) fn into_view(self, viewer: Option<UserId>) -> Tx<EventView> {
        let event = self.event.into_event()?;
        let membership = match (viewer, self.my_role, self.my_status, self.my_joined_at) {
            (Some(viewer), Some(role), Some(status), Some(joined_at)) => Some(membership(
                event.id,
                viewer,
                &role,
                &status,
                joined_at,
                self.my_position,
            )?),
            _ => None,
        };
        Ok(EventView {
            organizer: user(
                event.organizer_id.get(),
                self.organizer_username,
                self.organizer_first_name,
                self.organizer_last_name,
            ),
            going: count(self.going)?,
            waitlisted: count(self.waitlisted)?,
            membership,
            event,
        })
    }
}

/// `SELECT` of the views of the tasks of `source`, aliased `t`, with the
/// `extra` columns.
pub(crate) fn task_view(
    sql: &mut Sql,
    extra: impl FnOnce(&mut Sql),
    source: impl FnOnce(&mut Sql),
) {
    sql.push(
        "SELECT t.id AS id, t.event_id AS event_id, t.title AS title, t.description AS description, \
         t.status AS status, t.priority AS priority, t.due_date AS due_date, \
         t.assignee_id AS assignee_id, t.created_by AS created_by, t.completed_at AS completed_at, \
         t.created_at AS created_at, t.updated_at AS updated_at, \
         a.username AS assignee_username, a.first_name AS assignee_first_name, \
         a.last_name AS assignee_last_name, c.username AS creator_username, \
         c.first_name AS creator_first_name, c.last_name AS creator_last_name",
    );
    extra(sql);
    sql.push(" FROM ");
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
    pub(crate) fn into_view(self) -> Tx<TaskView> {
        let task = self.task.into_task()?;
        let assignee = match (
            task.assignee_id,
            self.assignee_username,
            self.assignee_first_name,
            self.assignee_last_name,
        ) {
            (None, ..) => None,
            (Some(id), Some(username), Some(first), Some(last)) => {
                Some(user(id.get(), username, first, last))
            }
            (Some(id), ..) => {
                return Err(Fail::corrupt(format!(
                    "user {id} is referenced but missing"
                )));
            }
        };
        Ok(TaskView {
            assignee,
            created_by: user(
                task.created_by.get(),
                self.creator_username,
                self.creator_first_name,
                self.creator_last_name,
            ),
            task,
        })
    }
}

/// `SELECT` of the views of the polls of `source`, aliased `p`, as `viewer`
/// sees them, with the `extra` columns: each option as `[id, text, position,
/// votes, chosen by the viewer (0/1)]` in one JSON array.
pub(crate) fn poll_view(
    sql: &mut Sql,
    viewer: Option<UserId>,
    extra: impl FnOnce(&mut Sql),
    source: impl FnOnce(&mut Sql),
) {
    sql.push(
        "SELECT p.id AS id, p.event_id AS event_id, p.title AS title, p.description AS description, \
         p.multiple_choice AS multiple_choice, p.anonymous AS anonymous, p.ends_at AS ends_at, \
         p.closed AS closed, p.created_by AS created_by, p.created_at AS created_at, \
         p.updated_at AS updated_at, \
         u.username AS creator_username, u.first_name AS creator_first_name, \
         u.last_name AS creator_last_name, \
         (SELECT count(DISTINCT v.user_id) FROM votes v WHERE v.poll_id = p.id) AS total_voters, \
         (SELECT json_group_array(json_array(o.id, o.text, o.position, \
             (SELECT count(*) FROM votes v WHERE v.poll_id = o.poll_id AND v.option_id = o.id), \
             EXISTS (SELECT 1 FROM votes v WHERE v.poll_id = o.poll_id AND v.user_id = ",
    )
    .bind(Bind::OptInt(viewer.map(UserId::get)))
    .push(
        " AND v.option_id = o.id))) \
           FROM poll_options o WHERE o.poll_id = p.id) AS options",
    );
    extra(sql);
    sql.push(" FROM ");
    source(sql);
    sql.push(" p JOIN users u ON u.id = p.created_by");
}

#[derive(Debug, QueryableByName)]
pub(crate) struct PollViewRow {
    #[diesel(embed)]
    poll: PollRow,
    #[diesel(sql_type = Text)]
    creator_username: String,
    #[diesel(sql_type = Text)]
    creator_first_name: String,
    #[diesel(sql_type = Text)]
    creator_last_name: String,
    #[diesel(sql_type = BigInt)]
    total_voters: i64,
    #[diesel(sql_type = Text)]
    options: String,
}

/// One option as the poll view's JSON array holds it.
type OptionTuple = (i64, String, i32, i64, i64);

impl PollViewRow {
    pub(crate) fn into_view(self) -> Tx<PollView> {
        let poll = self.poll.into_poll()?;
        let mut tuples: Vec<OptionTuple> = serde_json::from_str(&self.options)
            .map_err(|e| Fail::corrupt(format!("options of poll {}: {e}", poll.id)))?;
        // An aggregate's input order is not specified: order by position.
        tuples.sort_by_key(|option| option.2);
        let mut options = Vec::with_capacity(tuples.len());
        let mut my_votes = Vec::new();
        for (id, text, position, votes, mine) in tuples {
            let option = PollOption {
                id: OptionId(id),
                poll_id: poll.id,
                text,
                position,
            };
            if mine != 0 {
                my_votes.push(option.id);
            }
            options.push((option, count(votes)?));
        }
        Ok(PollView {
            created_by: user(
                poll.created_by.get(),
                self.creator_username,
                self.creator_first_name,
                self.creator_last_name,
            ),
            total_voters: count(self.total_voters)?,
            options,
            my_votes,
            poll,
        })
    }
}

/// One member of an event's member list, with the list's size and the
/// event's going count (scalar subqueries of the same statement).
#[derive(Debug, QueryableByName)]
pub(crate) struct MemberRow {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    joined_at: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    first_name: String,
    #[diesel(sql_type = Text)]
    last_name: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) total: i64,
    #[diesel(sql_type = BigInt)]
    going: i64,
}

impl MemberRow {
    /// The member at 0-based `index` of the whole list: going members come
    /// first, so a waitlisted one's position follows from the going count.
    pub(crate) fn into_view(self, index: u64) -> Tx<MemberView> {
        let place = i64::try_from(index).unwrap_or(i64::MAX);
        Ok(MemberView {
            membership: membership(
                gatherhub_domain::EventId(self.event_id),
                UserId(self.user_id),
                &self.role,
                &self.status,
                self.joined_at,
                Some(place.saturating_add(1).saturating_sub(self.going)),
            )?,
            user: user(self.user_id, self.username, self.first_name, self.last_name),
        })
    }
}

/// The result of a `SELECT count(*) AS total ...`.
#[derive(Debug, QueryableByName)]
pub(crate) struct Total {
    #[diesel(sql_type = BigInt)]
    pub(crate) total: i64,
}

/// The size of a list whose page came back with `total` (see [`split`]): an
/// empty first page means an empty list; an empty later page (past the end)
/// asks `count`.
pub(crate) fn page_total(
    total: Option<u64>,
    page: &PageRequest,
    count: impl FnOnce() -> Tx<i64>,
) -> Tx<u64> {
    match total {
        Some(total) => Ok(total),
        None if page.offset() == 0 => Ok(0),
        None => Ok(u64::try_from(count()?).unwrap_or_default()),
    }
}

/// Builds a view (as [`event_view`], [`task_view`] and [`poll_view`] do) from
/// what to add to its columns and what to read its rows from.
pub(crate) type ViewSql<'a> = Box<dyn FnOnce(&mut Sql) + 'a>;

/// A list page in one statement: `view` renders the view over the page's own
/// rows of `table alias` (filtered by `conditions`, ordered by `order`), with
/// the size of the filtered list as an extra `total` column; an empty page
/// past the first counts apart. Returns the size and the page's rows.
pub(crate) fn load_page<Row>(
    conn: &mut SqliteConnection,
    (table, alias): (&str, &str),
    order: &str,
    page: &PageRequest,
    conditions: impl Fn(&mut Sql),
    view: impl FnOnce(&mut Sql, ViewSql<'_>, ViewSql<'_>),
) -> Tx<(u64, Vec<Row>)>
where
    Listed<Row>: QueryableByName<Sqlite> + 'static,
{
    let mut sql = Sql::default();
    let total_column: ViewSql<'_> = Box::new(|s: &mut Sql| {
        s.push(&format!(", (SELECT count(*) FROM {table} {alias}"));
        conditions(s);
        s.push(") AS total");
    });
    // The page is chosen first, so the view's joins and subqueries run for
    // its rows only.
    let page_rows: ViewSql<'_> = Box::new(|s: &mut Sql| {
        s.push(&format!("(SELECT {alias}.* FROM {table} {alias}"));
        conditions(s);
        s.push(" ORDER BY ").push(order).limit_offset(page);
        s.push(")");
    });
    view(&mut sql, total_column, page_rows);
    sql.push(" ORDER BY ").push(order);
    let rows: Vec<Listed<Row>> = sql.load(conn)?;
    let (total, rows) = split(rows);
    let total = page_total(total, page, || {
        let mut count = Sql::new(&format!("SELECT count(*) AS total FROM {table} {alias}"));
        conditions(&mut count);
        Ok(count.get_result::<Total>(conn)?.total)
    })?;
    Ok((total, rows))
}
