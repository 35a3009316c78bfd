//! `EventRepo`: events and their membership. Capacity, the FIFO waitlist and
//! promotion follow the domain's rules inside the writer's transaction (see
//! `membership`); deleting an event cascades in the schema.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gatherhub_domain::event::{EventChanges, NewEvent, check_dates};
use gatherhub_domain::membership::{Joined, MemberStatus, Membership, Role, check_capacity_change};
use gatherhub_domain::{EventId, Page, PageRequest, UserId};
use gatherhub_ports::{EventQuery, EventRepo, EventView, MemberView, RepoError, RepoResult};

use crate::SqliteStore;
use crate::error::{Fail, Tx};
use crate::event_list::summaries;
use crate::membership::{NewMembershipRow, counts, event_row, promote};
use crate::rows::{EventRow, GOING, ORGANIZER, stored_capacity};
use crate::schema::{events, memberships};
use crate::sql::{Bind, Sql, micros};
use crate::users::found;
use crate::views::{EventViewRow, event_view};

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEventRow {
    title: String,
    description: String,
    date: i64,
    end_date: Option<i64>,
    location: String,
    max_participants: Option<i32>,
    visibility: &'static str,
    cancelled: bool,
    organizer_id: i64,
    created_at: i64,
    updated_at: i64,
}

/// Every writable column: the new state is computed by the domain
/// (`EventChanges::apply`) and written whole, `None` as NULL.
#[derive(AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
struct EventUpdate {
    title: String,
    description: String,
    date: i64,
    end_date: Option<i64>,
    location: String,
    max_participants: Option<i32>,
    visibility: &'static str,
    cancelled: bool,
    updated_at: i64,
}

/// The view of event `id` as `viewer` sees it: one statement.
pub(crate) fn event_view_of(
    conn: &mut SqliteConnection,
    id: EventId,
    viewer: Option<UserId>,
) -> Tx<Option<EventView>> {
    let mut sql = Sql::default();
    event_view(
        &mut sql,
        viewer,
        |_| {},
        |s| {
            s.push("events");
        },
    );
    sql.push(" WHERE e.id = ").bind(Bind::Int(id.get()));
    sql.get_result::<EventViewRow>(conn)
        .optional()?
        .map(|row| row.into_view(viewer))
        .transpose()
}

#[async_trait::async_trait]
impl EventRepo for SqliteStore {
    async fn create_event(
        &self,
        event: NewEvent,
        organizer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<EventView> {
        check_dates(event.date, event.end_date)?;
        self.db
            .write(move |conn| {
                let organizer_summary = summaries(conn, [organizer])?
                    .remove(&organizer)
                    .ok_or(Fail::Repo(RepoError::NotFound))?;
                let row = NewEventRow {
                    title: event.title.into_inner(),
                    description: event.description.into_inner(),
                    date: micros(event.date),
                    end_date: event.end_date.map(micros),
                    location: event.location.into_inner(),
                    max_participants: stored_capacity(event.max_participants),
                    visibility: event.visibility.as_str(),
                    cancelled: false,
                    organizer_id: organizer.get(),
                    created_at: micros(now),
                    updated_at: micros(now),
                };
                let stored = diesel::insert_into(events::table)
                    .values(row)
                    .returning(EventRow::as_returning())
                    .get_result(conn)?
                    .into_event()?;
                diesel::insert_into(memberships::table)
                    .values(NewMembershipRow {
                        event_id: stored.id.get(),
                        user_id: organizer.get(),
                        role: ORGANIZER,
                        status: GOING,
                        seq: 1,
                        joined_at: micros(now),
                    })
                    .execute(conn)?;
                Ok(EventView {
                    membership: Some(Membership {
                        event_id: stored.id,
                        user_id: organizer,
                        role: Role::Organizer,
                        status: MemberStatus::Going,
                        waitlist_position: None,
                        joined_at: now,
                    }),
                    event: stored,
                    organizer: organizer_summary,
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
        self.db
            .read(move |conn| event_view_of(conn, id, viewer))
            .await
    }

    async fn list_events(&self, query: EventQuery) -> RepoResult<Page<EventView>> {
        self.db
            .read(move |conn| crate::event_list::list(conn, &query))
            .await
    }

    /// The end-date rule is checked before the capacity rule, as the
    /// in-memory store does.
    async fn update_event(
        &self,
        id: EventId,
        changes: EventChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<(EventView, Vec<UserId>)> {
        self.db
            .write(move |conn| {
                let current = event_row(conn, id)?.into_event()?;
                let next = changes.apply(&current, now)?;
                let promoted = match changes.max_participants {
                    Some(capacity) => {
                        let counts = counts(conn, id)?;
                        check_capacity_change(capacity, counts.going)?;
                        promote(conn, id, capacity, counts)?
                    }
                    None => Vec::new(),
                };
                diesel::update(events::table.find(id.get()))
                    .set(EventUpdate {
                        title: next.title.clone(),
                        description: next.description.clone(),
                        date: micros(next.date),
                        end_date: next.end_date.map(micros),
                        location: next.location.clone(),
                        max_participants: stored_capacity(next.max_participants),
                        visibility: next.visibility.as_str(),
                        cancelled: next.cancelled,
                        updated_at: micros(next.updated_at),
                    })
                    .execute(conn)?;
                // The event as the domain computed it (the stored row is
                // the same, at microsecond precision), with what else the
                // view shows as stored now.
                let view = event_view_of(conn, id, Some(viewer))?
                    .ok_or_else(|| Fail::corrupt("an updated event without its view"))?;
                Ok((
                    EventView {
                        event: next,
                        ..view
                    },
                    promoted,
                ))
            })
            .await
    }

    async fn delete_event(&self, id: EventId) -> RepoResult<()> {
        self.db
            .write(move |conn| found(diesel::delete(events::table.find(id.get())).execute(conn)?))
            .await
    }

    async fn join_event(
        &self,
        id: EventId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<Joined> {
        self.db
            .write(move |conn| crate::membership::join(conn, id, user, now))
            .await
    }

    async fn leave_event(&self, id: EventId, user: UserId) -> RepoResult<Vec<UserId>> {
        self.db
            .write(move |conn| crate::membership::leave(conn, id, user))
            .await
    }

    async fn list_members(&self, id: EventId, page: PageRequest) -> RepoResult<Page<MemberView>> {
        self.db
            .read(move |conn| crate::membership::members_page(conn, id, &page))
            .await
    }
}
