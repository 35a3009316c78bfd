//! Membership rules in SQL: counts, waitlist positions, FIFO promotion and the
//! join/leave units of work. The decisions are the domain's (`admit`,
//! `promotable`); they run inside the writer's transaction, so the counts
//! they decide on cannot change underneath them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use gatherhub_domain::event::Capacity;
use gatherhub_domain::membership::{Joined, MemberStatus, Membership, Role, admit, promotable};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, UserId};
use gatherhub_ports::{Conflict, RepoError};

use crate::error::{Fail, Tx};
use crate::rows::{
    EventRow, GOING, MEMBER, MembershipRow, ORGANIZER, SummaryRow, WAITLISTED, member_status,
};
use crate::schema::{events, memberships, tasks, users};
use crate::sql::micros;

/// How many members of one event go and wait, and the last join order given.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub(crate) going: u64,
    pub(crate) waitlisted: u64,
    pub(crate) last_seq: i64,
}

pub(crate) fn counts(conn: &mut SqliteConnection, event: EventId) -> Tx<Counts> {
    let rows: Vec<(String, i64, Option<i64>)> = memberships::table
        .filter(memberships::event_id.eq(event.get()))
        .group_by(memberships::status)
        .select((memberships::status, count_star(), max(memberships::seq)))
        .load(conn)?;
    let mut counts = Counts::default();
    for (status, count, last) in rows {
        let count = u64::try_from(count).unwrap_or_default();
        match member_status(&status)? {
            MemberStatus::Going => counts.going = count,
            MemberStatus::Waitlisted => counts.waitlisted = count,
        }
        counts.last_seq = counts.last_seq.max(last.unwrap_or_default());
    }
    Ok(counts)
}

/// `(going, waitlisted)` of each of `events` that has members.
pub(crate) fn counts_of(
    conn: &mut SqliteConnection,
    events: &[i64],
) -> Tx<HashMap<i64, (u64, u64)>> {
    let rows: Vec<(i64, String, i64)> = memberships::table
        .filter(memberships::event_id.eq_any(events))
        .group_by((memberships::event_id, memberships::status))
        .select((memberships::event_id, memberships::status, count_star()))
        .load(conn)?;
    let mut counts: HashMap<i64, (u64, u64)> = HashMap::new();
    for (event, status, count) in rows {
        let entry = counts.entry(event).or_default();
        let count = u64::try_from(count).unwrap_or_default();
        match member_status(&status)? {
            MemberStatus::Going => entry.0 = count,
            MemberStatus::Waitlisted => entry.1 = count,
        }
    }
    Ok(counts)
}

/// The 1-based waitlist position of the waitlisted member with join order `seq`.
fn position(conn: &mut SqliteConnection, event: i64, seq: i64) -> Tx<u32> {
    let ahead: i64 = memberships::table
        .filter(memberships::event_id.eq(event))
        .filter(memberships::status.eq(WAITLISTED))
        .filter(memberships::seq.le(seq))
        .count()
        .get_result(conn)?;
    Ok(u32::try_from(ahead).unwrap_or(u32::MAX))
}

fn with_position(conn: &mut SqliteConnection, row: MembershipRow) -> Tx<Membership> {
    let position = if row.is_waitlisted() {
        Some(position(conn, row.event_id, row.seq)?)
    } else {
        None
    };
    row.into_membership(position)
}

/// `viewer`'s memberships of `events`, by event id: two queries at most
/// (the memberships, then the positions of the waitlisted ones, counted by a
/// self-join), whatever the number of events.
pub(crate) fn memberships_of(
    conn: &mut SqliteConnection,
    events: &[i64],
    viewer: UserId,
) -> Tx<HashMap<i64, Membership>> {
    let rows: Vec<MembershipRow> = memberships::table
        .filter(memberships::event_id.eq_any(events))
        .filter(memberships::user_id.eq(viewer.get()))
        .select(MembershipRow::as_select())
        .load(conn)?;
    let waiting: Vec<i64> = rows
        .iter()
        .filter(|row| row.is_waitlisted())
        .map(|row| row.event_id)
        .collect();
    let positions: HashMap<i64, i64> = if waiting.is_empty() {
        HashMap::new()
    } else {
        let ahead = diesel::alias!(memberships as ahead);
        memberships::table
            .inner_join(
                ahead.on(ahead
                    .field(memberships::event_id)
                    .eq(memberships::event_id)
                    .and(ahead.field(memberships::status).eq(WAITLISTED))
                    .and(ahead.field(memberships::seq).le(memberships::seq))),
            )
            .filter(memberships::user_id.eq(viewer.get()))
            .filter(memberships::event_id.eq_any(&waiting))
            .group_by(memberships::event_id)
            .select((memberships::event_id, count_star()))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .collect()
    };
    rows.into_iter()
        .map(|row| {
            let position = positions
                .get(&row.event_id)
                .map(|p| u32::try_from(*p).unwrap_or(u32::MAX));
            Ok((row.event_id, row.into_membership(position)?))
        })
        .collect()
}

/// The event as stored, or `NotFound`.
pub(crate) fn event_row(conn: &mut SqliteConnection, id: EventId) -> Tx<EventRow> {
    events::table
        .find(id.get())
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Fail::Repo(RepoError::NotFound))
}

