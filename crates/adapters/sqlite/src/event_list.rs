//! The event list: which events a viewer may see, the filters (status
//! derived at `query.now`) and the orderings with id tie-breaks as SQL, and
//! a page as one statement whatever its size. Also the user summaries that
//! writes look up.

use std::collections::HashMap;

use diesel::prelude::*;
use gatherhub_domain::event::EventStatus;
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{Page, UserId};
use gatherhub_ports::{EventOrdering, EventQuery, EventView};

use crate::error::{Fail, Tx};
use crate::rows::SummaryRow;
use crate::schema::users;
use crate::sql::{Bind, Sql, fold, micros};
use crate::views::{EventViewRow, event_view, load_page};

/// Summaries of the given users, by id: one query.
pub(crate) fn summaries(
    conn: &mut SqliteConnection,
    ids: impl IntoIterator<Item = UserId>,
) -> Tx<HashMap<UserId, UserSummary>> {
    let mut ids: Vec<i64> = ids.into_iter().map(UserId::get).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<SummaryRow> = users::table
        .filter(users::id.eq_any(ids))
        .select(SummaryRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let summary = UserSummary::from(row);
            (summary.id, summary)
        })
        .collect())
}

/// The summary of a user another row refers to. Foreign keys keep users
/// that are referenced, so a miss means the database is inconsistent.
pub(crate) fn summary_of(summaries: &HashMap<UserId, UserSummary>, id: UserId) -> Tx<UserSummary> {
    summaries
        .get(&id)
        .cloned()
        .ok_or_else(|| Fail::corrupt(format!("user {id} is referenced but missing")))
}

/// `list_events`: one statement, the page's views with the size of the
/// filtered list (a count subquery); an empty page past the first costs a
/// count as well. `joined` without a viewer is answered without a query.
pub(crate) fn list(conn: &mut SqliteConnection, query: &EventQuery) -> Tx<Page<EventView>> {
    if query.filter.joined && query.viewer.is_none() {
        return Ok(Page {
            total: 0,
            items: Vec::new(),
        });
    }
    let viewer = query.viewer.map(|v| v.user_id);
    let order = order_by(query.ordering);
    let (total, rows) = load_page::<EventViewRow>(
        conn,
        ("events", "e"),
        order,
        &query.page,
        |s| conditions(s, query),
        |s, total, rows| event_view(s, viewer, total, rows),
    )?;
    Ok(Page {
        total,
        items: rows
            .into_iter()
            .map(|row| row.into_view(viewer))
            .collect::<Tx<_>>()?,
    })
}

/// The `WHERE` clause over `events e`: the events `query.viewer` may see
/// (public ones and those they are a member of; all of them for staff),
/// then every filter, with the status derived at `query.now`.
fn conditions(sql: &mut Sql, query: &EventQuery) {
    sql.push(" WHERE 1");
    let filter = &query.filter;
    match query.viewer {
        None => {
            sql.push(" AND e.visibility = 'public'");
        }
        Some(actor) if actor.is_staff => {}
        // A correlated EXISTS, evaluated only for private events: most
        // events are public, and this form lets SQLite walk the ordering's
        // index and stop at the page (an `IN (...)` here makes it gather
        // every public event through the visibility index, then sort).
        Some(actor) => {
            sql.push(
                " AND (e.visibility = 'public' OR EXISTS (SELECT 1 FROM memberships v \
                 WHERE v.event_id = e.id AND v.user_id = ",
            )
            .bind(Bind::Int(actor.user_id.get()))
            .push("))");
        }
    }
    if filter.joined
        && let Some(actor) = query.viewer
    {
        sql.push(" AND e.id IN (SELECT event_id FROM memberships WHERE user_id = ")
            .bind(Bind::Int(actor.user_id.get()))
            .push(")");
    }
    if let Some(status) = filter.status {
        let now = || Bind::Int(micros(query.now));
        match status {
            EventStatus::Cancelled => sql.push(" AND e.cancelled = 1"),
            EventStatus::Upcoming => sql.push(" AND e.cancelled = 0 AND e.date > ").bind(now()),
            EventStatus::Ongoing => sql
                .push(" AND e.cancelled = 0 AND e.date <= ")
                .bind(now())
                .push(" AND e.end_date > ")
                .bind(now()),
            EventStatus::Completed => sql
                .push(" AND e.cancelled = 0 AND e.date <= ")
                .bind(now())
                .push(" AND (e.end_date IS NULL OR e.end_date <= ")
                .bind(now())
                .push(")"),
        };
    }
    if let Some(visibility) = filter.visibility {
        sql.push(" AND e.visibility = ")
            .bind(Bind::Text(visibility.as_str().to_owned()));
    }
    if let Some(organizer) = filter.organizer {
        sql.push(" AND e.organizer_id = ")
            .bind(Bind::Int(organizer.get()));
    }
    if let Some(from) = filter.date_from {
        sql.push(" AND e.date >= ").bind(Bind::Int(micros(from)));
    }
    if let Some(to) = filter.date_to {
        sql.push(" AND e.date <= ").bind(Bind::Int(micros(to)));
    }
    if let Some(search) = &filter.search {
        let needle = || Bind::Text(fold(search));
        sql.push(" AND (gh_contains(e.title, ")
            .bind(needle())
            .push(") OR gh_contains(e.description, ")
            .bind(needle())
            .push(") OR gh_contains(e.location, ")
            .bind(needle())
            .push("))");
    }
}

/// Each ordering with the id tie-breaker in its direction; titles compare
/// byte-wise (`BINARY`), as Rust strings do.
fn order_by(ordering: EventOrdering) -> &'static str {
    match ordering {
        EventOrdering::Date => "e.date ASC, e.id ASC",
        EventOrdering::DateDesc => "e.date DESC, e.id DESC",
        EventOrdering::CreatedAt => "e.created_at ASC, e.id ASC",
        EventOrdering::CreatedAtDesc => "e.created_at DESC, e.id DESC",
        EventOrdering::Title => "e.title ASC, e.id ASC",
        EventOrdering::TitleDesc => "e.title DESC, e.id DESC",
    }
}
