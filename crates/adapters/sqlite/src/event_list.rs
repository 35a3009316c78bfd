//! Event views and the event list: which events a viewer may see, the
//! filters (status derived at `query.now`), the orderings with id
//! tie-breaks, and the batched lookups that turn a page into views.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use gatherhub_domain::event::{Event, EventStatus};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{Page, UserId};
use gatherhub_ports::{EventOrdering, EventQuery, EventView};

use crate::error::{Fail, Tx};
use crate::membership::{counts_of, memberships_of};
use crate::rows::{EventRow, SummaryRow};
use crate::schema::{events, memberships, users};
use crate::sql::{fold, gh_contains, micros};

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

/// The views of `events` as `viewer` sees them, in the given order: at most
/// four queries (organizers, counts, the viewer's memberships and their
/// positions) for any number of events.
pub(crate) fn event_views(
    conn: &mut SqliteConnection,
    events: Vec<Event>,
    viewer: Option<UserId>,
) -> Tx<Vec<EventView>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = events.iter().map(|e| e.id.get()).collect();
    let organizers = summaries(conn, events.iter().map(|e| e.organizer_id))?;
    let counts = counts_of(conn, &ids)?;
    let mut mine = match viewer {
        Some(viewer) => memberships_of(conn, &ids, viewer)?,
        None => HashMap::new(),
    };
    events
        .into_iter()
        .map(|event| {
            let (going, waitlisted) = counts.get(&event.id.get()).copied().unwrap_or_default();
            Ok(EventView {
                organizer: summary_of(&organizers, event.organizer_id)?,
                going,
                waitlisted,
                membership: mine.remove(&event.id.get()),
                event,
            })
        })
        .collect()
}

type EventsQuery = events::BoxedQuery<'static, Sqlite>;

/// The events `query.viewer` may see that pass every filter (`joined`
/// without a viewer is answered by [`list`] without a query).
fn filtered(query: &EventQuery) -> EventsQuery {
    let filter = &query.filter;
    let mut q = events::table.into_boxed();
    let viewer = query.viewer;
    let joined_events = |user: UserId| {
        memberships::table
            .filter(memberships::user_id.eq(user.get()))
            .select(memberships::event_id)
    };
    match viewer {
        Some(actor) if actor.is_staff => {}
        Some(actor) => {
            q = q.filter(
                events::visibility
                    .eq("public")
                    .or(events::id.eq_any(joined_events(actor.user_id))),
            );
        }
        None => q = q.filter(events::visibility.eq("public")),
    }
    if filter.joined
        && let Some(actor) = viewer
    {
        q = q.filter(events::id.eq_any(joined_events(actor.user_id)));
    }
    if let Some(status) = filter.status {
        let now = micros(query.now);
        q = match status {
            EventStatus::Cancelled => q.filter(events::cancelled.eq(true)),
            EventStatus::Upcoming => q
                .filter(events::cancelled.eq(false))
                .filter(events::date.gt(now)),
            EventStatus::Ongoing => q
                .filter(events::cancelled.eq(false))
                .filter(events::date.le(now))
                .filter(events::end_date.gt(now)),
            EventStatus::Completed => q
                .filter(events::cancelled.eq(false))
                .filter(events::date.le(now))
                .filter(
                    events::end_date
                        .is_null()
                        .or(events::end_date.le(now).assume_not_null()),
                ),
        };
    }
    if let Some(visibility) = filter.visibility {
        q = q.filter(events::visibility.eq(visibility.as_str()));
    }
    if let Some(organizer) = filter.organizer {
        q = q.filter(events::organizer_id.eq(organizer.get()));
    }
    if let Some(from) = filter.date_from {
        q = q.filter(events::date.ge(micros(from)));
    }
    if let Some(to) = filter.date_to {
        q = q.filter(events::date.le(micros(to)));
    }
    if let Some(search) = &filter.search {
        let needle = fold(search);
        q = q.filter(
            gh_contains(events::title, needle.clone())
                .or(gh_contains(events::description, needle.clone()))
                .or(gh_contains(events::location, needle)),
        );
    }
    q
}

fn ordered(q: EventsQuery, ordering: EventOrdering) -> EventsQuery {
    match ordering {
        EventOrdering::Date => q.order((events::date.asc(), events::id.asc())),
        EventOrdering::DateDesc => q.order((events::date.desc(), events::id.desc())),
        EventOrdering::CreatedAt => q.order((events::created_at.asc(), events::id.asc())),
        EventOrdering::CreatedAtDesc => q.order((events::created_at.desc(), events::id.desc())),
        EventOrdering::Title => q.order((events::title.asc(), events::id.asc())),
        EventOrdering::TitleDesc => q.order((events::title.desc(), events::id.desc())),
    }
}

/// `list_events`: the total, the page, then the page's views.
pub(crate) fn list(conn: &mut SqliteConnection, query: &EventQuery) -> Tx<Page<EventView>> {
    if query.filter.joined && query.viewer.is_none() {
        return Ok(Page {
            total: 0,
            items: Vec::new(),
        });
    }
    let total: i64 = filtered(query).count().get_result(conn)?;
    let rows: Vec<EventRow> = ordered(filtered(query), query.ordering)
        .offset(i64::try_from(query.page.offset()).unwrap_or(i64::MAX))
        .limit(i64::try_from(query.page.limit()).unwrap_or(i64::MAX))
        .select(EventRow::as_select())
        .load(conn)?;
    let events = rows
        .into_iter()
        .map(EventRow::into_event)
        .collect::<Tx<Vec<_>>>()?;
    Ok(Page {
        total: u64::try_from(total).unwrap_or_default(),
        items: event_views(conn, events, query.viewer.map(|v| v.user_id))?,
    })
}
