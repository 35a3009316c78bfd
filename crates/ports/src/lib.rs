//! The traits GatherHub's use cases need from the world, in domain types only.
//!
//! Every repository method is one atomic unit of work: a method that changes
//! several rows (joining with capacity, leaving with promotion, replacing a vote)
//! does so in one transaction or under one lock, so a failure halfway leaves
//! nothing behind and concurrent callers never break an invariant. The contract
//! of each method, including which [`RepoError`] it returns when, is written on
//! the method and checked by the shared suite in `gatherhub-testkit`.

pub mod auth;
pub mod blocking;
pub mod clock;
pub mod error;
pub mod events;
pub mod polls;
pub mod realtime;
pub mod storage;
pub mod tasks;
pub mod users;

use std::sync::Arc;

pub use auth::{
    PasswordHasher, Rotation, Session, SessionRepo, TokenClaims, TokenError, TokenIssuer,
    TokenKind, TokenPair,
};
pub use blocking::{BlockingError, BlockingPool};
pub use clock::{Clock, SystemClock};
pub use error::{Conflict, RepoError, RepoResult};
pub use events::{EventFilter, EventOrdering, EventQuery, EventRepo, EventView, MemberView};
pub use polls::{PollOrdering, PollQuery, PollRepo, PollView};
pub use realtime::{
    Audience, Broadcast, ConnectionId, Fabric, Kind, NoNotifier, NoPresence, Notice, NoticeData,
    Notifier, PollResults, Presence, Realtime, RealtimeError, RealtimeEvent, RecvError, Stream,
    Subscription, Version,
};
pub use storage::{FileStorage, StorageError, StorageResult};
pub use tasks::{TaskFilter, TaskOrdering, TaskQuery, TaskRepo, TaskView};
pub use users::{AvatarChange, NewUser, ProfileUpdate, UserRepo};

/// Liveness of the storage behind the repositories, for readiness checks.
#[async_trait::async_trait]
pub trait StoreHealth: Send + Sync {
    /// A cheap round trip to the store. MUST return `Unavailable` when it cannot
    /// be reached.
    async fn ping(&self) -> RepoResult<()>;
    /// A short name of the backend, e.g. `memory`, `sqlite`, `postgres`.
    fn backend(&self) -> &'static str;
}

/// Every repository of one store, held as trait objects so the server can pick
/// the adapter at startup.
#[derive(Clone)]
pub struct Repositories {
    pub users: Arc<dyn UserRepo>,
    pub sessions: Arc<dyn SessionRepo>,
    pub events: Arc<dyn EventRepo>,
    pub tasks: Arc<dyn TaskRepo>,
    pub polls: Arc<dyn PollRepo>,
    pub health: Arc<dyn StoreHealth>,
}

impl Repositories {
    /// All repositories from one value implementing every port.
    pub fn from_store<S>(store: Arc<S>) -> Self
    where
        S: UserRepo + SessionRepo + EventRepo + TaskRepo + PollRepo + StoreHealth + 'static,
    {
        Self {
            users: store.clone(),
            sessions: store.clone(),
            events: store.clone(),
            tasks: store.clone(),
            polls: store.clone(),
            health: store,
        }
    }
}
