//! Real-time ports: what the use cases announce after a write commits
//! ([`Notifier`]), the fabric that carries rendered messages to every instance
//! ([`Fabric`], [`Subscription`]), and who is online ([`Presence`]).
//!
//! The flow, and why it is split this way:
//! 1. A use case commits, then calls [`Notifier::notify`] with a [`Notice`]: the
//!    domain views of what changed, each with the [`Audience`] allowed to see
//!    that version (resolved once, at publish time, from the event's visibility
//!    and member list).
//! 2. The server's notifier renders each version's JSON envelope exactly once
//!    (with the same DTOs as the REST routes) into a [`RealtimeEvent`] and
//!    publishes it on the [`Fabric`] (in-process broadcast, or Redis pub/sub).
//! 3. Every WebSocket connection holds one [`Subscription`] and, per message,
//!    picks the first version whose audience admits its user: a cheap check
//!    (no I/O, no serialisation) done at delivery time.
//!
//! Publishing is best-effort: a failure is logged by the adapter and never
//! fails or rolls back the write that caused it.

mod presence;
mod wire;

pub use presence::{ConnectionId, NoPresence, Presence};

use std::sync::Arc;

use gatherhub_domain::poll::Tally;
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, OptionId, UserId};

use crate::{EventView, MemberView, PollView, TaskView};

/// The three WebSocket streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Events,
    Tasks,
    Voting,
}

impl Stream {
    /// The name used in paths (`/ws/<name>/`) and in `connection.established`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::Tasks => "tasks",
            Self::Voting => "voting",
        }
    }
}

macro_rules! kinds {
    ($($variant:ident => ($name:literal, $stream:ident)),* $(,)?) => {
        /// Every server message type of API §6, each on one stream.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($variant),*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The envelope's `type`, e.g. `vote.cast`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),*
                }
            }

            pub fn stream(self) -> Stream {
                match self {
                    $(Self::$variant => Stream::$stream),*
                }
            }

            /// The kind named `name`, if any.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    EventCreated => ("event.created", Events),
    EventUpdated => ("event.updated", Events),
    EventCancelled => ("event.cancelled", Events),
    EventDeleted => ("event.deleted", Events),
    MemberJoined => ("member.joined", Events),
    MemberLeft => ("member.left", Events),
    MemberPromoted => ("member.promoted", Events),
    PresenceOnline => ("presence.online", Events),
    PresenceOffline => ("presence.offline", Events),
    TaskCreated => ("task.created", Tasks),
    TaskUpdated => ("task.updated", Tasks),
    TaskAssigned => ("task.assigned", Tasks),
    TaskCompleted => ("task.completed", Tasks),
    TaskDeleted => ("task.deleted", Tasks),
    PollCreated => ("poll.created", Voting),
    PollUpdated => ("poll.updated", Voting),
    VoteCast => ("vote.cast", Voting),
    PollClosed => ("poll.closed", Voting),
    PollDeleted => ("poll.deleted", Voting),
}

/// Who may receive one version of a message. Staff see everything through
/// REST, so every audience admits staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, anonymous subscribers included (a public event's things).
    Public,
    /// Exactly these users (plus staff): e.g. a private event's members, or
    /// an event's going members for tasks, resolved when the change committed.
    /// Sorted and deduplicated (build it with [`Audience::users`]) so the
    /// delivery check is a binary search.
    Users(Arc<[UserId]>),
}

impl Audience {
    /// A `Users` audience from any list of ids.
    pub fn users(ids: impl IntoIterator<Item = UserId>) -> Self {
        let mut ids: Vec<UserId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Self::Users(ids.into())
    }

    /// Whether a subscriber (`None` when anonymous) may receive this version.
    pub fn admits(&self, user: Option<UserId>, is_staff: bool) -> bool {
        match self {
            Self::Public => true,
            Self::Users(ids) => is_staff || user.is_some_and(|u| ids.binary_search(&u).is_ok()),
        }
    }
}

/// A poll's counted results as one audience may see them (the REST
/// `/results/` object).
#[derive(Debug, Clone, PartialEq)]
pub struct PollResults {
    pub view: PollView,
    pub tally: Tally,
    /// Who chose what, in option order; `None` for anonymous polls and for
    /// viewers who are not members of the event (staff always see them).
    pub voters: Option<Vec<(OptionId, UserSummary)>>,
}

/// The `data` of a message, in domain terms. Views are the ones the REST API
/// returns for that object, seen by nobody in particular: an event's
/// `membership` is `None` and a poll's `my_votes` is empty, since one rendering
/// serves every subscriber.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeData {
    /// `event.created` / `updated` / `cancelled`: the event object.
    Event(EventView),
    /// `member.joined` / `member.promoted`: the membership object
    /// `{"user", "role", "status", "waitlist_position", "joined_at"}`.
    Member(MemberView),
    /// `member.left`, `presence.*`: `{"user": summary}`.
    User(UserSummary),
    /// `task.*` except deletion: the task object.
    Task(TaskView),
    /// `poll.created` / `updated` / `closed`: the poll object.
    Poll(PollView),
    /// `vote.cast`: the results object, plus `"voter": summary` when the poll
    /// is not anonymous and a ballot (not a retraction) caused it.
    Results {
        results: PollResults,
        voter: Option<UserSummary>,
    },
    /// `*.deleted`: `{"id": N}`.
    Deleted(i64),
}

