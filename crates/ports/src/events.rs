//! Events and their membership.

use chrono::{DateTime, Utc};
use gatherhub_domain::access::Actor;
use gatherhub_domain::event::{Event, EventChanges, EventStatus, NewEvent, Visibility};
use gatherhub_domain::membership::{Joined, Membership};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, Page, PageRequest, UserId};

use crate::RepoResult;

/// An event with what every response shows alongside it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView {
    pub event: Event,
    pub organizer: UserSummary,
    pub going: u64,
    pub waitlisted: u64,
    /// The viewer's own membership, if any.
    pub membership: Option<Membership>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub user: UserSummary,
    pub membership: Membership,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Case-insensitive substring of title, description or location.
    pub search: Option<String>,
    pub status: Option<EventStatus>,
    pub visibility: Option<Visibility>,
    pub organizer: Option<UserId>,
    /// Only events the viewer is a member of.
    pub joined: bool,
    /// `date >= date_from`.
    pub date_from: Option<DateTime<Utc>>,
    /// `date <= date_to`.
    pub date_to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventOrdering {
    Date,
    DateDesc,
    CreatedAt,
    #[default]
    CreatedAtDesc,
    Title,
    TitleDesc,
}

/// A page of the events `viewer` may see (public ones, their own private ones,
/// everything for staff), filtered and ordered; ties are broken by id
/// (descending for descending orders) so pages never overlap.
#[derive(Debug, Clone)]
pub struct EventQuery {
    pub viewer: Option<Actor>,
    pub filter: EventFilter,
    pub ordering: EventOrdering,
    pub page: PageRequest,
    /// The instant statuses are derived at.
    pub now: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait EventRepo: Send + Sync {
    /// Stores the event with `organizer` as its first going member (role
    /// organizer), in one unit of work.
    async fn create_event(
        &self,
        event: NewEvent,
        organizer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<EventView>;

    /// The event with counts and `viewer`'s membership; `None` if missing.
    async fn get_event(&self, id: EventId, viewer: Option<UserId>)
    -> RepoResult<Option<EventView>>;

    async fn list_events(&self, query: EventQuery) -> RepoResult<Page<EventView>>;

    /// Applies `changes` atomically with a lock on the event. MUST return
    /// `NotFound` for a missing event and `Invalid` (field `max_participants`)
    /// when the new capacity is below the going count, or (field `end_date`)
    /// when the end would precede the start. A raised capacity promotes the
    /// earliest waitlisted members in the same unit of work; their ids are
    /// returned in promotion order.
    async fn update_event(
        &self,
        id: EventId,
        changes: EventChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<(EventView, Vec<UserId>)>;

    /// Deletes the event with its memberships, tasks, polls and votes. MUST
    /// return `NotFound` for a missing event.
    async fn delete_event(&self, id: EventId) -> RepoResult<()>;

    /// Makes `user` a member: going while there is room, else waitlisted at the
    /// end of the FIFO queue. An existing membership is returned unchanged with
    /// `created: false`. Under any concurrency going members never exceed the
    /// capacity and a user is never a member twice. MUST return `NotFound` for a
    /// missing event and `Conflict(EventClosed)` for a cancelled or completed one.
    async fn join_event(&self, id: EventId, user: UserId, now: DateTime<Utc>)
    -> RepoResult<Joined>;

    /// Removes `user`'s membership, unassigns their tasks in the event, and
    /// promotes the earliest waitlisted members into freed places, in one unit
    /// of work; returns the promoted ids in order. MUST return `NotFound` for a
    /// missing event, `Conflict(NotMember)` and `Conflict(OrganizerCannotLeave)`.
    async fn leave_event(&self, id: EventId, user: UserId) -> RepoResult<Vec<UserId>>;

    /// Members: going ones in join order, then the waitlist in order.
    async fn list_members(&self, id: EventId, page: PageRequest) -> RepoResult<Page<MemberView>>;
}
