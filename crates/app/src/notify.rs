//! Real-time announcements of committed changes, shared by the services: who
//! may see an event's things (resolved once per message, from the event's
//! visibility and member list) and the best-effort hand-off to the notifier.
//!
//! Everything here runs after the write committed and never fails the use
//! case: a failure to resolve an audience is logged and the message skipped,
//! since the write stands either way and clients re-read through REST.

use gatherhub_domain::event::Visibility;
use gatherhub_domain::page::MAX_PAGE_SIZE;
use gatherhub_domain::{EventId, PageRequest, UserId};
use gatherhub_ports::{
    Audience, EventView, Kind, MemberView, Notice, NoticeData, PollView, RepoResult,
};

use crate::Deps;

/// Every member of an event, going first, then the waitlist.
pub(crate) async fn all_members(deps: &Deps, event: EventId) -> RepoResult<Vec<MemberView>> {
    let mut members = Vec::new();
    for page in 1.. {
        let request = PageRequest::new(Some(page), Some(i64::from(MAX_PAGE_SIZE)))?;
        let batch = deps.repos.events.list_members(event, request).await?;
        let fetched = batch.items.len();
        members.extend(batch.items);
        if fetched == 0 || members.len() as u64 >= batch.total {
            break;
        }
    }
    Ok(members)
}

/// Who may see an event and what is inside it except tasks: anyone for a
/// public event; its members (going or waitlisted) and staff for a private one.
pub(crate) fn event_audience(visibility: Visibility, members: &[MemberView]) -> Audience {
    match visibility {
        Visibility::Public => Audience::Public,
        Visibility::Private => Audience::users(members.iter().map(|m| m.user.id)),
    }
}

/// Who may see an event's tasks: its going members and staff.
pub(crate) fn task_audience(members: &[MemberView]) -> Audience {
    Audience::users(
        members
            .iter()
            .filter(|m| m.membership.is_going())
            .map(|m| m.user.id),
    )
}

/// Members, or `None` after logging why they could not be listed.
pub(crate) async fn members_or_log(
    deps: &Deps,
    event: EventId,
    kind: Kind,
) -> Option<Vec<MemberView>> {
    match all_members(deps, event).await {
        Ok(members) => Some(members),
        Err(error) => {
            tracing::warn!(%error, event_id = %event, kind = kind.as_str(), "real-time message skipped: members unavailable");
            None
        }
    }
}

/// Announces a change of an event's thing to whoever may see that event.
pub(crate) async fn to_event_viewers(deps: &Deps, kind: Kind, event: &EventView, data: NoticeData) {
    let audience = match event.event.visibility {
        Visibility::Public => Audience::Public,
        Visibility::Private => {
            let Some(members) = members_or_log(deps, event.event.id, kind).await else {
                return;
            };
            event_audience(Visibility::Private, &members)
        }
    };
    send(deps, Notice::new(kind, event.event.id, audience, data)).await;
}

/// Announces a change of a task to the event's going members.
pub(crate) async fn to_task_viewers(deps: &Deps, kind: Kind, event: EventId, data: NoticeData) {
    let Some(members) = members_or_log(deps, event, kind).await else {
        return;
    };
    send(
        deps,
        Notice::new(kind, event, task_audience(&members), data),
    )
    .await;
}

pub(crate) async fn send(deps: &Deps, notice: Notice) {
    deps.realtime.notifier.notify(notice).await;
}

/// The event as nobody in particular sees it: one rendering serves everyone.
pub(crate) fn impersonal_event(mut view: EventView) -> EventView {
    view.membership = None;
    view
}

/// The poll as nobody in particular sees it.
pub(crate) fn impersonal_poll(mut view: PollView) -> PollView {
    view.my_votes.clear();
    view
}

/// The members of `members` whose ids are in `ids`, in the order of `ids`.
pub(crate) fn pick(members: &[MemberView], ids: &[UserId]) -> Vec<MemberView> {
    ids.iter()
        .filter_map(|id| members.iter().find(|m| m.user.id == *id).cloned())
        .collect()
}
