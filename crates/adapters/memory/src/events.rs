//! `EventRepo`: events and their membership, kept in the domain's `Roster` so
//! capacity, the FIFO waitlist and promotion follow the reference rules.

use chrono::{DateTime, Utc};
use gatherhub_domain::event::{Event, EventChanges, NewEvent, check_dates};
use gatherhub_domain::membership::{Joined, LeaveError, Roster};
use gatherhub_domain::{EventId, Page, PageRequest, UserId};
use gatherhub_ports::{
    Conflict, EventQuery, EventRepo, EventView, MemberView, RepoError, RepoResult,
};

use crate::MemoryStore;
use crate::listing;
use crate::state::{EventRow, State, try_map};

impl State {
    /// The event as every response shows it, seen by `viewer`.
    pub(crate) fn event_view(
        &self,
        row: &EventRow,
        viewer: Option<UserId>,
    ) -> RepoResult<EventView> {
        Ok(EventView {
            event: row.event.clone(),
            organizer: self.summary(row.event.organizer_id)?,
            going: row.roster.going(),
            waitlisted: row.roster.waitlisted(),
            membership: viewer.and_then(|v| row.roster.get(v)),
        })
    }
}

#[async_trait::async_trait]
impl EventRepo for MemoryStore {
    async fn create_event(
        &self,
        event: NewEvent,
        organizer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<EventView> {
        check_dates(event.date, event.end_date)?;
        self.write(|s| {
            s.require_user(organizer)?;
            let id = EventId(s.ids.event.next());
            let row = EventRow {
                event: Event {
                    id,
                    title: event.title.into_inner(),
                    description: event.description.into_inner(),
                    date: event.date,
                    end_date: event.end_date,
                    location: event.location.into_inner(),
                    max_participants: event.max_participants,
                    visibility: event.visibility,
                    cancelled: false,
                    organizer_id: organizer,
                    created_at: now,
                    updated_at: now,
                },
                roster: Roster::new(id, event.max_participants, organizer, now),
            };
            let view = s.event_view(&row, Some(organizer))?;
            s.events.insert(id, row);
            Ok(view)
        })
    }

    async fn get_event(
        &self,
        id: EventId,
        viewer: Option<UserId>,
    ) -> RepoResult<Option<EventView>> {
        self.read(|s| {
            s.events
                .get(&id)
                .map(|row| s.event_view(row, viewer))
                .transpose()
        })
    }

    async fn list_events(&self, query: EventQuery) -> RepoResult<Page<EventView>> {
        self.read(|s| {
            let viewer = query.viewer.map(|v| v.user_id);
            try_map(query.page.slice(listing::events(s, &query)), |row| {
                s.event_view(row, viewer)
            })
        })
    }

    async fn update_event(
        &self,
        id: EventId,
        changes: EventChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<(EventView, Vec<UserId>)> {
        self.write(|s| {
            let current = s.event_row(id)?;
            let event = changes.apply(&current.event, now)?;
            let mut roster = current.roster.clone();
            let promoted = match changes.max_participants {
                Some(capacity) => roster.set_capacity(capacity)?,
                None => Vec::new(),
            };
            let row = EventRow { event, roster };
            let view = s.event_view(&row, Some(viewer))?;
            s.events.insert(id, row);
            Ok((view, promoted))
        })
    }

    async fn delete_event(&self, id: EventId) -> RepoResult<()> {
        self.write(|s| {
            s.events.remove(&id).ok_or(RepoError::NotFound)?;
            s.tasks.retain(|_, task| task.event_id != id);
            // Options and votes live inside their poll's row.
            s.polls.retain(|_, row| row.poll.event_id != id);
            Ok(())
        })
    }

    /// A closed event refuses everyone, existing members included: the port
    /// states `EventClosed` without exception.
    async fn join_event(
        &self,
        id: EventId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<Joined> {
        self.write(|s| {
            s.event_row(id)?;
            s.require_user(user)?;
            let row = s.events.get_mut(&id).ok_or(RepoError::NotFound)?;
            if row.event.status(now).is_closed() {
                return Err(Conflict::EventClosed.into());
            }
            Ok(row.roster.join(user, now))
        })
    }

    async fn leave_event(&self, id: EventId, user: UserId) -> RepoResult<Vec<UserId>> {
        self.write(|s| {
            let row = s.events.get_mut(&id).ok_or(RepoError::NotFound)?;
            let promoted = row.roster.leave(user).map_err(|e| match e {
                LeaveError::NotMember => Conflict::NotMember,
                LeaveError::OrganizerCannotLeave => Conflict::OrganizerCannotLeave,
            })?;
            // No clock is given, so `updated_at` of the unassigned tasks stays.
            for task in s.tasks.values_mut() {
                if task.event_id == id && task.assignee_id == Some(user) {
                    task.assignee_id = None;
                }
            }
            Ok(promoted)
        })
    }

    async fn list_members(&self, id: EventId, page: PageRequest) -> RepoResult<Page<MemberView>> {
        self.read(|s| {
            let members = page.slice(s.event_row(id)?.roster.list());
            try_map(members, |membership| {
                Ok(MemberView {
                    user: s.summary(membership.user_id)?,
                    membership,
                })
            })
        })
    }
}
