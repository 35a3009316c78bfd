//! `PollRepo`: polls, their options and votes. A ballot is replaced as a
//! whole in the writer's transaction, after the open check; the unique
//! (poll, user, option) index and the composite (poll, option) foreign key
//! back it in the schema.

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use gatherhub_domain::poll::{
    NewPoll, Poll, PollChanges, PollOption, PollOptions, check_ballot, check_options_belong,
};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{OptionId, Page, PollId, UserId};
use gatherhub_ports::{Conflict, PollQuery, PollRepo, PollView, RepoError, RepoResult};

use crate::SqliteStore;
use crate::error::{Fail, Tx};
use crate::event_list::summaries;
use crate::poll_list::poll_view_of;
use crate::rows::{OptionRow, PollRow};
use crate::schema::{events, poll_options, polls, votes};
use crate::sql::{Bind, Sql, micros};
use crate::users::found;

#[derive(Insertable)]
#[diesel(table_name = polls)]
struct NewPollRow {
    event_id: i64,
    title: String,
    description: String,
    multiple_choice: bool,
    anonymous: bool,
    ends_at: Option<i64>,
    closed: bool,
    created_by: i64,
    created_at: i64,
    updated_at: i64,
}

/// Inserted in batches: `treat_none_as_default_value = false` lets diesel
/// send one multi-row `INSERT` (SQLite has no `DEFAULT` in a `VALUES` list,
/// so otherwise diesel sends one statement per row).
#[derive(Insertable)]
#[diesel(table_name = poll_options, treat_none_as_default_value = false)]
struct NewOptionRow {
    poll_id: i64,
    text: String,
    position: i32,
}

/// Inserted in batches, as options are.
#[derive(Insertable)]
#[diesel(table_name = votes, treat_none_as_default_value = false)]
struct NewVoteRow {
    poll_id: i64,
    option_id: i64,
    user_id: i64,
    created_at: i64,
}

/// The columns `PollChanges` may change, written whole (`None` as NULL).
#[derive(AsChangeset)]
#[diesel(table_name = polls, treat_none_as_null = true)]
struct PollUpdate {
    title: String,
    description: String,
    ends_at: Option<i64>,
    updated_at: i64,
}

fn poll_by_id(conn: &mut SqliteConnection, id: PollId) -> Tx<Poll> {
    polls::table
        .find(id.get())
        .select(PollRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(Fail::Repo(RepoError::NotFound))?
        .into_poll()
}

/// Stores `texts` as the options of `poll`, positioned 0, 1, 2, ... in order.
fn insert_options(
    conn: &mut SqliteConnection,
    poll: PollId,
    texts: &PollOptions,
) -> Tx<Vec<PollOption>> {
    let rows: Vec<NewOptionRow> = texts
        .texts()
        .zip(0..)
        .map(|(text, position)| NewOptionRow {
            poll_id: poll.get(),
            text: text.to_owned(),
            position,
        })
        .collect();
    let mut stored: Vec<PollOption> = diesel::insert_into(poll_options::table)
        .values(rows)
        .returning(OptionRow::as_returning())
        .get_results(conn)?
        .into_iter()
        .map(PollOption::from)
        .collect();
    // RETURNING promises no order.
    stored.sort_by_key(|o| o.position);
    Ok(stored)
}

/// The view of `poll` (as the caller just wrote it) as `viewer` sees it, the
/// rest read as stored: one statement.
fn one_view(conn: &mut SqliteConnection, poll: Poll, viewer: UserId) -> Tx<PollView> {
    let view = poll_view_of(conn, poll.id, Some(viewer))?
        .ok_or_else(|| Fail::corrupt("a poll without its view"))?;
    Ok(PollView { poll, ..view })
}

#[derive(Debug, QueryableByName)]
struct VoterRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    option_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    user_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    last_name: Option<String>,
}

/// Refuses votes and retractions once the poll is closed or has ended.
fn check_open(poll: &Poll, now: DateTime<Utc>) -> Tx<()> {
    if poll.is_open(now) {
        Ok(())
    } else {
        Err(Conflict::PollClosed.into())
    }
}

#[async_trait::async_trait]
impl PollRepo for SqliteStore {
    async fn create_poll(
        &self,
        poll: NewPoll,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.db
            .write(move |conn| {
                let event = events::table.find(poll.event_id.get());
                if !diesel::select(exists(event)).get_result::<bool>(conn)? {
                    return Err(RepoError::NotFound.into());
                }
                let creator = summaries(conn, [created_by])?
                    .remove(&created_by)
                    .ok_or(Fail::Repo(RepoError::NotFound))?;
                let row = NewPollRow {
                    event_id: poll.event_id.get(),
                    title: poll.title.into_inner(),
                    description: poll.description.into_inner(),
                    multiple_choice: poll.multiple_choice,
                    anonymous: poll.anonymous,
                    ends_at: poll.ends_at.map(micros),
                    closed: false,
                    created_by: created_by.get(),
                    created_at: micros(now),
                    updated_at: micros(now),
                };
                let stored = diesel::insert_into(polls::table)
                    .values(row)
                    .returning(PollRow::as_returning())
                    .get_result(conn)?
                    .into_poll()?;
                let options = insert_options(conn, stored.id, &poll.options)?;
                Ok(PollView {
                    poll: stored,
                    options: options.into_iter().map(|o| (o, 0)).collect(),
                    created_by: creator,
                    total_voters: 0,
                    my_votes: Vec::new(),
                })
            })
            .await
    }

    async fn get_poll(&self, id: PollId, viewer: Option<UserId>) -> RepoResult<Option<PollView>> {
        self.db
            .read(move |conn| poll_view_of(conn, id, viewer))
            .await
    }

