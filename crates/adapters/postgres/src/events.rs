//! `EventRepo`: events and their membership. Every change to an event's
//! members locks the event row first and decides with the domain's rules
//! (`admit`, `promotable`, `check_capacity_change`) in the same transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use gatherhub_domain::event::{EventChanges, NewEvent, check_dates};
use gatherhub_domain::membership::{
    Joined, MemberStatus, Membership, Role, admit, check_capacity_change, promotable,
};
use gatherhub_domain::{EventId, Page, PageRequest, UserId};
use gatherhub_ports::{
    Conflict, EventQuery, EventRepo, EventView, MemberView, RepoError, RepoResult,
};

use crate::PgStore;
use crate::error::Fail;
use crate::event_list;
use crate::models::{self, EventRow, EventValues, summary};
use crate::roster::{counts, lock_event, membership_of, promote};
use crate::schema::{events, memberships, tasks, users};
use crate::sql::{Bind, Rows, Sql, fixed_statement, limit_offset};
use crate::views::{self, EventViewRow};

fixed_statement!(
    /// [`load_event_view`]'s statement: the same text for every event and
    /// viewer.
    EventById
);

/// The statement of [`load_event_view`].
pub(crate) fn event_by_id(
    id: EventId,
    viewer: Option<UserId>,
) -> Rows<views::EventViewSql, EventById> {
    let mut sql = views::event_view(viewer, |s| {
        s.push("events");
    });
    sql.push(" WHERE e.id = ").bind(Bind::Int(id.get()));
    sql.fixed_rows()
}

/// One event's view as `viewer` sees it, in one statement.
pub(crate) async fn load_event_view(
    conn: &mut AsyncPgConnection,
    id: EventId,
    viewer: Option<UserId>,
) -> Result<Option<EventView>, Fail> {
    let row = event_by_id(id, viewer)
        .get_result::<EventViewRow>(conn)
        .await
        .optional()?;
    Ok(row.map(|row| row.into_view(viewer)).transpose()?)
}

#[derive(Debug, QueryableByName)]
struct MemberCount {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = Bool)]
    found: bool,
}

#[derive(Debug, QueryableByName)]
struct MemberRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    role: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    joined_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    position: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    username: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    first_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    last_name: String,
}

