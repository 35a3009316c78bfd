//! Membership use cases: joining (going or waitlisted), leaving with waitlist
//! promotion, member lists, and members managed by the organizer.

use gatherhub_domain::access::Actor;
use gatherhub_domain::membership::Joined;
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, Page, PageRequest, UserId, ValidationError};
use gatherhub_ports::{Conflict, MemberView, RepoError};

use super::announce::MemberChange;
use super::{EventService, event_error};
use crate::{AppError, AppResult, ConflictCode};

const ALREADY_MEMBER: &str = "This user is already a member of this event.";
const NOT_A_MEMBER: &str = "Only members of this event can see who is online.";

impl EventService {
    /// Joins the caller: going while there is room, else waitlisted. Joining
    /// again returns the existing membership with `created: false`; a closed
    /// event refuses everyone (`event_closed`), as the repository decides
    /// under its lock.
    pub async fn join(&self, actor: &Actor, id: EventId) -> AppResult<Joined> {
        let view = self.visible(Some(actor), id).await?;
        let now = self.deps.clock.now();
        let joined = self
            .deps
            .repos
            .events
            .join_event(id, actor.user_id, now)
            .await
            .map_err(event_error)?;
        if joined.created {
            let change = MemberChange {
                joined: Some(actor.user_id),
                ..MemberChange::default()
            };
            self.announce_members(&view, change).await;
        }
        Ok(joined)
    }

    /// Leaves; returns the waitlisted members promoted into the freed place.
    pub async fn leave(&self, actor: &Actor, id: EventId) -> AppResult<Vec<UserId>> {
        let view = self.visible(Some(actor), id).await?;
        let promoted = self
            .deps
            .repos
            .events
            .leave_event(id, actor.user_id)
            .await
            .map_err(event_error)?;
        self.announce_left(&view, actor.user_id, promoted.clone())
            .await;
        Ok(promoted)
    }

    /// Members of an event `viewer` may see: going first, then the waitlist.
    pub async fn members(
        &self,
        viewer: Option<&Actor>,
        id: EventId,
        page: PageRequest,
    ) -> AppResult<Page<MemberView>> {
        self.visible(viewer, id).await?;
        self.deps
            .repos
            .events
            .list_members(id, page)
            .await
            .map_err(event_error)
    }

    /// The organizer (or staff) adds a user by username, under the same
    /// capacity rules as joining; this is how private events get members.
    /// Returns the new membership with the added user's summary.
    pub async fn add_member(
        &self,
        actor: &Actor,
        id: EventId,
        username: Option<String>,
    ) -> AppResult<MemberView> {
        let view = self.managed(actor, id).await?;
        let username = username
            .as_deref()
            .map(str::trim)
            .ok_or_else(|| ValidationError::required("username"))?;
        if username.is_empty() {
            return Err(AppError::field("username", "This field may not be blank."));
        }
        let user = self
            .deps
            .repos
            .users
            .find_by_username(username)
            .await?
            .filter(|user| user.is_active)
            .ok_or_else(|| AppError::field("username", "User not found."))?;
        let existing = self
            .deps
            .repos
            .events
            .get_event(id, Some(user.id))
            .await
            .map_err(event_error)?
            .ok_or(AppError::NotFound("Event"))?;
        if existing.membership.is_some() {
            return Err(AppError::conflict(
                ConflictCode::AlreadyMember,
                ALREADY_MEMBER,
            ));
        }
        let now = self.deps.clock.now();
        let joined = self
            .deps
            .repos
            .events
            .join_event(id, user.id, now)
            .await
            .map_err(event_error)?;
        // Someone else added the same user between our check and the join.
        if !joined.created {
            return Err(AppError::conflict(
                ConflictCode::AlreadyMember,
                ALREADY_MEMBER,
            ));
        }
        let change = MemberChange {
            joined: Some(user.id),
            ..MemberChange::default()
        };
        self.announce_members(&view, change).await;
        Ok(MemberView {
            user: user.summary(),
            membership: joined.membership,
        })
    }

    /// The organizer (or staff) removes a member; returns who was promoted.
    /// A user who is not a member is `NotFound("Member")`: the addressed
    /// member resource does not exist.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        id: EventId,
        user: UserId,
    ) -> AppResult<Vec<UserId>> {
        let view = self.managed(actor, id).await?;
        let promoted = match self.deps.repos.events.leave_event(id, user).await {
            Err(RepoError::Conflict(Conflict::NotMember)) => Err(AppError::NotFound("Member")),
            other => other.map_err(event_error),
        }?;
        self.announce_left(&view, user, promoted.clone()).await;
        Ok(promoted)
    }

    /// `member.left` (with the user's summary) and `member.promoted`.
    async fn announce_left(
        &self,
        view: &gatherhub_ports::EventView,
        user: UserId,
        promoted: Vec<UserId>,
    ) {
        let left = match self.deps.repos.users.get(user).await {
            Ok(found) => found.map(|u| u.summary()),
            Err(error) => {
                tracing::warn!(%error, "real-time member.left skipped: user unavailable");
                None
            }
        };
        let change = MemberChange {
            left,
            promoted,
            ..MemberChange::default()
        };
        self.announce_members(view, change).await;
    }

    /// Who of the event's members is online. Only members (going or
    /// waitlisted) and staff may ask.
    pub async fn presence(&self, actor: &Actor, id: EventId) -> AppResult<Vec<UserSummary>> {
        let view = self.visible(Some(actor), id).await?;
        if view.membership.is_none() && !actor.is_staff {
            return Err(AppError::Forbidden(NOT_A_MEMBER));
        }
        self.online_members(id).await
    }
}
