//! `SessionRepo`: logins and their refresh-token chains. Rotation is a
//! compare-and-swap: a conditional `UPDATE` on the current token id, which
//! PostgreSQL's row lock makes succeed for exactly one of racing callers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{RepoResult, Rotation, Session, SessionRepo};

use crate::PgStore;
use crate::models::{SessionRow, UserRow};
use crate::schema::{sessions, users};
use crate::sql::{Bind, Rows, Sql, fixed_statement};

/// The session's user, if the session is live and the user active: binds
/// are the session id, `false` (revoked), now (expiry), `true` (active) and
/// the `LIMIT` 1.
const SESSION_USER: &str = "SELECT \"users\".\"id\", \"users\".\"username\", \
    \"users\".\"email\", \"users\".\"password_hash\", \"users\".\"first_name\", \
    \"users\".\"last_name\", \"users\".\"bio\", \"users\".\"avatar_url\", \
    \"users\".\"is_staff\", \"users\".\"is_active\", \"users\".\"date_joined\", \
    \"users\".\"last_login\" FROM (\"sessions\" INNER JOIN \"users\" ON \
    (\"sessions\".\"user_id\" = \"users\".\"id\")) WHERE ((((\"sessions\".\"id\" = $1) \
    AND (\"sessions\".\"revoked\" = $2)) AND (\"sessions\".\"expires_at\" > $3)) \
    AND (\"users\".\"is_active\" = $4)) LIMIT $5";

fixed_statement!(
    /// [`SESSION_USER`], the one text of [`session_user_query`].
    SessionUser
);

/// [`SESSION_USER`] with its binds, read as `users` rows.
pub(crate) fn session_user_query(
    id: &str,
    now: DateTime<Utc>,
) -> Rows<users::SqlType, SessionUser> {
    Sql::new(SESSION_USER)
        .arg(Bind::Text(id.to_owned()))
        .arg(Bind::Bool(false))
        .arg(Bind::Time(now))
        .arg(Bind::Bool(true))
        .arg(Bind::Int(1))
        .fixed_rows()
}

#[async_trait::async_trait]
impl SessionRepo for PgStore {
    /// A duplicate id is refused by the primary key (`Unknown`), as the memory
    /// adapter refuses it, rather than replacing a live session.
    async fn create_session(&self, session: Session) -> RepoResult<()> {
        self.run(async |conn| {
            diesel::insert_into(sessions::table)
                .values(SessionRow::from(&session))
                .execute(conn)
                .await?;
            Ok(())
        })
        .await
    }

    /// One fixed statement, as diesel's query builder renders the join (the
    /// floor reference of the bench runs the same text): building it with
    /// the DSL on every call quoted each identifier again, on the path of
    /// every authenticated request.
    async fn session_user(&self, id: &str, now: DateTime<Utc>) -> RepoResult<Option<User>> {
        self.run(async |conn| {
            let row = session_user_query(id, now)
                .get_result::<UserRow>(conn)
                .await
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    /// Racing calls queue on the session's row lock; after the winner commits
    /// the others re-check the condition against the new token id, miss, and
    /// fall through to revoking the session: `Reused`.
    async fn rotate(
        &self,
        id: &str,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> RepoResult<Rotation> {
        self.run(async |conn| {
            let active = sessions::table
                .filter(sessions::id.eq(id))
                .filter(sessions::revoked.eq(false))
                .filter(sessions::expires_at.gt(now));
            let rotated = diesel::update(active.filter(sessions::refresh_jti.eq(presented)))
                .set((
                    sessions::refresh_jti.eq(next),
                    sessions::expires_at.eq(expires_at),
                ))
                .execute(conn)
                .await?;
            if rotated == 1 {
                return Ok(Rotation::Rotated);
            }
            let revoked = diesel::update(active)
                .set(sessions::revoked.eq(true))
                .execute(conn)
                .await?;
            Ok(if revoked == 1 {
                Rotation::Reused
            } else {
                Rotation::Revoked
            })
        })
        .await
    }

    /// "Active before" means not yet revoked, as in the memory adapter: the
    /// port gives no clock to tell expiry here.
    async fn revoke_session(&self, id: &str) -> RepoResult<bool> {
        self.run(async |conn| {
            let revoked =
                diesel::update(sessions::table.find(id).filter(sessions::revoked.eq(false)))
                    .set(sessions::revoked.eq(true))
                    .execute(conn)
                    .await?;
            Ok(revoked == 1)
        })
        .await
    }

    /// The ids come back in creation order (then by id).
    async fn revoke_user_sessions(&self, user: UserId) -> RepoResult<Vec<String>> {
        self.run(async |conn| {
            let mut revoked: Vec<(DateTime<Utc>, String)> = diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(user.get()))
                    .filter(sessions::revoked.eq(false)),
            )
            .set(sessions::revoked.eq(true))
            .returning((sessions::created_at, sessions::id))
            .get_results(conn)
            .await?;
            revoked.sort();
            Ok(revoked.into_iter().map(|(_, id)| id).collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;

    use super::*;

    /// The fixed text is the join as diesel's query builder writes it, so
    /// the statement is the one the DSL would send (and the bench's floor
    /// reference runs).
    #[test]
    fn the_session_lookup_is_the_dsl_query_as_diesel_renders_it() {
        let now = chrono::DateTime::UNIX_EPOCH;
        let dsl = sessions::table
            .inner_join(users::table)
            .filter(sessions::id.eq("s"))
            .filter(sessions::revoked.eq(false))
            .filter(sessions::expires_at.gt(now))
            .filter(users::is_active.eq(true))
            .select(UserRow::as_select())
            .limit(1);
        let rendered = diesel::debug_query::<Pg, _>(&dsl).to_string();
        let fixed = session_user_query("s", now);
        assert_eq!(diesel::debug_query::<Pg, _>(&fixed).to_string(), rendered);
    }
}
