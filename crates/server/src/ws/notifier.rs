//! The server's [`Notifier`]: renders each version of a use case's notice into
//! its JSON envelope once, with the same DTOs the REST routes answer with, and
//! publishes the result on the fabric. Best-effort: a failure (or a fabric
//! slower than the publish timeout) is logged once and the write stands.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use gatherhub_ports::{
    Broadcast, Clock, Fabric, Notice, NoticeData, Notifier, RealtimeEvent, Version,
};
use serde::Serialize;

use crate::dto::UserSummaryDto;
use crate::routes::events::{EventDto, MemberDto};
use crate::routes::tasks::TaskDto;
use crate::routes::voting::{PollDto, ResultsDto};

/// How long a write waits for the fabric to take a message.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

pub struct FabricNotifier {
    fabric: Arc<dyn Fabric>,
    clock: Arc<dyn Clock>,
    timeout: Duration,
}

impl FabricNotifier {
    pub fn new(fabric: Arc<dyn Fabric>, clock: Arc<dyn Clock>) -> Self {
        Self {
            fabric,
            clock,
            timeout: PUBLISH_TIMEOUT,
        }
    }

    /// The same with another bound on the wait for the fabric.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn publish(&self, message: Broadcast, what: &'static str) {
        let published = tokio::time::timeout(self.timeout, self.fabric.publish(Arc::new(message)));
        match published.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, what, "real-time message not published"),
            Err(_) => tracing::warn!(what, "real-time message not published: fabric timed out"),
        }
    }
}

#[async_trait::async_trait]
impl Notifier for FabricNotifier {
    async fn notify(&self, notice: Notice) {
        let kind = notice.kind;
        match render(notice, self.clock.now()) {
            Ok(event) => self.publish(Broadcast::Event(event), kind.as_str()).await,
            Err(error) => {
                tracing::error!(%error, kind = kind.as_str(), "real-time message not rendered")
            }
        }
    }

    async fn sessions_revoked(&self, session_ids: Vec<String>) {
        if !session_ids.is_empty() {
            self.publish(Broadcast::SessionsRevoked(session_ids), "sessions.revoked")
                .await;
        }
    }
}

/// `{"type", "event_id", "data", "timestamp"}`, the envelope of API §6.
#[derive(Serialize)]
struct Envelope<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    event_id: i64,
    data: T,
    timestamp: DateTime<Utc>,
}

#[derive(Serialize)]
struct UserData {
    user: UserSummaryDto,
}

#[derive(Serialize)]
struct DeletedData {
    id: i64,
}

/// `vote.cast`: the results object plus, for open ballots, who voted.
#[derive(Serialize)]
struct VoteData {
    #[serde(flatten)]
    results: ResultsDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    voter: Option<UserSummaryDto>,
}

/// Every version of `notice` as its final JSON text.
pub fn render(notice: Notice, now: DateTime<Utc>) -> serde_json::Result<RealtimeEvent> {
    let kind = notice.kind.as_str();
    let event_id = notice.event_id.get();
    let timestamp = now.trunc_subsecs(0);
    let envelope = |data| -> serde_json::Result<Arc<str>> {
        let text = match data {
            NoticeData::Event(view) => {
                to_string(kind, event_id, EventDto::new(view, now), timestamp)
            }
            NoticeData::Member(view) => to_string(kind, event_id, MemberDto::from(view), timestamp),
            NoticeData::User(user) => {
                let data = UserData { user: user.into() };
                to_string(kind, event_id, data, timestamp)
            }
            NoticeData::Task(view) => to_string(kind, event_id, TaskDto::from(view), timestamp),
            NoticeData::Poll(view) => {
                let open = view.poll.is_open(now);
                to_string(kind, event_id, PollDto::new(view, open), timestamp)
            }
            NoticeData::Results { results, voter } => {
                let open = results.view.poll.is_open(now);
                let data = VoteData {
                    results: ResultsDto::new(results, open),
                    voter: voter.map(UserSummaryDto::from),
                };
                to_string(kind, event_id, data, timestamp)
            }
            NoticeData::Deleted(id) => to_string(kind, event_id, DeletedData { id }, timestamp),
        }?;
        Ok(Arc::from(text))
    };
    let versions = notice
        .versions
        .into_iter()
        .map(|(audience, data)| {
            Ok(Version {
                audience,
                envelope: envelope(data)?,
            })
        })
        .collect::<serde_json::Result<_>>()?;
    Ok(RealtimeEvent {
        kind: notice.kind,
        event_id: notice.event_id,
        versions,
    })
}

