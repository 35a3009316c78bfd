//! `SessionRepo`: logins and their refresh-token chains, rotated by a
//! conditional update (compare-and-swap on the current token id).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{RepoResult, Rotation, Session, SessionRepo};

use crate::SqliteStore;
use crate::rows::UserRow;
use crate::schema::{sessions, users};
use crate::sql::micros;

#[derive(Insertable)]
#[diesel(table_name = sessions)]
struct NewSessionRow {
    id: String,
    user_id: i64,
    refresh_jti: String,
    revoked: bool,
    created_at: i64,
    expires_at: i64,
}

#[async_trait::async_trait]
impl SessionRepo for SqliteStore {
    /// A missing user is `NotFound` (the foreign key); a duplicate id is an
    /// `Unknown` error rather than a silent replacement.
    async fn create_session(&self, session: Session) -> RepoResult<()> {
        let row = NewSessionRow {
            id: session.id,
            user_id: session.user_id.get(),
            refresh_jti: session.refresh_jti,
            revoked: session.revoked,
            created_at: micros(session.created_at),
            expires_at: micros(session.expires_at),
        };
        self.db
            .write(move |conn| {
                diesel::insert_into(sessions::table)
                    .values(row)
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn session_user(&self, id: &str, now: DateTime<Utc>) -> RepoResult<Option<User>> {
        let id = id.to_owned();
        self.db
            .read(move |conn| {
                sessions::table
                    .inner_join(users::table)
                    .filter(sessions::id.eq(id))
                    .filter(sessions::revoked.eq(false))
                    .filter(sessions::expires_at.gt(micros(now)))
                    .filter(users::is_active.eq(true))
                    .select(UserRow::as_select())
                    .get_result(conn)
                    .optional()?
                    .map(UserRow::into_user)
                    .transpose()
            })
            .await
    }

    /// The swap happens only if `presented` is still current and the session
    /// active; otherwise an active session was shown a used token (reuse:
    /// revoke it) or the session is revoked, expired or unknown.
    async fn rotate(
        &self,
        id: &str,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> RepoResult<Rotation> {
        let (id, presented, next) = (id.to_owned(), presented.to_owned(), next.to_owned());
        self.db
            .write(move |conn| {
                let active = sessions::table
                    .filter(sessions::id.eq(id))
                    .filter(sessions::revoked.eq(false))
                    .filter(sessions::expires_at.gt(micros(now)));
                let swapped =
                    diesel::update(active.clone().filter(sessions::refresh_jti.eq(presented)))
                        .set((
                            sessions::refresh_jti.eq(next),
                            sessions::expires_at.eq(micros(expires_at)),
                        ))
                        .execute(conn)?;
                if swapped == 1 {
                    return Ok(Rotation::Rotated);
                }
                let revoked = diesel::update(active)
                    .set(sessions::revoked.eq(true))
                    .execute(conn)?;
                Ok(if revoked == 1 {
                    Rotation::Reused
                } else {
                    Rotation::Revoked
                })
            })
            .await
    }

    /// "Active before" means not yet revoked: the port gives no clock.
    async fn revoke_session(&self, id: &str) -> RepoResult<bool> {
        let id = id.to_owned();
        self.db
            .write(move |conn| {
                let revoked = diesel::update(
                    sessions::table
                        .filter(sessions::id.eq(id))
                        .filter(sessions::revoked.eq(false)),
                )
                .set(sessions::revoked.eq(true))
                .execute(conn)?;
                Ok(revoked == 1)
            })
            .await
    }

    /// The ids come back in creation order (then by id).
    async fn revoke_user_sessions(&self, user: UserId) -> RepoResult<Vec<String>> {
        self.db
            .write(move |conn| {
                let mut revoked: Vec<(i64, String)> = diesel::update(
                    sessions::table
                        .filter(sessions::user_id.eq(user.get()))
                        .filter(sessions::revoked.eq(false)),
                )
                .set(sessions::revoked.eq(true))
                .returning((sessions::created_at, sessions::id))
                .get_results(conn)?;
                revoked.sort();
                Ok(revoked.into_iter().map(|(_, id)| id).collect())
            })
            .await
    }
}
