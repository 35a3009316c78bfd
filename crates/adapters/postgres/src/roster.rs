//! The membership steps that joining, leaving and capacity changes share. Each
//! runs inside the caller's transaction, after [`lock_event`]: the event row's
//! lock serializes every change to its members, so counting and then writing
//! is safe, and `seq` (drawn under the lock) is the join order.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gatherhub_domain::membership::{MemberStatus, Membership};
use gatherhub_domain::{EventId, UserId};
use gatherhub_ports::RepoError;

use crate::error::Fail;
use crate::models::{self, EventRow};
use crate::schema::{events, memberships};
use crate::sql::{Bind, Sql};

/// Locks the event row for a membership change (`FOR NO KEY UPDATE`: it
/// excludes other membership changes and task creation, which take `FOR
/// SHARE`, but not inserts that merely reference the event). `NotFound` when
/// the event is missing.
pub(crate) async fn lock_event(
    conn: &mut AsyncPgConnection,
    id: EventId,
) -> Result<EventRow, Fail> {
    let row = events::table
        .find(id.get())
        .for_no_key_update()
        .select(EventRow::as_select())
        .first(conn)
        .await
        .optional()?;
    row.ok_or(Fail::Repo(RepoError::NotFound))
}

/// Going and waitlisted counts of the event.
pub(crate) async fn counts(conn: &mut AsyncPgConnection, id: EventId) -> Result<(u64, u64), Fail> {
    let rows: Vec<(String, i64)> = memberships::table
        .filter(memberships::event_id.eq(id.get()))
        .group_by(memberships::status)
        .select((memberships::status, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let (mut going, mut waitlisted) = (0, 0);
    for (status, count) in rows {
        match models::member_status(&status)? {
            MemberStatus::Going => going = models::count(count)?,
            MemberStatus::Waitlisted => waitlisted = models::count(count)?,
        }
    }
    Ok((going, waitlisted))
}

#[derive(Debug, QueryableByName)]
struct MembershipRow {
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamptz)]
    joined_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<BigInt>)]
    position: Option<i64>,
}

/// `user`'s membership of the event with its waitlist position, if any.
pub(crate) async fn membership_of(
    conn: &mut AsyncPgConnection,
    id: EventId,
    user: UserId,
) -> Result<Option<Membership>, Fail> {
    let row = Sql::new(
        "SELECT m.role, m.status, m.joined_at, \
         CASE WHEN m.status = 'waitlisted' THEN (SELECT count(*) FROM memberships w \
           WHERE w.event_id = m.event_id AND w.status = 'waitlisted' AND w.seq <= m.seq) END AS position \
         FROM memberships m WHERE m.event_id = $1 AND m.user_id = $2",
    )
    .arg(Bind::Int(id.get()))
    .arg(Bind::Int(user.get()))
    .get_result::<MembershipRow>(conn)
    .await
    .optional()?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Membership {
        event_id: id,
        user_id: user,
        role: models::role(&row.role)?,
        status: models::member_status(&row.status)?,
        waitlist_position: models::position(row.position)?,
        joined_at: row.joined_at,
    }))
}

#[derive(Debug, QueryableByName)]
struct Promoted {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// Moves the `count` earliest waitlisted members to going, in one statement;
/// returns them in queue order.
pub(crate) async fn promote(
    conn: &mut AsyncPgConnection,
    id: EventId,
    count: u64,
) -> Result<Vec<UserId>, Fail> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let mut promoted: Vec<Promoted> = Sql::new(
        "UPDATE memberships SET status = 'going' WHERE event_id = $1 AND user_id IN \
         (SELECT user_id FROM memberships WHERE event_id = $1 AND status = 'waitlisted' \
          ORDER BY seq LIMIT $2) RETURNING user_id, seq",
    )
    .arg(Bind::Int(id.get()))
    .arg(Bind::Int(i64::try_from(count).unwrap_or(i64::MAX)))
    .load(conn)
    .await?;
    promoted.sort_by_key(|row| row.seq);
    Ok(promoted
        .into_iter()
        .map(|row| UserId(row.user_id))
        .collect())
}