fn to_string<T: Serialize>(
    kind: &'static str,
    event_id: i64,
    data: T,
    timestamp: DateTime<Utc>,
) -> serde_json::Result<String> {
    serde_json::to_string(&Envelope {
        kind,
        event_id,
        data,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use gatherhub_domain::user::UserSummary;
    use gatherhub_domain::{EventId, UserId};
    use gatherhub_ports::{Audience, Kind, RealtimeError, Subscription, SystemClock};
    use serde_json::{Value, json};

    use super::*;

    fn summary() -> UserSummary {
        UserSummary {
            id: UserId(7),
            username: "ann".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
        }
    }

    #[test]
    fn each_version_is_rendered_once_into_the_envelope() {
        let notice = Notice {
            kind: Kind::MemberLeft,
            event_id: EventId(3),
            versions: vec![
                (Audience::users([UserId(7)]), NoticeData::User(summary())),
                (Audience::Public, NoticeData::Deleted(9)),
            ],
        };
        let now = "2024-01-01T12:00:00.250Z".parse().unwrap();
        let event = render(notice, now).unwrap();
        assert_eq!((event.kind, event.event_id), (Kind::MemberLeft, EventId(3)));
        assert_eq!(event.versions.len(), 2);
        assert_eq!(event.versions[0].audience, Audience::users([UserId(7)]));
        let first: Value = serde_json::from_str(&event.versions[0].envelope).unwrap();
        assert_eq!(
            first,
            json!({"type": "member.left", "event_id": 3, "timestamp": "2024-01-01T12:00:00Z",
                   "data": {"user": {"id": 7, "username": "ann", "first_name": "Ann", "last_name": "Lee"}}})
        );
        let second: Value = serde_json::from_str(&event.versions[1].envelope).unwrap();
        assert_eq!(second["data"], json!({"id": 9}));
        // Who gets which rendering is decided without re-serialising.
        assert!(Arc::ptr_eq(
            event.envelope_for(Some(UserId(7)), false).unwrap(),
            &event.versions[0].envelope
        ));
        assert!(Arc::ptr_eq(
            event.envelope_for(None, false).unwrap(),
            &event.versions[1].envelope
        ));
    }

    /// A fabric that never answers, or always fails.
    struct Broken {
        hang: bool,
    }

    #[async_trait::async_trait]
    impl Fabric for Broken {
        async fn publish(&self, _: Arc<Broadcast>) -> Result<(), RealtimeError> {
            if self.hang {
                std::future::pending::<()>().await;
            }
            Err(RealtimeError::Unavailable("down".into()))
        }
        fn subscribe(&self) -> Box<dyn Subscription> {
            unimplemented!("not subscribed in these tests")
        }
        fn local_subscribers(&self) -> usize {
            0
        }
        fn backend(&self) -> &'static str {
            "broken"
        }
    }

    #[tokio::test]
    async fn a_broken_fabric_never_fails_or_holds_the_write() {
        let notice = Notice::new(
            Kind::EventDeleted,
            EventId(1),
            Audience::Public,
            NoticeData::Deleted(1),
        );
        for hang in [false, true] {
            let bound = Duration::from_millis(50);
            let notifier = FabricNotifier::new(Arc::new(Broken { hang }), Arc::new(SystemClock))
                .with_timeout(bound);
            // Neither call fails nor waits past its bound (generously checked).
            tokio::time::timeout(Duration::from_secs(10), async {
                notifier.notify(notice.clone()).await;
                notifier.sessions_revoked(vec!["s".into()]).await;
            })
            .await
            .unwrap();
        }
    }
}
