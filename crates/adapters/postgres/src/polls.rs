//! `PollRepo`: polls with their options, lists of them, and (through
//! `votes`) ballots. Changing a poll locks its row exclusively; replacing
//! the options checks for votes under that lock, which every vote must share.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gatherhub_domain::poll::{NewPoll, Poll, PollChanges, PollOptions};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, OptionId, Page, PollId, UserId};
use gatherhub_ports::{
    Conflict, PollOrdering, PollQuery, PollRepo, PollView, RepoError, RepoResult,
};

use crate::PgStore;
use crate::error::Fail;
use crate::event_list::Total;
use crate::models;
use crate::schema::{poll_options, polls, votes};
use crate::sql::{Bind, Rows, Sql, fixed_statement, limit_offset};
use crate::views::{self, PollViewRow};
use crate::votes as ballots;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = polls, check_for_backend(diesel::pg::Pg))]
struct PollRow {
    id: i64,
    event_id: i64,
    title: String,
    description: String,
    multiple_choice: bool,
    anonymous: bool,
    ends_at: Option<DateTime<Utc>>,
    closed: bool,
    created_by: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<PollRow> for Poll {
    fn from(row: PollRow) -> Self {
        Poll {
            id: PollId(row.id),
            event_id: EventId(row.event_id),
            title: row.title,
            description: row.description,
            multiple_choice: row.multiple_choice,
            anonymous: row.anonymous,
            ends_at: row.ends_at,
            closed: row.closed,
            created_by: UserId(row.created_by),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fixed_statement!(
    /// [`load_poll_view`]'s statement: the same text for every poll and
    /// viewer.
    PollById
);

/// The statement of [`load_poll_view`].
pub(crate) fn poll_by_id(id: PollId, viewer: Option<UserId>) -> Rows<views::PollViewSql, PollById> {
    let mut sql = views::poll_view(viewer, |s| {
        s.push("polls");
    });
    sql.push(" WHERE p.id = ").bind(Bind::Int(id.get()));
    sql.fixed_rows()
}

async fn load_poll_view(
    conn: &mut AsyncPgConnection,
    id: PollId,
    viewer: Option<UserId>,
) -> Result<Option<PollView>, Fail> {
    let row = poll_by_id(id, viewer)
        .get_result::<PollViewRow>(conn)
        .await
        .optional()?;
    Ok(row.map(PollViewRow::into_view).transpose()?)
}

/// Option rows positioned 0, 1, 2, ... in the given order, in one insert.
async fn insert_options(
    conn: &mut AsyncPgConnection,
    poll: PollId,
    texts: &PollOptions,
) -> Result<(), Fail> {
    let rows: Vec<_> = texts
        .texts()
        .zip(0_i32..)
        .map(|(text, position)| {
            (
                poll_options::poll_id.eq(poll.get()),
                poll_options::text.eq(text),
                poll_options::position.eq(position),
            )
        })
        .collect();
    diesel::insert_into(poll_options::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

fn found<T>(view: Option<T>) -> Result<T, Fail> {
    view.ok_or(Fail::Repo(RepoError::NotFound))
}

#[async_trait::async_trait]
impl PollRepo for PgStore {
    async fn create_poll(
        &self,
        poll: NewPoll,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.transaction(async |conn| {
            let id: i64 = diesel::insert_into(polls::table)
                .values((
                    polls::event_id.eq(poll.event_id.get()),
                    polls::title.eq(poll.title.as_str()),
                    polls::description.eq(poll.description.as_str()),
                    polls::multiple_choice.eq(poll.multiple_choice),
                    polls::anonymous.eq(poll.anonymous),
                    polls::ends_at.eq(poll.ends_at),
                    polls::created_by.eq(created_by.get()),
                    polls::created_at.eq(now),
                    polls::updated_at.eq(now),
                ))
                .returning(polls::id)
                .get_result(conn)
                .await?;
            insert_options(conn, PollId(id), &poll.options).await?;
            found(load_poll_view(conn, PollId(id), Some(created_by)).await?)
        })
        .await
    }

    async fn get_poll(&self, id: PollId, viewer: Option<UserId>) -> RepoResult<Option<PollView>> {
        self.run(async |conn| load_poll_view(conn, id, viewer).await)
            .await
    }

    async fn list_polls(&self, query: PollQuery) -> RepoResult<Page<PollView>> {
        self.run(async |conn| {
            let mut count = Sql::new(
                "SELECT count(*) AS total FROM polls p JOIN events e ON e.id = p.event_id",
            );
            conditions(&mut count, &query);
            let total = models::count(count.get_result::<Total>(conn).await?.total)?;
            if query.page.offset() >= total {
                return Ok(Page {
                    total,
                    items: Vec::new(),
                });
            }
            let order = order_by(query.ordering);
            let viewer = query.viewer.map(|v| v.user_id);
            let mut sql = views::poll_view(viewer, |s| {
                s.push("(SELECT p.* FROM polls p JOIN events e ON e.id = p.event_id");
                conditions(s, &query);
                s.push(" ORDER BY ").push(order);
                limit_offset(s, &query.page);
                s.push(")");
            });
            sql.push(" ORDER BY ").push(order);
            let rows: Vec<PollViewRow> = sql.rows::<views::PollViewSql>().load(conn).await?;
            let items = rows
                .into_iter()
                .map(PollViewRow::into_view)
                .collect::<RepoResult<Vec<_>>>()?;
            Ok(Page { total, items })
        })
        .await
    }

    async fn update_poll(
        &self,
        id: PollId,
        changes: PollChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.transaction(async |conn| {
            let current: Option<PollRow> = polls::table
                .find(id.get())
                .for_update()
                .select(PollRow::as_select())
                .first(conn)
                .await
                .optional()?;
            let current = Poll::from(found(current)?);
            if let Some(options) = &changes.options {
                let voted: bool = diesel::select(diesel::dsl::exists(
                    votes::table.filter(votes::poll_id.eq(id.get())),
                ))
                .get_result(conn)
                .await?;
                if voted {
                    return Err(Conflict::PollHasVotes.into());
                }
                diesel::delete(poll_options::table.filter(poll_options::poll_id.eq(id.get())))
                    .execute(conn)
                    .await?;
                insert_options(conn, id, options).await?;
            }
            let next = changes.apply(&current, now);
            diesel::update(polls::table.find(id.get()))
                .set((
                    polls::title.eq(&next.title),
                    polls::description.eq(&next.description),
                    polls::ends_at.eq(next.ends_at),
                    polls::updated_at.eq(next.updated_at),
                ))
                .execute(conn)
                .await?;
            found(load_poll_view(conn, id, Some(viewer)).await?)
        })
        .await
    }

    async fn delete_poll(&self, id: PollId) -> RepoResult<()> {
        self.run(async |conn| {
            let deleted = diesel::delete(polls::table.find(id.get()))
                .execute(conn)
                .await?;
            if deleted == 0 {
                return Err(RepoError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    async fn cast_vote(
        &self,
        id: PollId,
        user: UserId,
        options: &[OptionId],
        now: DateTime<Utc>,
    ) -> RepoResult<bool> {
        self.transaction(async |conn| ballots::cast(conn, id, user, options, now).await)
            .await
    }

    async fn retract_vote(&self, id: PollId, user: UserId, now: DateTime<Utc>) -> RepoResult<bool> {
        self.transaction(async |conn| ballots::retract(conn, id, user, now).await)
            .await
    }

    /// Closing a closed poll changes nothing, not even `updated_at`.
    async fn close_poll(
        &self,
        id: PollId,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.run(async |conn| {
            diesel::update(polls::table.find(id.get()).filter(polls::closed.eq(false)))
                .set((polls::closed.eq(true), polls::updated_at.eq(now)))
                .execute(conn)
                .await?;
            found(load_poll_view(conn, id, Some(viewer)).await?)
        })
        .await
    }

    async fn poll_voters(&self, id: PollId) -> RepoResult<Vec<(OptionId, UserSummary)>> {
        self.run(async |conn| ballots::voters(conn, id).await).await
    }
}

/// The `WHERE` clause over `polls p JOIN events e`: polls of events the viewer
/// may see, then the filters.
fn conditions(sql: &mut Sql, query: &PollQuery) {
    sql.push(" WHERE true");
    match query.viewer {
        None => {
            sql.push(" AND e.visibility = 'public'");
        }
        Some(viewer) if viewer.is_staff => {}
        Some(viewer) => {
            sql.push(
                " AND (e.visibility = 'public' OR EXISTS (SELECT 1 FROM memberships v \
                 WHERE v.event_id = p.event_id AND v.user_id = ",
            )
            .bind(Bind::Int(viewer.user_id.get()))
            .push("))");
        }
    }
    if let Some(event) = query.event {
        sql.push(" AND p.event_id = ").bind(Bind::Int(event.get()));
    }
    if let Some(open) = query.is_open {
        let now = sql.param(Bind::Time(query.now));
        let is_open = format!("(NOT p.closed AND (p.ends_at IS NULL OR {now} < p.ends_at))");
        sql.push(&if open {
            format!(" AND {is_open}")
        } else {
            format!(" AND NOT {is_open}")
        });
    }
}

/// Each ordering with the id tie-breaker in its direction; polls without an
/// end come last both ways; titles compare byte-wise.
fn order_by(ordering: PollOrdering) -> &'static str {
    match ordering {
        PollOrdering::CreatedAt => "p.created_at ASC, p.id ASC",
        PollOrdering::CreatedAtDesc => "p.created_at DESC, p.id DESC",
        PollOrdering::EndsAt => "p.ends_at ASC NULLS LAST, p.id ASC",
        PollOrdering::EndsAtDesc => "p.ends_at DESC NULLS LAST, p.id DESC",
        PollOrdering::Title => "p.title COLLATE \"C\" ASC, p.id ASC",
        PollOrdering::TitleDesc => "p.title COLLATE \"C\" DESC, p.id DESC",
    }
}
