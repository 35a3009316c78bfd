//! Presence of an event's members: a stub until real-time connections land.
//!
//! Presence needs to know which users hold an open WebSocket, which only the
//! real-time fabric knows. Until it exists nobody is online, so the presence
//! route answers an empty list; the fabric will replace this function.

use gatherhub_domain::EventId;
use gatherhub_domain::user::UserSummary;

/// The members of `event` holding an open connection: none, for now.
pub(crate) fn online_members(_event: EventId) -> Vec<UserSummary> {
    Vec::new()
}
