//! Poll views and the poll list: tallies, voters and the viewer's ballot
//! gathered for a whole page in a fixed number of queries; which polls a
//! viewer may see, the filters and the orderings.

use std::collections::{HashMap, HashSet};

use diesel::dsl::count;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use gatherhub_domain::poll::{Poll, PollOption};
use gatherhub_domain::{Page, UserId};
use gatherhub_ports::{PollOrdering, PollQuery, PollView};

use crate::error::Tx;
use crate::event_list::{summaries, summary_of};
use crate::rows::{OptionRow, PollRow};
use crate::schema::{events, memberships, poll_options, polls, votes};
use crate::sql::micros;

/// The views of `polls` as `viewer` sees them, in the given order: at most
/// four queries (creators, options with their vote counts, voters per poll,
/// the viewer's votes) for any number of polls.
pub(crate) fn poll_views(
    conn: &mut SqliteConnection,
    polls: Vec<Poll>,
    viewer: Option<UserId>,
) -> Tx<Vec<PollView>> {
    if polls.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = polls.iter().map(|p| p.id.get()).collect();
    let creators = summaries(conn, polls.iter().map(|p| p.created_by))?;
    let tallied: Vec<(OptionRow, i64)> = poll_options::table
        .left_join(votes::table.on(votes::option_id.eq(poll_options::id)))
        .filter(poll_options::poll_id.eq_any(&ids))
        .group_by(poll_options::id)
        .order((poll_options::poll_id.asc(), poll_options::position.asc()))
        .select((OptionRow::as_select(), count(votes::id.nullable())))
        .load(conn)?;
    let mut options: HashMap<i64, Vec<(PollOption, u64)>> = HashMap::new();
    for (row, votes) in tallied {
        let option = PollOption::from(row);
        options
            .entry(option.poll_id.get())
            .or_default()
            .push((option, u64::try_from(votes).unwrap_or_default()));
    }
    let voters: HashMap<i64, i64> = votes::table
        .filter(votes::poll_id.eq_any(&ids))
        .group_by(votes::poll_id)
        .select((votes::poll_id, count(votes::user_id).aggregate_distinct()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let mine: HashSet<i64> = match viewer {
        Some(viewer) => votes::table
            .filter(votes::poll_id.eq_any(&ids))
            .filter(votes::user_id.eq(viewer.get()))
            .select(votes::option_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect(),
        None => HashSet::new(),
    };
    polls
        .into_iter()
        .map(|poll| {
            let options = options.remove(&poll.id.get()).unwrap_or_default();
            Ok(PollView {
                created_by: summary_of(&creators, poll.created_by)?,
                total_voters: voters
                    .get(&poll.id.get())
                    .map_or(0, |n| u64::try_from(*n).unwrap_or_default()),
                // In option order, as the options are.
                my_votes: options
                    .iter()
                    .map(|(option, _)| option.id)
                    .filter(|id| mine.contains(&id.get()))
                    .collect(),
                options,
                poll,
            })
        })
        .collect()
}

type PollsQuery = polls::BoxedQuery<'static, Sqlite>;

/// The polls of events `query.viewer` may see that pass every filter.
fn filtered(query: &PollQuery) -> PollsQuery {
    let mut q = polls::table.into_boxed();
    let public_events = || {
        events::table
            .filter(events::visibility.eq("public"))
            .select(events::id)
    };
    match query.viewer {
        Some(actor) if actor.is_staff => {}
        Some(actor) => {
            q = q.filter(
                polls::event_id
                    .eq_any(public_events())
                    .or(polls::event_id.eq_any(
                        memberships::table
                            .filter(memberships::user_id.eq(actor.user_id.get()))
                            .select(memberships::event_id),
                    )),
            );
        }
        None => q = q.filter(polls::event_id.eq_any(public_events())),
    }
    if let Some(event) = query.event {
        q = q.filter(polls::event_id.eq(event.get()));
    }
    if let Some(open) = query.is_open {
        let now = micros(query.now);
        // Open: not closed by hand and not past its end (NULL: no end).
        q = if open {
            q.filter(polls::closed.eq(false)).filter(
                polls::ends_at
                    .is_null()
                    .or(polls::ends_at.gt(now).assume_not_null()),
            )
        } else {
            q.filter(
                polls::closed
                    .eq(true)
                    .or(polls::ends_at.le(now).assume_not_null()),
            )
        };
    }
    q
}

/// Polls without an end come last in both end orders, as undated tasks do.
fn ordered(q: PollsQuery, ordering: PollOrdering) -> PollsQuery {
    let endless_last = polls::ends_at.is_null().asc();
    match ordering {
        PollOrdering::CreatedAt => q.order((polls::created_at.asc(), polls::id.asc())),
        PollOrdering::CreatedAtDesc => q.order((polls::created_at.desc(), polls::id.desc())),
        PollOrdering::EndsAt => q.order((endless_last, polls::ends_at.asc(), polls::id.asc())),
        PollOrdering::EndsAtDesc => {
            q.order((endless_last, polls::ends_at.desc(), polls::id.desc()))
        }
        PollOrdering::Title => q.order((polls::title.asc(), polls::id.asc())),
        PollOrdering::TitleDesc => q.order((polls::title.desc(), polls::id.desc())),
    }
}

/// `list_polls`: the total, the page, then the page's views.
pub(crate) fn list(conn: &mut SqliteConnection, query: &PollQuery) -> Tx<Page<PollView>> {
    let total: i64 = filtered(query).count().get_result(conn)?;
    let rows: Vec<PollRow> = ordered(filtered(query), query.ordering)
        .offset(i64::try_from(query.page.offset()).unwrap_or(i64::MAX))
        .limit(i64::try_from(query.page.limit()).unwrap_or(i64::MAX))
        .select(PollRow::as_select())
        .load(conn)?;
    let polls = rows
        .into_iter()
        .map(PollRow::into_poll)
        .collect::<Tx<Vec<_>>>()?;
    Ok(Page {
        total: u64::try_from(total).unwrap_or_default(),
        items: poll_views(conn, polls, query.viewer.map(|v| v.user_id))?,
    })
}
