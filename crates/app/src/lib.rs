//! GatherHub's use cases: authentication, events and membership, tasks and
//! voting. Each service checks permissions (visibility first: what a caller may
//! not see is `NotFound`; what they may see but not change is `Forbidden`; staff
//! may do anything), validates input into domain types, and calls one atomic
//! repository method per change.
//!
//! This is the crate other Rust services embed: build an [`App`] from any set of
//! adapters implementing `gatherhub_ports`.

pub mod auth;
pub mod error;
pub mod events;
mod notify;
mod scope;
pub mod tasks;
pub mod voting;

use std::sync::Arc;

use gatherhub_ports::{Clock, PasswordHasher, Realtime, Repositories, TokenIssuer};

pub use error::{AppError, AppResult, ConflictCode};
pub use gatherhub_domain::access::Actor;

/// What every service needs from the outside world.
#[derive(Clone)]
pub struct Deps {
    pub repos: Repositories,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub clock: Arc<dyn Clock>,
    /// Where committed changes are announced, and who is online
    /// (`Realtime::disabled()` without real-time).
    pub realtime: Realtime,
}

/// Every use case of GatherHub.
#[derive(Clone)]
pub struct App {
    pub auth: auth::AuthService,
    pub events: events::EventService,
    pub tasks: tasks::TaskService,
    pub voting: voting::VotingService,
    pub deps: Deps,
}

impl App {
    pub fn new(deps: Deps) -> Self {
        Self {
            auth: auth::AuthService::new(deps.clone()),
            events: events::EventService::new(deps.clone()),
            tasks: tasks::TaskService::new(deps.clone()),
            voting: voting::VotingService::new(deps.clone()),
            deps,
        }
    }

    /// Enables avatars: where their files are stored, and where the image
    /// work runs.
    pub fn with_avatar_media(mut self, media: auth::AvatarMedia) -> Self {
        self.auth = self.auth.with_avatar_media(media);
        self
    }
}
