//! PostgreSQL with tokio-postgres: the SQL text of gatherhub-postgres
//! (sessions.rs `session_user`, views.rs `event_view`, events.rs
//! `load_event_view`, event_list.rs `list`) as prepared statements, on a
//! small pool where each request holds one connection for all its
//! statements.

use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::dto::{EventRow, PageRequest};
use super::{Answer, Viewer};

/// `SessionRepo::session_user` as diesel renders it for PostgreSQL: binds
/// are the session id, `false`, now, `true` and the `LIMIT` 1 of `first`.
pub const SESSION_USER: &str = "SELECT \"users\".\"id\", \"users\".\"username\", \
    \"users\".\"email\", \"users\".\"password_hash\", \"users\".\"first_name\", \
    \"users\".\"last_name\", \"users\".\"bio\", \"users\".\"avatar_url\", \
    \"users\".\"is_staff\", \"users\".\"is_active\", \"users\".\"date_joined\", \
    \"users\".\"last_login\" FROM (\"sessions\" INNER JOIN \"users\" ON \
    (\"sessions\".\"user_id\" = \"users\".\"id\")) WHERE ((((\"sessions\".\"id\" = $1) \
    AND (\"sessions\".\"revoked\" = $2)) AND (\"sessions\".\"expires_at\" > $3)) \
    AND (\"users\".\"is_active\" = $4)) LIMIT $5";

/// `views::event_view` up to its source relation; `$1` is the viewer.
macro_rules! view_head {
    () => {
        "SELECT e.id, e.title, e.description, e.date, e.end_date, e.location, \
         e.max_participants, e.visibility, e.cancelled, e.organizer_id, e.created_at, e.updated_at, \
         o.username AS organizer_username, o.first_name AS organizer_first_name, \
         o.last_name AS organizer_last_name, c.going, c.waitlisted, \
         me.role AS my_role, me.status AS my_status, me.joined_at AS my_joined_at, \
         me.position AS my_position FROM "
    };
}

/// `views::event_view` after its source relation.
macro_rules! view_tail {
    () => {
        " e JOIN users o ON o.id = e.organizer_id \
         CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE m.status = 'going') AS going, \
           count(*) FILTER (WHERE m.status = 'waitlisted') AS waitlisted \
           FROM memberships m WHERE m.event_id = e.id) c \
         LEFT JOIN LATERAL (SELECT m.role, m.status, m.joined_at, \
           CASE WHEN m.status = 'waitlisted' THEN (SELECT count(*) FROM memberships w \
             WHERE w.event_id = m.event_id AND w.status = 'waitlisted' AND w.seq <= m.seq) END AS position \
           FROM memberships m WHERE m.event_id = e.id AND m.user_id = $1) me ON true"
    };
}

/// `load_event_view`: `$1` viewer, `$2` event id.
pub const EVENT_DETAIL: &str = concat!(view_head!(), "events", view_tail!(), " WHERE e.id = $2");

/// `event_list::list`'s count for a non-staff viewer (`$1`), no filters.
pub const COUNT_MEMBER: &str = "SELECT count(*) AS total FROM events e WHERE true \
    AND (e.visibility = 'public' OR EXISTS (SELECT 1 FROM memberships v \
    WHERE v.event_id = e.id AND v.user_id = $1))";

/// `event_list::list`'s page for a non-staff viewer: `$1` viewer, `$2`
/// viewer again (visibility), `$3` limit, `$4` offset; `-created_at`.
pub const PAGE_MEMBER: &str = concat!(
    view_head!(),
    "(SELECT e.* FROM events e WHERE true AND (e.visibility = 'public' OR EXISTS \
     (SELECT 1 FROM memberships v WHERE v.event_id = e.id AND v.user_id = $2)) \
     ORDER BY e.created_at DESC, e.id DESC LIMIT $3 OFFSET $4)",
    view_tail!(),
    " ORDER BY e.created_at DESC, e.id DESC"
);

/// The count for staff, who see every event.
pub const COUNT_STAFF: &str = "SELECT count(*) AS total FROM events e WHERE true";

/// The page for staff: `$1` viewer, `$2` limit, `$3` offset.
pub const PAGE_STAFF: &str = concat!(
    view_head!(),
    "(SELECT e.* FROM events e WHERE true ORDER BY e.created_at DESC, e.id DESC \
     LIMIT $2 OFFSET $3)",
    view_tail!(),
    " ORDER BY e.created_at DESC, e.id DESC"
);

