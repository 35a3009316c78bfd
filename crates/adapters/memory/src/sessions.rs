//! `SessionRepo`: logins and their refresh-token chains, rotated by
//! compare-and-swap on the current token id.

use chrono::{DateTime, Utc};
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{RepoError, RepoResult, Rotation, Session, SessionRepo};

use crate::MemoryStore;

/// Usable: not revoked and not expired at `now`.
fn is_active(session: &Session, now: DateTime<Utc>) -> bool {
    !session.revoked && now < session.expires_at
}

#[async_trait::async_trait]
impl SessionRepo for MemoryStore {
    /// A session id is a primary key: storing one twice is refused, as a
    /// database would, rather than silently replacing a live session.
    async fn create_session(&self, session: Session) -> RepoResult<()> {
        self.write(|s| {
            s.require_user(session.user_id)?;
            if s.sessions.contains_key(&session.id) {
                return Err(RepoError::unknown(format!(
                    "duplicate session id {:?}",
                    session.id
                )));
            }
            s.sessions.insert(session.id.clone(), session);
            Ok(())
        })
    }

    async fn session_user(&self, id: &str, now: DateTime<Utc>) -> RepoResult<Option<User>> {
        Ok(self.read(|s| {
            s.sessions
                .get(id)
                .filter(|session| is_active(session, now))
                .and_then(|session| s.users.get(&session.user_id))
                .filter(|user| user.is_active)
                .cloned()
        }))
    }

    async fn rotate(
        &self,
        id: &str,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> RepoResult<Rotation> {
        Ok(self.write(|s| match s.sessions.get_mut(id) {
            Some(session) if is_active(session, now) => {
                if session.refresh_jti == presented {
                    session.refresh_jti = next.to_owned();
                    session.expires_at = expires_at;
                    Rotation::Rotated
                } else {
                    session.revoked = true;
                    Rotation::Reused
                }
            }
            _ => Rotation::Revoked,
        }))
    }

    /// "Active before" means not yet revoked: the port gives no clock to tell
    /// expiry here.
    async fn revoke_session(&self, id: &str) -> RepoResult<bool> {
        Ok(self.write(|s| match s.sessions.get_mut(id) {
            Some(session) if !session.revoked => {
                session.revoked = true;
                true
            }
            _ => false,
        }))
    }

    /// The ids come back in creation order (then by id).
    async fn revoke_user_sessions(&self, user: UserId) -> RepoResult<Vec<String>> {
        Ok(self.write(|s| {
            let mut revoked: Vec<(DateTime<Utc>, String)> = s
                .sessions
                .values_mut()
                .filter(|session| session.user_id == user && !session.revoked)
                .map(|session| {
                    session.revoked = true;
                    (session.created_at, session.id.clone())
                })
                .collect();
            revoked.sort();
            revoked.into_iter().map(|(_, id)| id).collect()
        }))
    }
}
