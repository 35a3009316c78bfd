//! The poll list: which polls a viewer may see, the filters and the
//! orderings as SQL, and a page as one statement whatever its size (options,
//! tallies, voters and the viewer's votes of the whole page inside it).

use diesel::prelude::*;
use gatherhub_domain::{Page, PollId, UserId};
use gatherhub_ports::{PollOrdering, PollQuery, PollView};

use crate::error::Tx;
use crate::sql::{Bind, Sql, micros};
use crate::views::{PollViewRow, load_page, poll_view};

/// The view of poll `id` as `viewer` sees it: one statement.
pub(crate) fn poll_view_of(
    conn: &mut SqliteConnection,
    id: PollId,
    viewer: Option<UserId>,
) -> Tx<Option<PollView>> {
    let mut sql = Sql::default();
    poll_view(
        &mut sql,
        viewer,
        |_| {},
        |s| {
            s.push("polls");
        },
    );
    sql.push(" WHERE p.id = ").bind(Bind::Int(id.get()));
    sql.get_result::<PollViewRow>(conn)
        .optional()?
        .map(PollViewRow::into_view)
        .transpose()
}

/// `list_polls`: one statement, the page's views with the size of the
/// filtered list (a count subquery); an empty page past the first costs a
/// count as well.
pub(crate) fn list(conn: &mut SqliteConnection, query: &PollQuery) -> Tx<Page<PollView>> {
    let order = order_by(query.ordering);
    let (total, rows) = load_page::<PollViewRow>(
        conn,
        ("polls", "p"),
        order,
        &query.page,
        |s| conditions(s, query),
        |s, total, rows| poll_view(s, query.viewer.map(|v| v.user_id), total, rows),
    )?;
    Ok(Page {
        total,
        items: rows
            .into_iter()
            .map(PollViewRow::into_view)
            .collect::<Tx<_>>()?,
    })
}

/// The `WHERE` clause over `polls p`: the polls of events `query.viewer`
/// may see (public ones and those they are a member of; all for staff) that
/// pass every filter, openness judged at `query.now`.
fn conditions(sql: &mut Sql, query: &PollQuery) {
    sql.push(" WHERE 1");
    // Correlated, as for the event list: an `IN (SELECT ... public events)`
    // would gather every public event on each call.
    match query.viewer {
        None => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM events ev \
                 WHERE ev.id = p.event_id AND ev.visibility = 'public')",
            );
        }
        Some(actor) if actor.is_staff => {}
        Some(actor) => {
            sql.push(
                " AND EXISTS (SELECT 1 FROM events ev WHERE ev.id = p.event_id \
                 AND (ev.visibility = 'public' OR EXISTS (SELECT 1 FROM memberships v \
                 WHERE v.event_id = ev.id AND v.user_id = ",
            )
            .bind(Bind::Int(actor.user_id.get()))
            .push(")))");
        }
    }
    if let Some(event) = query.event {
        sql.push(" AND p.event_id = ").bind(Bind::Int(event.get()));
    }
    if let Some(open) = query.is_open {
        let now = Bind::Int(micros(query.now));
        // Open: not closed by hand and not past its end (NULL: no end).
        if open {
            sql.push(" AND p.closed = 0 AND (p.ends_at IS NULL OR p.ends_at > ")
                .bind(now)
                .push(")");
        } else {
            sql.push(" AND (p.closed = 1 OR p.ends_at <= ")
                .bind(now)
                .push(")");
        }
    }
}

/// Each ordering with the id tie-breaker; polls without an end come last in
/// both end orders, as undated tasks do. Titles compare byte-wise.
fn order_by(ordering: PollOrdering) -> &'static str {
    match ordering {
        PollOrdering::CreatedAt => "p.created_at ASC, p.id ASC",
        PollOrdering::CreatedAtDesc => "p.created_at DESC, p.id DESC",
        PollOrdering::EndsAt => "p.ends_at IS NULL ASC, p.ends_at ASC, p.id ASC",
        PollOrdering::EndsAtDesc => "p.ends_at IS NULL ASC, p.ends_at DESC, p.id DESC",
        PollOrdering::Title => "p.title ASC, p.id ASC",
        PollOrdering::TitleDesc => "p.title DESC, p.id DESC",
    }
}
