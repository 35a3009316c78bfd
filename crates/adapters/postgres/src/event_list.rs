//! `EventRepo::list_events`: which events a viewer may see, the filters and
//! orderings as SQL, and a page as two statements (the count, then the page's
//! views) whatever the page size.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gatherhub_domain::Page;
use gatherhub_domain::event::EventStatus;
use gatherhub_ports::{EventOrdering, EventQuery, EventView};

use crate::error::Fail;
use crate::models;
use crate::sql::{Bind, Sql, limit_offset};
use crate::views::{self, EventViewRow};

#[derive(Debug, QueryableByName)]
pub(crate) struct Total {
    #[diesel(sql_type = BigInt)]
    pub(crate) total: i64,
}

pub(crate) async fn list(
    conn: &mut AsyncPgConnection,
    query: &EventQuery,
) -> Result<Page<EventView>, Fail> {
    let mut count = Sql::new("SELECT count(*) AS total FROM events e");
    conditions(&mut count, query);
    let total = models::count(count.get_result::<Total>(conn).await?.total)?;
    if query.page.offset() >= total {
        return Ok(Page {
            total,
            items: Vec::new(),
        });
    }
    let order = order_by(query.ordering);
    let viewer = query.viewer.map(|v| v.user_id);
    // The page is chosen first, so the views' joins run for its rows only.
    let mut sql = views::event_view(viewer, |s| {
        s.push("(SELECT e.* FROM events e");
        conditions(s, query);
        s.push(" ORDER BY ").push(order);
        limit_offset(s, &query.page);
        s.push(")");
    });
    sql.push(" ORDER BY ").push(order);
    let rows: Vec<EventViewRow> = sql.rows::<views::EventViewSql>().load(conn).await?;
    let items = rows
        .into_iter()
        .map(|row| row.into_view(viewer))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page { total, items })
}

/// The `WHERE` clause over `events e`: visibility, then every filter.
fn conditions(sql: &mut Sql, query: &EventQuery) {
    sql.push(" WHERE true");
    let filter = &query.filter;
    match query.viewer {
        None => {
            sql.push(" AND e.visibility = 'public'");
        }
        Some(viewer) if viewer.is_staff => {}
        Some(viewer) => {
            sql.push(
                " AND (e.visibility = 'public' OR EXISTS (SELECT 1 FROM memberships v \
                 WHERE v.event_id = e.id AND v.user_id = ",
            )
            .bind(Bind::Int(viewer.user_id.get()))
            .push("))");
        }
    }
    if filter.joined {
        match query.viewer {
            None => {
                sql.push(" AND false");
            }
            Some(viewer) => {
                sql.push(" AND EXISTS (SELECT 1 FROM memberships j WHERE j.event_id = e.id AND j.user_id = ")
                    .bind(Bind::Int(viewer.user_id.get()))
                    .push(")");
            }
        }
    }
    if let Some(status) = filter.status {
        let now = sql.param(Bind::Time(query.now));
        let condition = match status {
            EventStatus::Cancelled => "e.cancelled".to_owned(),
            EventStatus::Upcoming => format!("NOT e.cancelled AND {now} < e.date"),
            EventStatus::Ongoing => {
                format!(
                    "NOT e.cancelled AND e.date <= {now} AND e.end_date IS NOT NULL AND {now} < e.end_date"
                )
            }
            EventStatus::Completed => {
                format!(
                    "NOT e.cancelled AND e.date <= {now} AND (e.end_date IS NULL OR e.end_date <= {now})"
                )
            }
        };
        sql.push(&format!(" AND ({condition})"));
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
        sql.push(" AND e.date >= ").bind(Bind::Time(from));
    }
    if let Some(to) = filter.date_to {
        sql.push(" AND e.date <= ").bind(Bind::Time(to));
    }
    if let Some(search) = &filter.search {
        let needle = sql.param(Bind::Text(search.clone()));
        sql.push(&format!(
            " AND (strpos(lower(e.title), lower({needle})) > 0 \
             OR strpos(lower(e.description), lower({needle})) > 0 \
             OR strpos(lower(e.location), lower({needle})) > 0)"
        ));
    }
}

/// Each ordering with the id tie-breaker in its direction; titles compare
/// byte-wise as Rust strings do (and as the title index is built).
fn order_by(ordering: EventOrdering) -> &'static str {
    match ordering {
        EventOrdering::Date => "e.date ASC, e.id ASC",
        EventOrdering::DateDesc => "e.date DESC, e.id DESC",
        EventOrdering::CreatedAt => "e.created_at ASC, e.id ASC",
        EventOrdering::CreatedAtDesc => "e.created_at DESC, e.id DESC",
        EventOrdering::Title => "e.title COLLATE \"C\" ASC, e.id ASC",
        EventOrdering::TitleDesc => "e.title COLLATE \"C\" DESC, e.id DESC",
    }
}
