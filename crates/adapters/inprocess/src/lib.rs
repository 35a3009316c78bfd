//! The in-process real-time adapters: a [`InProcessFabric`] fanning messages
//! out to the subscribers of this process through a bounded tokio broadcast
//! channel, and an [`InProcessPresence`] counting connections in memory.
//!
//! Alone they serve a single instance (no `REDIS_URL`) and tests; a
//! cross-process fabric reuses [`InProcessFabric::deliver`] for its local
//! fan-out, so every instance hands out messages the same way.

mod fabric;
mod presence;

pub use fabric::InProcessFabric;
pub use presence::InProcessPresence;
