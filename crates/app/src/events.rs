//! EventService: creating, reading, listing, changing and deleting events, and
//! their membership (join, leave, waitlist, organizer-managed members).
//!
//! Every method looks the event up as the caller first, so an event the caller
//! may not see is `NotFound("Event")` before any permission is considered.

mod announce;
mod input;
mod members;
mod presence;

use gatherhub_domain::access::{self, Actor};
use gatherhub_domain::{EventId, Page, UserId};
use gatherhub_ports::{EventQuery, EventView, Kind, RepoError};

use crate::{AppError, AppResult, Deps, scope};

pub use input::{EventInput, EventListInput};

const NOT_ORGANIZER: &str = "Only the organizer or staff can do this to an event.";

/// An updated event and the waitlisted members a raised capacity promoted, in
/// promotion order (for `member.promoted` notifications).
#[derive(Debug, Clone, PartialEq)]
pub struct EventUpdate {
    pub view: EventView,
    pub promoted: Vec<UserId>,
}

#[derive(Clone)]
pub struct EventService {
    deps: Deps,
}

/// A repository error where the event is the only thing that can be missing.
fn event_error(error: RepoError) -> AppError {
    match error {
        RepoError::NotFound => AppError::NotFound("Event"),
        other => other.into(),
    }
}

impl EventService {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Creates an event with the caller as organizer and first going member.
    pub async fn create(&self, actor: &Actor, input: EventInput) -> AppResult<EventView> {
        let now = self.deps.clock.now();
        let event = input::parse_new(input, now)?;
        let view = self
            .deps
            .repos
            .events
            .create_event(event, actor.user_id, now)
            .await?;
        self.announce_event(Kind::EventCreated, &view, &[]).await;
        Ok(view)
    }

    /// The event as `viewer` sees it (with their own membership).
    pub async fn get(&self, viewer: Option<&Actor>, id: EventId) -> AppResult<EventView> {
        self.visible(viewer, id).await
    }

    /// Events `viewer` may see, filtered and ordered. `joined=true` without a
    /// caller is an empty page: an anonymous caller is a member of nothing.
    pub async fn list(
        &self,
        viewer: Option<&Actor>,
        input: EventListInput,
    ) -> AppResult<Page<EventView>> {
        let parsed = input::parse_list(&input)?;
        if parsed.filter.joined && viewer.is_none() {
            return Ok(Page {
                total: 0,
                items: Vec::new(),
            });
        }
        let query = EventQuery {
            viewer: viewer.copied(),
            filter: parsed.filter,
            ordering: parsed.ordering,
            page: input.page,
            now: self.deps.clock.now(),
        };
        self.deps
            .repos
            .events
            .list_events(query)
            .await
            .map_err(AppError::from)
    }

    /// Changes an event (organizer or staff). `partial == false` (PUT) needs
    /// `title` and `date`. Raising the capacity promotes from the waitlist.
    pub async fn update(
        &self,
        actor: &Actor,
        id: EventId,
        input: EventInput,
        partial: bool,
    ) -> AppResult<EventUpdate> {
        let current = self.managed(actor, id).await?;
        let now = self.deps.clock.now();
        let changes = input::parse_changes(input, &current.event, partial, now)?;
        let (view, promoted) = self
            .deps
            .repos
            .events
            .update_event(id, changes, actor.user_id, now)
            .await
            .map_err(event_error)?;
        let kind = if view.event.cancelled && !current.event.cancelled {
            Kind::EventCancelled
        } else {
            Kind::EventUpdated
        };
        self.announce_event(kind, &view, &promoted).await;
        Ok(EventUpdate { view, promoted })
    }

    /// Deletes an event with everything inside it (organizer or staff).
    pub async fn delete(&self, actor: &Actor, id: EventId) -> AppResult<()> {
        let view = self.managed(actor, id).await?;
        // Once deleted, a private event's members can no longer be listed.
        let audience = self.deletion_audience(&view).await;
        self.deps
            .repos
            .events
            .delete_event(id)
            .await
            .map_err(event_error)?;
        if let Some(audience) = audience {
            self.announce_deleted(id, audience).await;
        }
        Ok(())
    }

    /// The event if `viewer` may see it, else `NotFound("Event")`.
    async fn visible(&self, viewer: Option<&Actor>, id: EventId) -> AppResult<EventView> {
        scope::visible_event(&self.deps, viewer, id)
            .await?
            .ok_or(AppError::NotFound("Event"))
    }

    /// The event if `actor` may see and manage it.
    async fn managed(&self, actor: &Actor, id: EventId) -> AppResult<EventView> {
        let view = self.visible(Some(actor), id).await?;
        if access::can_manage_event(view.event.organizer_id, actor) {
            Ok(view)
        } else {
            Err(AppError::Forbidden(NOT_ORGANIZER))
        }
    }
}