#[async_trait::async_trait]
impl EventRepo for PgStore {
    async fn create_event(
        &self,
        event: NewEvent,
        organizer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<EventView> {
        check_dates(event.date, event.end_date)?;
        self.transaction(async |conn| {
            let values = EventValues {
                title: event.title.as_str(),
                description: event.description.as_str(),
                date: event.date,
                end_date: event.end_date,
                location: event.location.as_str(),
                max_participants: event.max_participants.map(models::capacity_value),
                visibility: event.visibility.as_str(),
                cancelled: false,
                updated_at: now,
            };
            let stored = diesel::insert_into(events::table)
                .values((
                    values,
                    events::organizer_id.eq(organizer.get()),
                    events::created_at.eq(now),
                ))
                .returning(EventRow::as_returning())
                .get_result(conn)
                .await?;
            diesel::insert_into(memberships::table)
                .values((
                    memberships::event_id.eq(stored.id),
                    memberships::user_id.eq(organizer.get()),
                    memberships::role.eq(Role::Organizer.as_str()),
                    memberships::status.eq(MemberStatus::Going.as_str()),
                    memberships::joined_at.eq(now),
                ))
                .execute(conn)
                .await?;
            let (username, first_name, last_name) = users::table
                .find(organizer.get())
                .select((users::username, users::first_name, users::last_name))
                .first::<(String, String, String)>(conn)
                .await?;
            let event = stored.into_event()?;
            Ok(EventView {
                membership: Some(Membership {
                    event_id: event.id,
                    user_id: organizer,
                    role: Role::Organizer,
                    status: MemberStatus::Going,
                    waitlist_position: None,
                    joined_at: now,
                }),
                event,
                organizer: summary(organizer.get(), username, first_name, last_name),
                going: 1,
                waitlisted: 0,
            })
        })
        .await
    }

    async fn get_event(
        &self,
        id: EventId,
        viewer: Option<UserId>,
    ) -> RepoResult<Option<EventView>> {
        self.run(async |conn| load_event_view(conn, id, viewer).await)
            .await
    }

    async fn list_events(&self, query: EventQuery) -> RepoResult<Page<EventView>> {
        self.run(async |conn| event_list::list(conn, &query).await)
            .await
    }

    async fn update_event(
        &self,
        id: EventId,
        changes: EventChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<(EventView, Vec<UserId>)> {
        self.transaction(async |conn| {
            let current = lock_event(conn, id).await?.into_event()?;
            let next = changes.apply(&current, now)?;
            let promoted_count = match changes.max_participants {
                Some(capacity) => {
                    let (going, waitlisted) = counts(conn, id).await?;
                    check_capacity_change(capacity, going)?;
                    promotable(capacity, going, waitlisted)
                }
                None => 0,
            };
            diesel::update(events::table.find(id.get()))
                .set(EventValues::from(&next))
                .execute(conn)
                .await?;
            let promoted = promote(conn, id, promoted_count).await?;
            let view = load_event_view(conn, id, Some(viewer))
                .await?
                .ok_or(RepoError::NotFound)?;
            Ok((view, promoted))
        })
        .await
    }

    /// Memberships, tasks, polls, options and votes go with it by cascade.
    async fn delete_event(&self, id: EventId) -> RepoResult<()> {
        self.run(async |conn| {
            let deleted = diesel::delete(events::table.find(id.get()))
                .execute(conn)
                .await?;
            if deleted == 0 {
                return Err(RepoError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    /// A closed event refuses everyone, existing members included, as the
    /// port states `EventClosed` without exception.
    async fn join_event(
        &self,
        id: EventId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<Joined> {
        self.transaction(async |conn| {
            let event = lock_event(conn, id).await?.into_event()?;
            if event.status(now).is_closed() {
                return Err(Conflict::EventClosed.into());
            }
            if let Some(membership) = membership_of(conn, id, user).await? {
                return Ok(Joined {
                    membership,
                    created: false,
                });
            }
            let (going, waitlisted) = counts(conn, id).await?;
            let status = admit(event.max_participants, going);
            diesel::insert_into(memberships::table)
                .values((
                    memberships::event_id.eq(id.get()),
                    memberships::user_id.eq(user.get()),
                    memberships::role.eq(Role::Member.as_str()),
                    memberships::status.eq(status.as_str()),
                    memberships::joined_at.eq(now),
                ))
                .execute(conn)
                .await?;
            let position =
                u32::try_from(waitlisted + 1).map_err(|_| models::corrupt("waitlist length"))?;
            Ok(Joined {
                membership: Membership {
                    event_id: id,
                    user_id: user,
                    role: Role::Member,
                    status,
                    waitlist_position: (status == MemberStatus::Waitlisted).then_some(position),
                    joined_at: now,
                },
                created: true,
            })
        })
        .await
    }

    /// Tasks are unassigned before the membership goes: their assignee is a
    /// foreign key to it. Their `updated_at` stays, since no clock is given.
    async fn leave_event(&self, id: EventId, user: UserId) -> RepoResult<Vec<UserId>> {
        self.transaction(async |conn| {
            let event = lock_event(conn, id).await?.into_event()?;
            let role: Option<String> = memberships::table
                .find((id.get(), user.get()))
                .select(memberships::role)
                .first(conn)
                .await
                .optional()?;
            match role.as_deref().map(models::role).transpose()? {
                None => return Err(Conflict::NotMember.into()),
                Some(Role::Organizer) => return Err(Conflict::OrganizerCannotLeave.into()),
                Some(Role::Member) => {}
            }
            diesel::update(
                tasks::table
                    .filter(tasks::event_id.eq(id.get()))
                    .filter(tasks::assignee_id.eq(user.get())),
            )
            .set(tasks::assignee_id.eq(None::<i64>))
            .execute(conn)
            .await?;
            diesel::delete(memberships::table.find((id.get(), user.get())))
                .execute(conn)
                .await?;
            let (going, waitlisted) = counts(conn, id).await?;
            promote(
                conn,
                id,
                promotable(event.max_participants, going, waitlisted),
            )
            .await
        })
        .await
    }

    async fn list_members(&self, id: EventId, page: PageRequest) -> RepoResult<Page<MemberView>> {
        self.run(async |conn| {
            let count = Sql::new(
                "SELECT (SELECT count(*) FROM memberships WHERE event_id = $1) AS total, \
                 EXISTS (SELECT 1 FROM events WHERE id = $1) AS found",
            )
            .arg(Bind::Int(id.get()))
            .get_result::<MemberCount>(conn)
            .await?;
            if !count.found {
                return Err(RepoError::NotFound.into());
            }
            let total = models::count(count.total)?;
            if page.offset() >= total {
                return Ok(Page { total, items: Vec::new() });
            }
            let mut sql = Sql::new(
                "SELECT m.user_id, m.role, m.status, m.joined_at, u.username, u.first_name, u.last_name, \
                 CASE WHEN m.status = 'waitlisted' \
                   THEN row_number() OVER (PARTITION BY m.status ORDER BY m.seq) END AS position \
                 FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.event_id = ",
            );
            sql.bind(Bind::Int(id.get()))
                .push(" ORDER BY m.status = 'waitlisted', m.seq");
            limit_offset(&mut sql, &page);
            let rows: Vec<MemberRow> = sql.load(conn).await?;
            let items = rows
                .into_iter()
                .map(|row| {
                    Ok(MemberView {
                        membership: Membership {
                            event_id: id,
                            user_id: UserId(row.user_id),
                            role: models::role(&row.role)?,
                            status: models::member_status(&row.status)?,
                            waitlist_position: models::position(row.position)?,
                            joined_at: row.joined_at,
                        },
                        user: summary(row.user_id, row.username, row.first_name, row.last_name),
                    })
                })
                .collect::<RepoResult<Vec<_>>>()?;
            Ok(Page { total, items })
        })
        .await
    }
}
