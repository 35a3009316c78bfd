//! Presence: which members of an event hold an open real-time connection, and
//! the `presence.online` / `presence.offline` messages sent to the members of
//! a user's events when their first connection opens or their last one closes.
//!
//! The presence port decides "first" and "last" across every instance; this
//! module only turns those transitions into messages. Presence is best-effort
//! for connections (a failing store is logged and the socket carries on) but
//! not for the REST endpoint, which answers 503 rather than a wrong list.

use gatherhub_domain::access::Actor;
use gatherhub_domain::page::MAX_PAGE_SIZE;
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, PageRequest};
use gatherhub_ports::{
    Audience, ConnectionId, EventFilter, EventQuery, Kind, Notice, NoticeData, RealtimeError,
};

use super::EventService;
use crate::{AppError, AppResult, notify};

impl EventService {
    /// The members of `event` holding an open connection, in member order.
    pub(crate) async fn online_members(&self, event: EventId) -> AppResult<Vec<UserSummary>> {
        let members = notify::all_members(&self.deps, event).await?;
        let ids: Vec<_> = members.iter().map(|m| m.user.id).collect();
        let online = self
            .deps
            .realtime
            .presence
            .online(&ids)
            .await
            .map_err(presence_error)?;
        Ok(members
            .into_iter()
            .filter(|m| online.contains(&m.user.id))
            .map(|m| m.user)
            .collect())
    }

    /// A real-time connection of `user` opened. Their first one anywhere
    /// tells the members of each of their events that they are online.
    pub async fn connected(&self, actor: &Actor, user: &UserSummary, connection: &ConnectionId) {
        match self
            .deps
            .realtime
            .presence
            .connect(actor.user_id, connection)
            .await
        {
            Ok(true) => {
                self.announce_presence(actor, user, Kind::PresenceOnline)
                    .await
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "presence: connect not recorded"),
        }
    }

    /// Keeps a connection counted as online (refreshes its expiry).
    pub async fn heartbeat(&self, actor: &Actor, connection: &ConnectionId) {
        if let Err(error) = self
            .deps
            .realtime
            .presence
            .heartbeat(actor.user_id, connection)
            .await
        {
            tracing::warn!(%error, "presence: heartbeat not recorded");
        }
    }

    /// A real-time connection of `user` closed. Their last one anywhere
    /// tells the members of each of their events that they are offline.
    pub async fn disconnected(&self, actor: &Actor, user: &UserSummary, connection: &ConnectionId) {
        match self
            .deps
            .realtime
            .presence
            .disconnect(actor.user_id, connection)
            .await
        {
            Ok(true) => {
                self.announce_presence(actor, user, Kind::PresenceOffline)
                    .await
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "presence: disconnect not recorded"),
        }
    }

    /// One message per event of the user, to that event's members.
    async fn announce_presence(&self, actor: &Actor, user: &UserSummary, kind: Kind) {
        let now = self.deps.clock.now();
        for page in 1_u32.. {
            let Ok(request) =
                PageRequest::new(Some(i64::from(page)), Some(i64::from(MAX_PAGE_SIZE)))
            else {
                return;
            };
            let query = EventQuery {
                viewer: Some(*actor),
                filter: EventFilter {
                    joined: true,
                    ..EventFilter::default()
                },
                ordering: Default::default(),
                page: request,
                now,
            };
            let events = match self.deps.repos.events.list_events(query).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(%error, kind = kind.as_str(), "presence messages skipped");
                    return;
                }
            };
            for event in &events.items {
                let id = event.event.id;
                let Some(members) = notify::members_or_log(&self.deps, id, kind).await else {
                    continue;
                };
                let audience = Audience::users(members.iter().map(|m| m.user.id));
                let notice = Notice::new(kind, id, audience, NoticeData::User(user.clone()));
                notify::send(&self.deps, notice).await;
            }
            let seen = u64::from(page) * u64::from(MAX_PAGE_SIZE);
            if events.items.is_empty() || seen >= events.total {
                return;
            }
        }
    }
}

fn presence_error(error: RealtimeError) -> AppError {
    match error {
        RealtimeError::Unavailable(reason) => AppError::Unavailable(reason),
        RealtimeError::Unknown(reason) => AppError::Internal(reason.into()),
    }
}