/// One connection's prepared statements.
struct Statements {
    session_user: Statement,
    detail: Statement,
    count_member: Statement,
    page_member: Statement,
    count_staff: Statement,
    page_staff: Statement,
}

struct PgConn {
    client: Client,
    statements: Statements,
}

/// At most `size` connections, opened on demand (on the worker that first
/// needs one, as deadpool does for the real server) and reused.
pub struct PgPool {
    config: tokio_postgres::Config,
    slots: Semaphore,
    idle: Mutex<Vec<PgConn>>,
}

/// A connection held by one request; back to the pool when dropped, unless
/// it was closed.
struct Lease<'p> {
    pool: &'p PgPool,
    conn: Option<PgConn>,
    _slot: SemaphorePermit<'p>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !conn.client.is_closed()
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }
}

impl Lease<'_> {
    fn conn(&self) -> Result<&PgConn, String> {
        self.conn.as_ref().ok_or_else(|| "no connection".to_owned())
    }
}

impl PgPool {
    /// A pool of at most `size` connections to `url`, opened on demand.
    pub fn new(url: &str, size: usize) -> Result<Self, String> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| format!("invalid PostgreSQL URL: {e}"))?;
        config.application_name("gatherhub-bench-floor");
        Ok(Self {
            config,
            slots: Semaphore::new(size.max(1)),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Another pool to the same database, empty, of at most `size` connections.
    pub fn sibling(&self, size: usize) -> Self {
        Self {
            config: self.config.clone(),
            slots: Semaphore::new(size.max(1)),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Opens a connection (and prepares the statements) to prove that the
    /// URL and the schema work; the connection is then kept idle.
    pub async fn check(&self) -> Result<(), String> {
        drop(self.lease().await?);
        Ok(())
    }

    async fn open(&self) -> Result<PgConn, String> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                eprintln!("floor: PostgreSQL connection closed: {error}");
            }
        });
        let prepare = async |sql: &str, types: &[Type]| {
            client
                .prepare_typed(sql, types)
                .await
                .map_err(|e| format!("cannot prepare a statement: {e}"))
        };
        let int8 = Type::INT8;
        let statements = Statements {
            session_user: prepare(
                SESSION_USER,
                &[
                    Type::TEXT,
                    Type::BOOL,
                    Type::TIMESTAMPTZ,
                    Type::BOOL,
                    int8.clone(),
                ],
            )
            .await?,
            detail: prepare(EVENT_DETAIL, &[int8.clone(), int8.clone()]).await?,
            count_member: prepare(COUNT_MEMBER, std::slice::from_ref(&int8)).await?,
            page_member: prepare(
                PAGE_MEMBER,
                &[int8.clone(), int8.clone(), int8.clone(), int8.clone()],
            )
            .await?,
            count_staff: prepare(COUNT_STAFF, &[]).await?,
            page_staff: prepare(PAGE_STAFF, &[int8.clone(), int8.clone(), int8]).await?,
        };
        Ok(PgConn { client, statements })
    }

    async fn lease(&self) -> Result<Lease<'_>, String> {
        let slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| "the pool is closed".to_owned())?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open().await?,
        };
        Ok(Lease {
            pool: self,
            conn: Some(conn),
            _slot: slot,
        })
    }

    /// The session's user, as the real server authenticates each request.
    async fn viewer(conn: &PgConn, user_id: i64, session: &str) -> Result<Answer<Viewer>, String> {
        let now = SystemTime::now();
        let row = conn
            .client
            .query_opt(
                &conn.statements.session_user,
                &[&session, &false, &now, &true, &1_i64],
            )
            .await
            .map_err(db)?;
        let Some(row) = row else {
            return Ok(Answer::Revoked);
        };
        let id: i64 = row.try_get(0).map_err(db)?;
        let is_staff: bool = row.try_get(8).map_err(db)?;
        if id != user_id {
            return Ok(Answer::Mismatch);
        }
        Ok(Answer::Found(Viewer {
            user_id: id,
            is_staff,
        }))
    }

    /// Authenticates, then reads event `id` as the viewer sees it (`None`
    /// when missing; visibility is the caller's to check).
    pub async fn detail(
        &self,
        user_id: i64,
        session: &str,
        id: i64,
    ) -> Result<Answer<(Viewer, Option<EventRow>)>, String> {
        let lease = self.lease().await?;
        let conn = lease.conn()?;
        let viewer = match Self::viewer(conn, user_id, session).await? {
            Answer::Found(viewer) => viewer,
            Answer::Revoked => return Ok(Answer::Revoked),
            Answer::Mismatch => return Ok(Answer::Mismatch),
        };
        if id < 1 {
            return Ok(Answer::Found((viewer, None)));
        }
        let row = conn
            .client
            .query_opt(&conn.statements.detail, &[&Some(viewer.user_id), &id])
            .await
            .map_err(db)?;
        let row = row.map(|row| event_row(&row)).transpose()?;
        Ok(Answer::Found((viewer, row)))
    }

    /// Authenticates, then counts the events the viewer sees and reads
    /// `page` of them, newest first.
    pub async fn list(
        &self,
        user_id: i64,
        session: &str,
        page: PageRequest,
    ) -> Result<Answer<(u64, Vec<EventRow>)>, String> {
        let lease = self.lease().await?;
        let conn = lease.conn()?;
        let viewer = match Self::viewer(conn, user_id, session).await? {
            Answer::Found(viewer) => viewer,
            Answer::Revoked => return Ok(Answer::Revoked),
            Answer::Mismatch => return Ok(Answer::Mismatch),
        };
        let statements = &conn.statements;
        let me = viewer.user_id;
        let count = if viewer.is_staff {
            conn.client.query_one(&statements.count_staff, &[]).await
        } else {
            conn.client
                .query_one(&statements.count_member, &[&me])
                .await
        }
        .map_err(db)?;
        let total: i64 = count.try_get(0).map_err(db)?;
        let total = u64::try_from(total).map_err(|_| format!("count {total}"))?;
        if page.offset() >= total {
            return Ok(Answer::Found((total, Vec::new())));
        }
        let limit = i64::try_from(page.limit()).unwrap_or(i64::MAX);
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let rows = if viewer.is_staff {
            conn.client
                .query(&statements.page_staff, &[&Some(me), &limit, &offset])
                .await
        } else {
            conn.client
                .query(&statements.page_member, &[&Some(me), &me, &limit, &offset])
                .await
        }
        .map_err(db)?;
        let rows = rows.iter().map(event_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Answer::Found((total, rows)))
    }
}

