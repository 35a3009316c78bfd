//! The in-memory adapter: one [`MemoryStore`] implementing every repository port.
//!
//! All tables live in one `State` behind a single lock. Each trait method
//! takes the lock once, does its whole unit of work synchronously and releases
//! it before returning, so every method is atomic, concurrent callers never
//! observe half-done changes, and the lock is never held across an `.await`.
//! Methods validate everything before they write, so a refused call leaves the
//! tables untouched.
//!
//! Rows that other rows refer to (users of events, events of tasks) are
//! checked the way a foreign key would check them: a missing one is
//! `RepoError::NotFound`.

mod events;
mod listing;
mod polls;
mod sessions;
mod state;
mod tasks;
mod users;

use std::fmt;
use std::sync::{PoisonError, RwLock};

use gatherhub_ports::{RepoResult, StoreHealth};

use crate::state::State;

/// Every GatherHub table in process memory: for tests, development and
/// zero-setup runs (`DATABASE_URL=memory://`). Cheap to create; share it as
/// `Arc<MemoryStore>`, e.g. through `Repositories::from_store`.
pub struct MemoryStore {
    state: RwLock<State>,
}

impl MemoryStore {
    /// An empty store; ids of every table start at 1.
    pub fn new() -> Self {
        Self {
            state: RwLock::new(State::default()),
        }
    }

    /// Runs `f` under a shared lock. A panic in an earlier writer cannot leave
    /// the tables half-changed (writers check before they write), so a
    /// poisoned lock is recovered rather than propagated.
    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        let guard = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// Runs `f` under the exclusive lock: one atomic unit of work.
    fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.read(|s| {
            f.debug_struct("MemoryStore")
                .field("users", &s.users.len())
                .field("sessions", &s.sessions.len())
                .field("events", &s.events.len())
                .field("tasks", &s.tasks.len())
                .field("polls", &s.polls.len())
                .finish()
        })
    }
}

#[async_trait::async_trait]
impl StoreHealth for MemoryStore {
    async fn ping(&self) -> RepoResult<()> {
        // Process memory is always reachable.
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
