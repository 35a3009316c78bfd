//! Ballots. A vote takes a share lock on its poll row, so closing the poll or
//! replacing its options (which lock the row exclusively) waits for votes in
//! flight and is never overtaken by one; then an advisory lock on (poll, user)
//! serializes one user's ballots, so deleting and re-inserting the ballot is
//! atomic and each user counts once per option under any concurrency.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gatherhub_domain::poll::{PollOption, check_ballot, check_options_belong, is_open};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{OptionId, PollId, UserId};
use gatherhub_ports::{Conflict, RepoError};

use crate::error::Fail;
use crate::models::summary;
use crate::schema::{poll_options, polls, votes};
use crate::sql::{Bind, Sql};

/// Share-locks the poll and checks it is open at `now`; returns whether it
/// takes several options.
async fn lock_open_poll(
    conn: &mut AsyncPgConnection,
    id: PollId,
    now: DateTime<Utc>,
) -> Result<bool, Fail> {
    let poll: Option<(bool, Option<DateTime<Utc>>, bool)> = polls::table
        .find(id.get())
        .select((polls::closed, polls::ends_at, polls::multiple_choice))
        .for_share()
        .first(conn)
        .await
        .optional()?;
    let (closed, ends_at, multiple_choice) = poll.ok_or(Fail::Repo(RepoError::NotFound))?;
    if !is_open(closed, ends_at, now) {
        return Err(Conflict::PollClosed.into());
    }
    Ok(multiple_choice)
}

/// Waits until no other transaction handles `user`'s ballot in this poll.
/// Separate from the statements that follow, so that their snapshots see
/// what the previous holder committed. Ids are folded into the two 32-bit
/// keys; a collision only makes two ballots wait for each other.
async fn lock_ballot(conn: &mut AsyncPgConnection, id: PollId, user: UserId) -> Result<(), Fail> {
    let (poll_key, user_key) = (id.get() as i32, user.get() as i32);
    Sql::new("SELECT pg_advisory_xact_lock($1, $2)")
        .arg(Bind::Int32(poll_key))
        .arg(Bind::Int32(user_key))
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces `user`'s ballot; true when they had not voted before.
pub(crate) async fn cast(
    conn: &mut AsyncPgConnection,
    id: PollId,
    user: UserId,
    options: &[OptionId],
    now: DateTime<Utc>,
) -> Result<bool, Fail> {
    let multiple_choice = lock_open_poll(conn, id, now).await?;
    check_ballot(multiple_choice, options)?;
    let stored: Vec<PollOption> = poll_options::table
        .filter(poll_options::poll_id.eq(id.get()))
        .select((poll_options::id, poll_options::text, poll_options::position))
        .load::<(i64, String, i32)>(conn)
        .await?
        .into_iter()
        .map(|(option, text, position)| PollOption {
            id: OptionId(option),
            poll_id: id,
            text,
            position,
        })
        .collect();
    check_options_belong(options, &stored)?;
    lock_ballot(conn, id, user).await?;
    let replaced = diesel::delete(
        votes::table
            .filter(votes::poll_id.eq(id.get()))
            .filter(votes::user_id.eq(user.get())),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = options
        .iter()
        .map(|option| {
            (
                votes::poll_id.eq(id.get()),
                votes::option_id.eq(option.get()),
                votes::user_id.eq(user.get()),
                votes::created_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(votes::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(replaced == 0)
}

/// Removes `user`'s ballot; true when there was one.
pub(crate) async fn retract(
    conn: &mut AsyncPgConnection,
    id: PollId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, Fail> {
    lock_open_poll(conn, id, now).await?;
    lock_ballot(conn, id, user).await?;
    let removed = diesel::delete(
        votes::table
            .filter(votes::poll_id.eq(id.get()))
            .filter(votes::user_id.eq(user.get())),
    )
    .execute(conn)
    .await?;
    Ok(removed > 0)
}

#[derive(Debug, QueryableByName)]
struct VoterRow {
    #[diesel(sql_type = BigInt)]
    option_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    first_name: String,
    #[diesel(sql_type = Text)]
    last_name: String,
}

/// `(option, voter)` in option order, then vote order; `NotFound` for a
/// missing poll (asked only when there is no vote at all).
pub(crate) async fn voters(
    conn: &mut AsyncPgConnection,
    id: PollId,
) -> Result<Vec<(OptionId, UserSummary)>, Fail> {
    let rows: Vec<VoterRow> = Sql::new(
        "SELECT v.option_id, u.id AS user_id, u.username, u.first_name, u.last_name \
         FROM votes v JOIN poll_options o ON o.id = v.option_id JOIN users u ON u.id = v.user_id \
         WHERE v.poll_id = $1 ORDER BY o.position, v.id",
    )
    .arg(Bind::Int(id.get()))
    .load(conn)
    .await?;
    if rows.is_empty() {
        let exists: bool = diesel::select(diesel::dsl::exists(polls::table.find(id.get())))
            .get_result(conn)
            .await?;
        if !exists {
            return Err(RepoError::NotFound.into());
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                OptionId(row.option_id),
                summary(row.user_id, row.username, row.first_name, row.last_name),
            )
        })
        .collect())
}