/// Moves the earliest waitlisted members into the places `capacity` leaves
/// free, given the current `counts`; returns them in promotion order.
pub(crate) fn promote(
    conn: &mut SqliteConnection,
    event: EventId,
    capacity: Option<Capacity>,
    counts: Counts,
) -> Tx<Vec<UserId>> {
    let free = promotable(capacity, counts.going, counts.waitlisted);
    if free == 0 {
        return Ok(Vec::new());
    }
    let promoted: Vec<i64> = memberships::table
        .filter(memberships::event_id.eq(event.get()))
        .filter(memberships::status.eq(WAITLISTED))
        .order(memberships::seq.asc())
        .limit(i64::try_from(free).unwrap_or(i64::MAX))
        .select(memberships::user_id)
        .load(conn)?;
    diesel::update(
        memberships::table
            .filter(memberships::event_id.eq(event.get()))
            .filter(memberships::user_id.eq_any(&promoted)),
    )
    .set(memberships::status.eq(GOING))
    .execute(conn)?;
    Ok(promoted.into_iter().map(UserId).collect())
}

#[derive(Insertable)]
#[diesel(table_name = memberships)]
pub(crate) struct NewMembershipRow {
    pub(crate) event_id: i64,
    pub(crate) user_id: i64,
    pub(crate) role: &'static str,
    pub(crate) status: &'static str,
    pub(crate) seq: i64,
    pub(crate) joined_at: i64,
}

/// `join_event`'s unit of work. The order of the checks is the port's: a
/// missing event or user first, then a closed event (even for members),
/// then an existing membership, returned unchanged.
pub(crate) fn join(
    conn: &mut SqliteConnection,
    id: EventId,
    user: UserId,
    now: DateTime<Utc>,
) -> Tx<Joined> {
    let event = event_row(conn, id)?.into_event()?;
    // One query tells a missing user (no row) from a non-member (NULL).
    let existing: Option<MembershipRow> = users::table
        .left_join(
            memberships::table.on(memberships::user_id
                .eq(users::id)
                .and(memberships::event_id.eq(id.get()))),
        )
        .filter(users::id.eq(user.get()))
        .select(Option::<MembershipRow>::as_select())
        .first(conn)
        .optional()?
        .ok_or(Fail::Repo(RepoError::NotFound))?;
    if event.status(now).is_closed() {
        return Err(Conflict::EventClosed.into());
    }
    if let Some(row) = existing {
        return Ok(Joined {
            membership: with_position(conn, row)?,
            created: false,
        });
    }
    let counts = counts(conn, id)?;
    let status = admit(event.max_participants, counts.going);
    let row = NewMembershipRow {
        event_id: id.get(),
        user_id: user.get(),
        role: MEMBER,
        status: match status {
            MemberStatus::Going => GOING,
            MemberStatus::Waitlisted => WAITLISTED,
        },
        seq: counts.last_seq + 1,
        joined_at: micros(now),
    };
    diesel::insert_into(memberships::table)
        .values(row)
        .execute(conn)?;
    let position = (status == MemberStatus::Waitlisted)
        .then(|| u32::try_from(counts.waitlisted + 1).unwrap_or(u32::MAX));
    Ok(Joined {
        membership: Membership {
            event_id: id,
            user_id: user,
            role: Role::Member,
            status,
            waitlist_position: position,
            joined_at: now,
        },
        created: true,
    })
}

/// `leave_event`'s unit of work: remove, unassign the leaver's tasks in the
/// event, promote into the freed place.
pub(crate) fn leave(conn: &mut SqliteConnection, id: EventId, user: UserId) -> Tx<Vec<UserId>> {
    let capacity: Option<i32> = events::table
        .find(id.get())
        .select(events::max_participants)
        .first(conn)
        .optional()?
        .ok_or(Fail::Repo(RepoError::NotFound))?;
    let role: String = memberships::table
        .find((id.get(), user.get()))
        .select(memberships::role)
        .first(conn)
        .optional()?
        .ok_or(Fail::from(Conflict::NotMember))?;
    if role == ORGANIZER {
        return Err(Conflict::OrganizerCannotLeave.into());
    }
    diesel::delete(memberships::table.find((id.get(), user.get()))).execute(conn)?;
    // No clock is given, so the unassigned tasks keep their `updated_at`.
    diesel::update(
        tasks::table
            .filter(tasks::event_id.eq(id.get()))
            .filter(tasks::assignee_id.eq(user.get())),
    )
    .set(tasks::assignee_id.eq(None::<i64>))
    .execute(conn)?;
    let counts = counts(conn, id)?;
    promote(conn, id, crate::rows::capacity(capacity)?, counts)
}

/// One page of an event's members: going ones in join order, then the
/// waitlist in order. Positions follow from the page's offset and the going
/// count, so the page is one query.
pub(crate) fn members_page(
    conn: &mut SqliteConnection,
    id: EventId,
    offset: u64,
    limit: u64,
) -> Tx<(u64, Vec<(UserSummary, Membership)>)> {
    event_row(conn, id)?;
    let counts = counts(conn, id)?;
    // 'going' sorts before 'waitlisted': the (event_id, status, seq) index
    // yields exactly the listing order.
    let rows: Vec<(MembershipRow, SummaryRow)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::event_id.eq(id.get()))
        .order((memberships::status.asc(), memberships::seq.asc()))
        .offset(i64::try_from(offset).unwrap_or(i64::MAX))
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select((MembershipRow::as_select(), SummaryRow::as_select()))
        .load(conn)?;
    let members = rows
        .into_iter()
        .zip(offset..)
        .map(|((row, user), index)| {
            let position = row.is_waitlisted().then(|| {
                u32::try_from((index + 1).saturating_sub(counts.going)).unwrap_or(u32::MAX)
            });
            Ok((user.into(), row.into_membership(position)?))
        })
        .collect::<Tx<Vec<_>>>()?;
    Ok((counts.going + counts.waitlisted, members))
}