/// What a use case announces after its write committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: Kind,
    /// The event the thing belongs to (`event_id` of the envelope).
    pub event_id: EventId,
    /// Versions of `data` by audience, most privileged first; a subscriber
    /// gets the first version whose audience admits it, or nothing.
    pub versions: Vec<(Audience, NoticeData)>,
}

impl Notice {
    /// A message with one version for one audience.
    pub fn new(kind: Kind, event_id: EventId, audience: Audience, data: NoticeData) -> Self {
        Self {
            kind,
            event_id,
            versions: vec![(audience, data)],
        }
    }
}

/// The use cases' outlet for real-time messages. Implementations render and
/// publish; they MUST NOT fail the caller or block it for long (bound any wait
/// on a remote fabric), and they log their own failures once.
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes `notice` to subscribers on every instance. Called after the
    /// write committed, in the order of the writes of one request.
    async fn notify(&self, notice: Notice);

    /// Closes every open WebSocket of these sessions, on every instance, with
    /// 1008 (logout, theft, password change). Best-effort like `notify`.
    async fn sessions_revoked(&self, session_ids: Vec<String>);
}

/// A notifier that drops everything: for embedders and tests without
/// real-time.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotifier;

#[async_trait::async_trait]
impl Notifier for NoNotifier {
    async fn notify(&self, _notice: Notice) {}
    async fn sessions_revoked(&self, _session_ids: Vec<String>) {}
}

/// One rendered version of a message: the complete JSON envelope
/// `{"type", "event_id", "data", "timestamp"}`, serialised once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub audience: Audience,
    pub envelope: Arc<str>,
}

/// A rendered server message as it travels on the fabric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealtimeEvent {
    pub kind: Kind,
    pub event_id: EventId,
    /// Most privileged first; see [`Notice::versions`].
    pub versions: Vec<Version>,
}

impl RealtimeEvent {
    pub fn stream(&self) -> Stream {
        self.kind.stream()
    }

    /// The envelope this subscriber may receive, if any.
    pub fn envelope_for(&self, user: Option<UserId>, is_staff: bool) -> Option<&Arc<str>> {
        self.versions
            .iter()
            .find(|v| v.audience.admits(user, is_staff))
            .map(|v| &v.envelope)
    }
}

/// Everything the fabric carries between instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broadcast {
    /// A server message for WebSocket subscribers.
    Event(RealtimeEvent),
    /// Control: close the sockets of these sessions with 1008.
    SessionsRevoked(Vec<String>),
    /// Control: a readiness round trip; subscribers other than the prober
    /// ignore it. The text identifies the probe.
    Probe(String),
}

impl Broadcast {
    /// A compact, versioned text encoding for fabrics that cross processes
    /// (Redis). Payload envelopes are carried verbatim, never re-serialised.
    pub fn encode(&self) -> String {
        wire::encode(self)
    }

    /// The inverse of [`Broadcast::encode`]; `None` for anything malformed
    /// or of an unknown version (log and skip it).
    pub fn decode(text: &str) -> Option<Self> {
        wire::decode(text)
    }
}

/// Why the fabric or presence could not do something.
#[derive(Debug, thiserror::Error)]
pub enum RealtimeError {
    /// The transport (e.g. Redis) cannot be reached or timed out. Safe to
    /// retry later; REST keeps working.
    #[error("real-time fabric unavailable: {0}")]
    Unavailable(String),
    /// Anything else. Its text is for logs only.
    #[error("real-time failure: {0}")]
    Unknown(String),
}

/// Why a subscription yielded no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// This subscriber fell behind its bounded queue and `n` messages were
    /// dropped for it alone; the connection MUST be dropped (slow consumer),
    /// since it can no longer see every message in order.
    #[error("subscriber lagged by {0} messages")]
    Lagged(u64),
    /// The fabric shut down; no message will ever come.
    #[error("fabric closed")]
    Closed,
}

/// Carries messages to every subscriber of every instance.
#[async_trait::async_trait]
pub trait Fabric: Send + Sync {
    /// Hands `message` to every subscription on every instance (this one
    /// included) that exists when the call returns, in publish order per
    /// publisher. MUST NOT wait unboundedly: when the transport is down it
    /// returns `Unavailable` promptly (the caller logs it; the write stands).
    /// Never blocks on a slow subscriber.
    async fn publish(&self, message: Arc<Broadcast>) -> Result<(), RealtimeError>;

    /// A new subscription to everything published from now on. Dropping it
    /// unsubscribes (no registry to leak).
    fn subscribe(&self) -> Box<dyn Subscription>;

    /// Live subscriptions on this instance (for status and leak tests).
    fn local_subscribers(&self) -> usize;

    /// A short name of the transport: `in-process`, `redis`.
    fn backend(&self) -> &'static str;
}

/// One subscriber's bounded queue of messages.
#[async_trait::async_trait]
pub trait Subscription: Send {
    /// The next message. MUST be cancel-safe (it is raced against other
    /// futures in `select!`): a cancelled call loses no message.
    async fn recv(&mut self) -> Result<Arc<Broadcast>, RecvError>;
}

/// The real-time parts an application is built with.
#[derive(Clone)]
pub struct Realtime {
    pub notifier: Arc<dyn Notifier>,
    pub presence: Arc<dyn Presence>,
}

impl Realtime {
    /// No real-time at all: messages are dropped and nobody is online.
    pub fn disabled() -> Self {
        Self {
            notifier: Arc::new(NoNotifier),
            presence: Arc::new(NoPresence),
        }
    }
}
