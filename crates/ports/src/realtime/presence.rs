//! Who is online: the presence port, and a no-op presence for applications
//! without real-time connections.

use gatherhub_domain::UserId;

use super::RealtimeError;

/// Identifies one WebSocket connection across all instances (e.g. an
/// instance id and a counter).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub String);

/// Who is online: a user is online while they hold at least one open
/// connection on any instance. A remote adapter keeps each connection alive
/// with a TTL refreshed by [`Presence::heartbeat`], so the users of a crashed
/// instance go offline by themselves.
///
/// Errors: every method returns `Unavailable` when its store is unreachable.
/// Callers treat presence as best-effort: a failed `connect`/`heartbeat`/
/// `disconnect` is logged and the connection carries on; a failed `online`
/// makes the presence endpoint answer 503.
#[async_trait::async_trait]
pub trait Presence: Send + Sync {
    /// Records an open connection; returns true when it is the user's first
    /// live connection anywhere (they just came online). Connecting the same
    /// id twice is no error and returns false the second time.
    async fn connect(&self, user: UserId, connection: &ConnectionId)
    -> Result<bool, RealtimeError>;

    /// Keeps a connection alive; called at every server heartbeat.
    async fn heartbeat(&self, user: UserId, connection: &ConnectionId)
    -> Result<(), RealtimeError>;

    /// Forgets a connection; returns true when it was the user's last live
    /// one anywhere (they just went offline). Unknown connections are no error
    /// and return false.
    async fn disconnect(
        &self,
        user: UserId,
        connection: &ConnectionId,
    ) -> Result<bool, RealtimeError>;

    /// Those of `users` who are online now, in the order given.
    async fn online(&self, users: &[UserId]) -> Result<Vec<UserId>, RealtimeError>;
}

/// Presence for an application without real-time connections: nobody is
/// ever online.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPresence;

#[async_trait::async_trait]
impl Presence for NoPresence {
    async fn connect(&self, _: UserId, _: &ConnectionId) -> Result<bool, RealtimeError> {
        Ok(false)
    }
    async fn heartbeat(&self, _: UserId, _: &ConnectionId) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn disconnect(&self, _: UserId, _: &ConnectionId) -> Result<bool, RealtimeError> {
        Ok(false)
    }
    async fn online(&self, _: &[UserId]) -> Result<Vec<UserId>, RealtimeError> {
        Ok(Vec::new())
    }
}
