//! Presence across instances: [`RedisPresence`] implements the `Presence`
//! port over [`store::PresenceStore`], and keeps a local list of this
//! instance's connections so that its background task can keep them alive,
//! put them back at once after Redis restarted empty, and find the
//! connections of crashed instances (handed out by
//! [`RedisPresence::departures`] to be closed).

mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gatherhub_domain::UserId;
use gatherhub_ports::{ConnectionId, Presence, RealtimeError};
use tokio::sync::{mpsc, watch};

use crate::RedisConfig;
use crate::link::LinkState;
use crate::pool::{Commands, RedisError};

pub(crate) use store::PresenceStore;

/// Connections of crashed instances waiting to be closed; beyond this many
/// the newest are dropped (and logged) rather than blocking the upkeep.
const DEPARTURES: usize = 16_384;

pub struct RedisPresence {
    store: Arc<PresenceStore>,
    /// This instance's open connections.
    local: Arc<Mutex<HashMap<String, UserId>>>,
    departures: Mutex<Option<mpsc::Receiver<(UserId, ConnectionId)>>>,
    /// The upkeep task, stopped with this value.
    upkeep: tokio::task::JoinHandle<()>,
}

impl RedisPresence {
    /// Presence for this instance, with its upkeep running in the background.
    pub(crate) fn start(
        commands: Commands,
        config: &RedisConfig,
        instance: &str,
        link: &LinkState,
    ) -> Self {
        let store = Arc::new(PresenceStore::new(
            commands,
            &config.prefix,
            instance,
            config.presence_ttl,
        ));
        let local = Arc::new(Mutex::new(HashMap::new()));
        let (sender, receiver) = mpsc::channel(DEPARTURES);
        let upkeep = Upkeep {
            store: store.clone(),
            local: local.clone(),
            departures: sender,
        };
        Self {
            store,
            local,
            departures: Mutex::new(Some(receiver)),
            upkeep: tokio::spawn(upkeep.run(config.heartbeat, link.watch())),
        }
    }

    /// Connections of instances that stopped without saying goodbye
    /// (crashed). They no longer count as online; the receiver should close
    /// each through the usual path (`disconnect`, which tells whether it was
    /// the user's last, so their events can be told they are offline). Each
    /// is handed to one surviving instance only. Returns the receiver once;
    /// later calls get `None`.
    pub fn departures(&self) -> Option<mpsc::Receiver<(UserId, ConnectionId)>> {
        self.departures.lock().ok().and_then(|mut slot| slot.take())
    }

    fn local(&self) -> std::sync::MutexGuard<'_, HashMap<String, UserId>> {
        // A poisoned map is still a valid map: each operation is one insert
        // or remove.
        self.local
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for RedisPresence {
    fn drop(&mut self) {
        self.upkeep.abort();
    }
}

fn unavailable(error: RedisError) -> RealtimeError {
    RealtimeError::Unavailable(error.to_string())
}

#[async_trait::async_trait]
impl Presence for RedisPresence {
    async fn connect(
        &self,
        user: UserId,
        connection: &ConnectionId,
    ) -> Result<bool, RealtimeError> {
        let first = self.store.connect(user, &connection.0).await;
        // Listed only now, so the upkeep never claims it first; listed even
        // on failure, so it is written once Redis is back.
        self.local().insert(connection.0.clone(), user);
        first.map_err(unavailable)
    }

    async fn heartbeat(
        &self,
        user: UserId,
        connection: &ConnectionId,
    ) -> Result<(), RealtimeError> {
        self.store
            .refresh(&[(user, connection.0.clone())], false)
            .await
            .map_err(unavailable)
    }

    async fn disconnect(
        &self,
        user: UserId,
        connection: &ConnectionId,
    ) -> Result<bool, RealtimeError> {
        // Unlisted first, so the upkeep stops refreshing it.
        self.local().remove(&connection.0);
        self.store
            .disconnect(user, &connection.0)
            .await
            .map_err(unavailable)
    }

    async fn online(&self, users: &[UserId]) -> Result<Vec<UserId>, RealtimeError> {
        self.store.online(users).await.map_err(unavailable)
    }
}

/// The background upkeep of one instance's presence.
struct Upkeep {
    store: Arc<PresenceStore>,
    local: Arc<Mutex<HashMap<String, UserId>>>,
    departures: mpsc::Sender<(UserId, ConnectionId)>,
}

impl Upkeep {
    async fn run(self, every: std::time::Duration, mut link: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let recreate = tokio::select! {
                _ = ticks.tick() => false,
                // Redis came back (maybe empty, after a restart): put this
                // instance's connections back now rather than at the next tick.
                changed = link.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*link.borrow_and_update() {
                        continue;
                    }
                    true
                }
            };
            self.tick(recreate).await;
        }
    }

    async fn tick(&self, recreate: bool) {
        let connections: Vec<(UserId, String)> = {
            let local = self.local.lock().unwrap_or_else(|p| p.into_inner());
            local.iter().map(|(id, user)| (*user, id.clone())).collect()
        };
        if let Err(error) = self.store.refresh(&connections, recreate).await {
            tracing::debug!(%error, "presence: refresh failed; retrying at the next heartbeat");
            return;
        }
        match self.store.sweep().await {
            Ok(orphans) => {
                for (user, connection) in orphans {
                    if self
                        .departures
                        .try_send((user, ConnectionId(connection)))
                        .is_err()
                    {
                        tracing::warn!(
                            "presence: departure queue full; a crashed instance's connection was left to expire"
                        );
                    }
                }
            }
            Err(error) => tracing::debug!(%error, "presence: sweep failed"),
        }
    }
}
