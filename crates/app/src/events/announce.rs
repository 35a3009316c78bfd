//! Real-time messages of the event service, sent after each write commits:
//! `event.*` to whoever may see the event, `member.*` likewise (a private
//! event's member list is read once per write and serves as the audience).

use gatherhub_domain::event::Visibility;
use gatherhub_domain::{EventId, UserId};
use gatherhub_ports::{Audience, EventView, Kind, MemberView, Notice, NoticeData};

use super::EventService;
use crate::notify;

/// What a membership write did, for its announcements.
#[derive(Default)]
pub(super) struct MemberChange {
    /// Who joined (or was added), if anyone.
    pub joined: Option<UserId>,
    /// Who left (or was removed), with their summary.
    pub left: Option<gatherhub_domain::user::UserSummary>,
    /// Waitlisted members promoted to going, in order.
    pub promoted: Vec<UserId>,
}

impl EventService {
    /// `event.created`, `event.updated` or `event.cancelled`, then
    /// `member.promoted` for each member a raised capacity promoted.
    pub(super) async fn announce_event(&self, kind: Kind, view: &EventView, promoted: &[UserId]) {
        let data = NoticeData::Event(notify::impersonal_event(view.clone()));
        if promoted.is_empty() {
            notify::to_event_viewers(&self.deps, kind, view, data).await;
            return;
        }
        let id = view.event.id;
        let Some(members) = notify::members_or_log(&self.deps, id, kind).await else {
            return;
        };
        let audience = notify::event_audience(view.event.visibility, &members);
        notify::send(&self.deps, Notice::new(kind, id, audience.clone(), data)).await;
        self.announce_promoted(id, &audience, &members, promoted)
            .await;
    }

    /// `event.deleted` to `audience`, resolved before the event (and its
    /// member list) went away.
    pub(super) async fn announce_deleted(&self, id: EventId, audience: Audience) {
        let notice = Notice::new(
            Kind::EventDeleted,
            id,
            audience,
            NoticeData::Deleted(id.get()),
        );
        notify::send(&self.deps, notice).await;
    }

    /// Who may see a private event's deletion: its members before it goes.
    /// `None` (after logging) when they cannot be listed.
    pub(super) async fn deletion_audience(&self, view: &EventView) -> Option<Audience> {
        match view.event.visibility {
            Visibility::Public => Some(Audience::Public),
            Visibility::Private => {
                notify::members_or_log(&self.deps, view.event.id, Kind::EventDeleted)
                    .await
                    .map(|members| notify::event_audience(Visibility::Private, &members))
            }
        }
    }

    /// `member.joined`, `member.left` and `member.promoted` after a
    /// membership write on `view`'s event.
    pub(super) async fn announce_members(&self, view: &EventView, change: MemberChange) {
        let id = view.event.id;
        let Some(members) = notify::members_or_log(&self.deps, id, Kind::MemberJoined).await else {
            return;
        };
        let audience = notify::event_audience(view.event.visibility, &members);
        if let Some(user) = change.left {
            let notice = Notice::new(
                Kind::MemberLeft,
                id,
                audience.clone(),
                NoticeData::User(user),
            );
            notify::send(&self.deps, notice).await;
        }
        if let Some(joined) = change.joined {
            for member in notify::pick(&members, &[joined]) {
                let data = NoticeData::Member(member);
                let notice = Notice::new(Kind::MemberJoined, id, audience.clone(), data);
                notify::send(&self.deps, notice).await;
            }
        }
        self.announce_promoted(id, &audience, &members, &change.promoted)
            .await;
    }

    async fn announce_promoted(
        &self,
        id: EventId,
        audience: &Audience,
        members: &[MemberView],
        promoted: &[UserId],
    ) {
        for member in notify::pick(members, promoted) {
            let data = NoticeData::Member(member);
            let notice = Notice::new(Kind::MemberPromoted, id, audience.clone(), data);
            notify::send(&self.deps, notice).await;
        }
    }
}
