//! Who is online on this process: the set of open connections per user.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use gatherhub_domain::UserId;
use gatherhub_ports::{ConnectionId, Presence, RealtimeError};

/// Single-instance presence: a user is online while this process holds at
/// least one of their connections. Nothing expires by time, since a
/// connection of this process cannot outlive it.
#[derive(Default)]
pub struct InProcessPresence {
    connections: Mutex<HashMap<UserId, HashSet<ConnectionId>>>,
}

impl InProcessPresence {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<UserId, HashSet<ConnectionId>>) -> T) -> T {
        // The map stays consistent even if a holder panicked: every change
        // is a single insert or remove.
        let mut map = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut map)
    }
}

#[async_trait::async_trait]
impl Presence for InProcessPresence {
    async fn connect(
        &self,
        user: UserId,
        connection: &ConnectionId,
    ) -> Result<bool, RealtimeError> {
        Ok(self.with(|map| {
            let set = map.entry(user).or_default();
            let first = set.is_empty();
            set.insert(connection.clone()) && first
        }))
    }

    async fn heartbeat(
        &self,
        _user: UserId,
        _connection: &ConnectionId,
    ) -> Result<(), RealtimeError> {
        Ok(())
    }

    async fn disconnect(
        &self,
        user: UserId,
        connection: &ConnectionId,
    ) -> Result<bool, RealtimeError> {
        Ok(self.with(|map| {
            let Some(set) = map.get_mut(&user) else {
                return false;
            };
            let removed = set.remove(connection);
            if set.is_empty() {
                map.remove(&user);
            }
            removed && !map.contains_key(&user)
        }))
    }

    async fn online(&self, users: &[UserId]) -> Result<Vec<UserId>, RealtimeError> {
        Ok(self.with(|map| {
            users
                .iter()
                .copied()
                .filter(|u| map.contains_key(u))
                .collect()
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn conn(id: &str) -> ConnectionId {
        ConnectionId(id.to_owned())
    }

    #[tokio::test]
    async fn online_while_holding_at_least_one_connection() {
        let presence = InProcessPresence::new();
        let (alice, bob) = (UserId(1), UserId(2));
        assert!(presence.connect(alice, &conn("a1")).await.unwrap());
        assert!(!presence.connect(alice, &conn("a2")).await.unwrap());
        assert!(!presence.connect(alice, &conn("a2")).await.unwrap());
        assert_eq!(presence.online(&[bob, alice]).await.unwrap(), vec![alice]);
        assert!(!presence.disconnect(alice, &conn("a1")).await.unwrap());
        assert_eq!(presence.online(&[alice]).await.unwrap(), vec![alice]);
        assert!(presence.disconnect(alice, &conn("a2")).await.unwrap());
        assert!(presence.online(&[alice]).await.unwrap().is_empty());
        // Unknown connections are no error and change nothing.
        assert!(!presence.disconnect(alice, &conn("a2")).await.unwrap());
        assert!(!presence.disconnect(bob, &conn("b1")).await.unwrap());
        presence.heartbeat(bob, &conn("b1")).await.unwrap();
        assert!(presence.online(&[bob]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_reconnect_after_going_offline_is_online_again() {
        let presence = InProcessPresence::new();
        assert!(presence.connect(UserId(1), &conn("x")).await.unwrap());
        assert!(presence.disconnect(UserId(1), &conn("x")).await.unwrap());
        assert!(presence.connect(UserId(1), &conn("x")).await.unwrap());
    }
}
