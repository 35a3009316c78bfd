//! Membership use cases: joining (going or waitlisted), leaving with waitlist
//! promotion, member lists, and members managed by the organizer.

use gatherhub_domain::access::Actor;
use gatherhub_domain::membership::Joined;
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, Page, PageRequest, UserId, ValidationError};
use gatherhub_ports::{Conflict, MemberView, RepoError};

use super::{EventService, event_error, presence};
use crate::{AppError, AppResult, ConflictCode};

const ALREADY_MEMBER: &str = "This user is already a member of this event.";
const NOT_A_MEMBER: &str = "Only members of this event can see who is online.";

impl EventService {
    /// Joins the caller: going while there is room, else waitlisted. Joining
    /// again returns the existing membership with `created: false`; a closed
    /// event refuses everyone (`event_closed`), as the repository decides
    /// under its lock.
    pub async fn join(&self, actor: &Actor, id: EventId) -> AppResult<Joined> {
        self.visible(Some(actor), id).await?;
        let now = self.deps.clock.now();
        self.deps
            .repos
            .events
            .join_event(id, actor.user_id, now)
            .await
            .map_err(event_error)
    }

    /// Leaves; returns the waitlisted members promoted into the freed place.
    pub async fn leave(&self, actor: &Actor, id: EventId) -> AppResult<Vec<UserId>> {
        self.visible(Some(actor), id).await?;
        self.deps
            .repos
            .events
            .leave_event(id, actor.user_id)
            .await
            .map_err(event_error)
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
        self.managed(actor, id).await?;
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
        self.managed(actor, id).await?;
        match self.deps.repos.events.leave_event(id, user).await {
            Err(RepoError::Conflict(Conflict::NotMember)) => Err(AppError::NotFound("Member")),
            other => other.map_err(event_error),
        }
    }

    /// Who of the event's members is online. Only members (going or
    /// waitlisted) and staff may ask.
    pub async fn presence(&self, actor: &Actor, id: EventId) -> AppResult<Vec<UserSummary>> {
        let view = self.visible(Some(actor), id).await?;
        if view.membership.is_none() && !actor.is_staff {
            return Err(AppError::Forbidden(NOT_A_MEMBER));
        }
        Ok(presence::online_members(id))
    }
}