fn db(error: tokio_postgres::Error) -> String {
    format!("database: {error}")
}

fn time(value: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(value)
}

fn event_row(row: &Row) -> Result<EventRow, String> {
    Ok(EventRow {
        id: row.try_get(0).map_err(db)?,
        title: row.try_get(1).map_err(db)?,
        description: row.try_get(2).map_err(db)?,
        date: time(row.try_get(3).map_err(db)?),
        end_date: row
            .try_get::<_, Option<SystemTime>>(4)
            .map_err(db)?
            .map(time),
        location: row.try_get(5).map_err(db)?,
        max_participants: row.try_get(6).map_err(db)?,
        visibility: row.try_get(7).map_err(db)?,
        cancelled: row.try_get(8).map_err(db)?,
        organizer_id: row.try_get(9).map_err(db)?,
        created_at: time(row.try_get(10).map_err(db)?),
        updated_at: time(row.try_get(11).map_err(db)?),
        organizer_username: row.try_get(12).map_err(db)?,
        organizer_first_name: row.try_get(13).map_err(db)?,
        organizer_last_name: row.try_get(14).map_err(db)?,
        going: row.try_get(15).map_err(db)?,
        waitlisted: row.try_get(16).map_err(db)?,
        my_role: row.try_get(17).map_err(db)?,
        my_status: row.try_get(18).map_err(db)?,
        my_joined_at: row
            .try_get::<_, Option<SystemTime>>(19)
            .map_err(db)?
            .map(time),
        my_position: row.try_get(20).map_err(db)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The placeholders each statement uses are exactly those it is bound
    /// with, numbered from 1 without gaps.
    #[test]
    fn placeholders_match_the_binds() {
        fn highest(sql: &str) -> usize {
            (1..10)
                .take_while(|n| sql.contains(&format!("${n}")))
                .last()
                .unwrap_or(0)
        }
        assert_eq!(highest(SESSION_USER), 5);
        assert_eq!(highest(EVENT_DETAIL), 2);
        assert_eq!(highest(COUNT_MEMBER), 1);
        assert_eq!(highest(PAGE_MEMBER), 4);
        assert_eq!(highest(COUNT_STAFF), 0);
        assert_eq!(highest(PAGE_STAFF), 3);
        assert!(!PAGE_STAFF.contains("$4"));
    }
}