    async fn list_polls(&self, query: PollQuery) -> RepoResult<Page<PollView>> {
        self.db
            .read(move |conn| crate::poll_list::list(conn, &query))
            .await
    }

    async fn update_poll(
        &self,
        id: PollId,
        changes: PollChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.db
            .write(move |conn| {
                let current = poll_by_id(conn, id)?;
                if changes.options.is_some() {
                    let cast = votes::table.filter(votes::poll_id.eq(id.get()));
                    if diesel::select(exists(cast)).get_result::<bool>(conn)? {
                        return Err(Conflict::PollHasVotes.into());
                    }
                }
                let next = changes.apply(&current, now);
                diesel::update(polls::table.find(id.get()))
                    .set(PollUpdate {
                        title: next.title.clone(),
                        description: next.description.clone(),
                        ends_at: next.ends_at.map(micros),
                        updated_at: micros(next.updated_at),
                    })
                    .execute(conn)?;
                if let Some(texts) = &changes.options {
                    diesel::delete(poll_options::table.filter(poll_options::poll_id.eq(id.get())))
                        .execute(conn)?;
                    insert_options(conn, id, texts)?;
                }
                one_view(conn, next, viewer)
            })
            .await
    }

    async fn delete_poll(&self, id: PollId) -> RepoResult<()> {
        self.db
            .write(move |conn| found(diesel::delete(polls::table.find(id.get())).execute(conn)?))
            .await
    }

    /// Checks in the in-memory store's order: the poll, open, the ballot's
    /// shape, its options; a missing user is `NotFound` (the foreign key).
    async fn cast_vote(
        &self,
        id: PollId,
        user: UserId,
        options: &[OptionId],
        now: DateTime<Utc>,
    ) -> RepoResult<bool> {
        let chosen = options.to_vec();
        self.db
            .write(move |conn| {
                let poll = poll_by_id(conn, id)?;
                check_open(&poll, now)?;
                check_ballot(poll.multiple_choice, &chosen)?;
                let own: Vec<PollOption> = poll_options::table
                    .filter(poll_options::poll_id.eq(id.get()))
                    .select(OptionRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(PollOption::from)
                    .collect();
                check_options_belong(&chosen, &own)?;
                let replaced = diesel::delete(
                    votes::table
                        .filter(votes::poll_id.eq(id.get()))
                        .filter(votes::user_id.eq(user.get())),
                )
                .execute(conn)?;
                let ballot: Vec<NewVoteRow> = chosen
                    .iter()
                    .map(|option| NewVoteRow {
                        poll_id: id.get(),
                        option_id: option.get(),
                        user_id: user.get(),
                        created_at: micros(now),
                    })
                    .collect();
                // One multi-row insert: ids, the vote order, follow the ballot.
                diesel::insert_into(votes::table)
                    .values(ballot)
                    .execute(conn)?;
                Ok(replaced == 0)
            })
            .await
    }

    async fn retract_vote(&self, id: PollId, user: UserId, now: DateTime<Utc>) -> RepoResult<bool> {
        self.db
            .write(move |conn| {
                check_open(&poll_by_id(conn, id)?, now)?;
                let removed = diesel::delete(
                    votes::table
                        .filter(votes::poll_id.eq(id.get()))
                        .filter(votes::user_id.eq(user.get())),
                )
                .execute(conn)?;
                Ok(removed > 0)
            })
            .await
    }

    /// Closing a closed poll changes nothing, not even `updated_at`.
    async fn close_poll(
        &self,
        id: PollId,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.db
            .write(move |conn| {
                let mut poll = poll_by_id(conn, id)?;
                if !poll.closed {
                    poll.closed = true;
                    poll.updated_at = now;
                    diesel::update(polls::table.find(id.get()))
                        .set((polls::closed.eq(true), polls::updated_at.eq(micros(now))))
                        .execute(conn)?;
                }
                one_view(conn, poll, viewer)
            })
            .await
    }

    /// One statement: the poll left-joined to its votes, so that a poll
    /// without votes (one row of NULLs) is told from a missing one (no row).
    async fn poll_voters(&self, id: PollId) -> RepoResult<Vec<(OptionId, UserSummary)>> {
        self.db
            .read(move |conn| {
                let mut sql = Sql::new(
                    "SELECT v.option_id AS option_id, u.id AS user_id, u.username AS username, \
                     u.first_name AS first_name, u.last_name AS last_name \
                     FROM polls p LEFT JOIN votes v ON v.poll_id = p.id \
                     LEFT JOIN poll_options o ON o.id = v.option_id \
                     LEFT JOIN users u ON u.id = v.user_id WHERE p.id = ",
                );
                sql.bind(Bind::Int(id.get()))
                    .push(" ORDER BY o.position, v.id");
                let rows: Vec<VoterRow> = sql.load(conn)?;
                if rows.is_empty() {
                    return Err(RepoError::NotFound.into());
                }
                rows.into_iter()
                    .filter(|row| row.option_id.is_some())
                    .map(|row| match row {
                        VoterRow {
                            option_id: Some(option),
                            user_id: Some(user),
                            username: Some(username),
                            first_name: Some(first_name),
                            last_name: Some(last_name),
                        } => Ok((
                            OptionId(option),
                            UserSummary {
                                id: UserId(user),
                                username,
                                first_name,
                                last_name,
                            },
                        )),
                        _ => Err(Fail::corrupt(format!(
                            "a vote of poll {id} without its voter"
                        ))),
                    })
                    .collect()
            })
            .await
    }
}
