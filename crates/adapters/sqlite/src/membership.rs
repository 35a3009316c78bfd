//! Membership rules in SQL: counts, waitlist positions, FIFO promotion and the
//! join/leave units of work. The decisions are the domain's (`admit`,
//! `promotable`); they run inside the writer's transaction, so the counts
//! they decide on cannot change underneath them.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use gatherhub_domain::event::Capacity;
use gatherhub_domain::membership::{Joined, MemberStatus, Membership, Role, admit, promotable};
use gatherhub_domain::{EventId, Page, PageRequest, UserId};
use gatherhub_ports::{Conflict, MemberView, RepoError};

use crate::error::{Fail, Tx};
use crate::rows::{EventRow, GOING, MEMBER, MembershipRow, ORGANIZER, WAITLISTED, member_status};
use crate::schema::{events, memberships, tasks, users};
use crate::sql::{Bind, Sql, micros};
use crate::views::MemberRow;

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

/// The event as stored, or `NotFound`.
pub(crate) fn event_row(conn: &mut SqliteConnection, id: EventId) -> Tx<EventRow> {
    events::table
        .find(id.get())
        .select(EventRow::as_select())
        .get_result(conn)
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
        .get_result(conn)
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
        .get_result(conn)
        .optional()?
        .ok_or(Fail::Repo(RepoError::NotFound))?;
    let role: String = memberships::table
        .find((id.get(), user.get()))
        .select(memberships::role)
        .get_result(conn)
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

#[derive(Debug, QueryableByName)]
struct MemberCount {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Bool)]
    found: bool,
}

/// One page of an event's members: going ones in join order, then the
/// waitlist in order, with the list's size and the going count (from which
/// waitlist positions follow) as scalar subqueries: one statement. An empty
/// page costs a second one (does the event exist, how many members has it).
pub(crate) fn members_page(
    conn: &mut SqliteConnection,
    id: EventId,
    page: &PageRequest,
) -> Tx<Page<MemberView>> {
    // The counts name the event by its bound id, not by `m.event_id`: an
    // uncorrelated scalar subquery is evaluated once per statement, while a
    // correlated one would count the event's members again for every row of
    // the page (quadratic in the member count when every page is read).
    let mut sql = Sql::new(
        "SELECT m.event_id AS event_id, m.user_id AS user_id, m.role AS role, \
         m.status AS status, m.joined_at AS joined_at, \
         u.username AS username, u.first_name AS first_name, u.last_name AS last_name, \
         (SELECT count(*) FROM memberships c WHERE c.event_id = ",
    );
    sql.bind(Bind::Int(id.get()))
        .push(
            ") AS total, \
             (SELECT count(*) FROM memberships c WHERE c.status = 'going' AND c.event_id = ",
        )
        .bind(Bind::Int(id.get()))
        .push(") AS going FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.event_id = ");
    // 'going' sorts before 'waitlisted': the (event_id, status, seq) index
    // yields exactly the listing order.
    sql.bind(Bind::Int(id.get()))
        .push(" ORDER BY m.status, m.seq")
        .limit_offset(page);
    let rows: Vec<MemberRow> = sql.load(conn)?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => {
            let mut sql = Sql::new("SELECT (SELECT count(*) FROM memberships WHERE event_id = ");
            sql.bind(Bind::Int(id.get()))
                .push(") AS total, EXISTS (SELECT 1 FROM events WHERE id = ")
                .bind(Bind::Int(id.get()))
                .push(") AS found");
            let count: MemberCount = sql.get_result(conn)?;
            if !count.found {
                return Err(RepoError::NotFound.into());
            }
            count.total
        }
    };
    Ok(Page {
        total: u64::try_from(total).unwrap_or_default(),
        items: rows
            .into_iter()
            .zip(page.offset()..)
            .map(|(row, index)| row.into_view(index))
            .collect::<Tx<_>>()?,
    })
}
