//! Presence on Redis, shared by every instance: the commands, each
//! transition one MULTI/EXEC transaction so that two instances racing on the
//! same user never both see themselves as the first (or the last).
//!
//! Keys (under `<prefix>:presence:`):
//! - `user:<id>`: a sorted set of the user's connections on every instance,
//!   scored by when each claim expires (ms since the epoch): a claim past its
//!   score no longer counts. The key itself expires later (garbage
//!   collection only), after the crashed instance's connections were handed
//!   to a survivor to close;
//! - `instances`: every live instance, scored the same way;
//! - `instance:<id>`: `<user>/<connection>` for each connection an instance
//!   holds, so the first survivor to notice a crashed instance can close its
//!   connections (and announce offline whoever is left without any).
//!
//! Expiry scores come from each instance's clock: skew between instances
//! only shifts when a crashed instance's users go offline by that much.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gatherhub_domain::UserId;

use crate::pool::{Commands, RedisError};

/// Connections are written in batches this large, so refreshing tens of
/// thousands never builds one huge pipeline.
const BATCH: usize = 500;

pub(crate) struct PresenceStore {
    commands: Commands,
    prefix: String,
    instance: String,
    ttl: Duration,
}

impl PresenceStore {
    pub(crate) fn new(commands: Commands, prefix: &str, instance: &str, ttl: Duration) -> Self {
        Self {
            commands,
            prefix: format!("{prefix}:presence"),
            instance: instance.to_owned(),
            ttl,
        }
    }

    fn user_key(&self, user: UserId) -> String {
        format!("{}:user:{}", self.prefix, user.get())
    }

    fn instances_key(&self) -> String {
        format!("{}:instances", self.prefix)
    }

    fn instance_key(&self, instance: &str) -> String {
        format!("{}:instance:{instance}", self.prefix)
    }

    fn ttl_ms(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX / 4)
    }

    /// How long keys outlive the claims they hold: long enough for a
    /// survivor's sweep (every heartbeat, a third of the TTL) to find a
    /// crashed instance's connections.
    fn key_ttl_ms(&self) -> i64 {
        self.ttl_ms() * 3
    }

    /// Records a connection; true when it is the user's first live one.
    pub(crate) async fn connect(&self, user: UserId, connection: &str) -> Result<bool, RedisError> {
        let (now, ttl, keep) = (now_ms(), self.ttl_ms(), self.key_ttl_ms());
        let (key, own) = (self.user_key(user), self.instance_key(&self.instance));
        let mut pipe = redis::pipe();
        pipe.atomic()
            .zrembyscore(&key, "-inf", now)
            .ignore()
            .zcard(&key)
            .zadd(&key, connection, now + ttl)
            .pexpire(&key, keep)
            .ignore()
            .sadd(&own, member(user, connection))
            .ignore()
            .pexpire(&own, keep)
            .ignore();
        let (before, added): (i64, i64) = self.query(pipe).await?;
        Ok(before == 0 && added == 1)
    }

    /// Forgets a connection; true when it was the user's last live one.
    pub(crate) async fn disconnect(
        &self,
        user: UserId,
        connection: &str,
    ) -> Result<bool, RedisError> {
        let key = self.user_key(user);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .zrem(&key, connection)
            .zrembyscore(&key, "-inf", now_ms())
            .ignore()
            .zcard(&key)
            .srem(self.instance_key(&self.instance), member(user, connection))
            .ignore();
        let (removed, after): (i64, i64) = self.query(pipe).await?;
        Ok(removed == 1 && after == 0)
    }

    /// Extends these connections' claims by another TTL, and this
    /// instance's own liveness. Only existing claims are extended (`XX`), so
    /// a refresh racing with `connect` or `disconnect` never makes or revives
    /// a claim; `recreate` (after Redis came back, maybe empty) writes them
    /// all again.
    pub(crate) async fn refresh(
        &self,
        connections: &[(UserId, String)],
        recreate: bool,
    ) -> Result<(), RedisError> {
        let keep = self.key_ttl_ms();
        let expires = now_ms() + self.ttl_ms();
        let own = self.instance_key(&self.instance);
        let mut pipe = redis::pipe();
        pipe.zadd(self.instances_key(), &self.instance, expires)
            .ignore();
        self.query::<()>(pipe).await?;
        for chunk in connections.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for (user, connection) in chunk {
                let key = self.user_key(*user);
                let zadd = pipe.cmd("ZADD").arg(&key);
                if !recreate {
                    zadd.arg("XX");
                }
                zadd.arg(expires)
                    .arg(connection)
                    .ignore()
                    .pexpire(&key, keep)
                    .ignore()
                    .sadd(&own, member(*user, connection))
                    .ignore();
            }
            pipe.pexpire(&own, keep).ignore();
            self.query::<()>(pipe).await?;
        }
        Ok(())
    }

    /// Those of `users` with a live connection somewhere, in the order given.
    pub(crate) async fn online(&self, users: &[UserId]) -> Result<Vec<UserId>, RedisError> {
        let now = now_ms();
        let mut online = Vec::new();
        for chunk in users.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for user in chunk {
                pipe.zcount(self.user_key(*user), now, "+inf");
            }
            let counts: Vec<i64> = self.query(pipe).await?;
            online.extend(
                chunk
                    .iter()
                    .zip(counts)
                    .filter(|(_, count)| *count > 0)
                    .map(|(user, _)| *user),
            );
        }
        Ok(online)
    }

    /// Finds instances that stopped refreshing (crashed), claims each (one
    /// survivor wins a claim), and returns the connections they held, which
    /// the caller closes with `disconnect` like any other: whoever is left
    /// without a live connection then goes offline, exactly once.
    pub(crate) async fn sweep(&self) -> Result<Vec<(UserId, String)>, RedisError> {
        let mut pipe = redis::pipe();
        pipe.cmd("ZRANGEBYSCORE")
            .arg(self.instances_key())
            .arg("-inf")
            .arg(now_ms());
        let (dead,): (Vec<String>,) = self.query(pipe).await?;
        let mut orphans = Vec::new();
        for instance in dead.into_iter().filter(|dead| *dead != self.instance) {
            let mut pipe = redis::pipe();
            pipe.zrem(self.instances_key(), &instance);
            let (claimed,): (i64,) = self.query(pipe).await?;
            if claimed == 0 {
                continue; // another survivor got it
            }
            let own = self.instance_key(&instance);
            let mut pipe = redis::pipe();
            pipe.atomic().smembers(&own).del(&own).ignore();
            let (members,): (Vec<String>,) = self.query(pipe).await?;
            orphans.extend(members.iter().filter_map(|entry| {
                let (user, connection) = entry.split_once('/')?;
                Some((UserId(user.parse().ok()?), connection.to_owned()))
            }));
        }
        Ok(orphans)
    }

    async fn query<T: redis::FromRedisValue + Send + 'static>(
        &self,
        pipe: redis::Pipeline,
    ) -> Result<T, RedisError> {
        self.commands
            .run(|mut connection| async move { pipe.query_async(&mut connection).await })
            .await
    }
}

fn member(user: UserId, connection: &str) -> String {
    format!("{}/{connection}", user.get())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
