//! SQL helpers shared by every query: the SQL functions the adapter uses
//! (one of them implemented in Rust), the storage form of instants, and
//! [`Sql`], the hand-written statements of the read models whose prepared
//! form SQLite keeps.

use chrono::{DateTime, Utc};
use diesel::expression::functions::declare_sql_function;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text, Untyped};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl, SqliteConnection};
use gatherhub_domain::PageRequest;

use crate::error::{Fail, Tx};

#[declare_sql_function]
extern "SQL" {
    /// SQLite's built-in `lower`, which folds ASCII only. Used where the
    /// unique indexes use it: usernames and emails, which the domain keeps
    /// ASCII.
    fn lower(x: Text) -> Text;

    /// Whether `haystack`, case-folded with Rust's Unicode `to_lowercase`,
    /// contains `needle` (already folded the same way). Registered on every
    /// connection by [`register_functions`].
    fn gh_contains(haystack: Text, needle: Text) -> Bool;
}

/// Registers the Rust-implemented SQL functions on a new connection.
///
/// Search uses `gh_contains` rather than `LIKE`: SQLite's `LIKE` and
/// `lower()` fold ASCII only, so "ÉTÉ" would not find "été", while this
/// folds exactly as the in-memory store does. It also takes the needle
/// literally, so `%` and `_` need no escaping. Search is a scan either way
/// (a leading-wildcard `LIKE` cannot use an index).
pub(crate) fn register_functions(conn: &mut SqliteConnection) -> QueryResult<()> {
    gh_contains_utils::register_impl(conn, |haystack: String, needle: String| {
        haystack.to_lowercase().contains(&needle)
    })
}

/// The folded form of a search needle, for `gh_contains`.
pub(crate) fn fold(value: &str) -> String {
    value.to_lowercase()
}

/// Instants are stored as microseconds since the Unix epoch (see the first
/// migration for why); every store keeps microseconds.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn instant(micros: i64) -> Tx<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| Fail::corrupt(format!("instant {micros} out of range")))
}

pub(crate) fn opt_instant(micros: Option<i64>) -> Tx<Option<DateTime<Utc>>> {
    micros.map(instant).transpose()
}

/// One value bound to a [`Sql`] statement.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
}

/// A hand-written statement: text made only of fixed fragments chosen by the
/// code, with every value bound (`?`). The read models (views with joins and
/// correlated subqueries, lists with their filters) are written this way, as
/// the PostgreSQL adapter's are.
///
/// Unlike `diesel::sql_query`, which diesel never caches (its text might
/// embed values and grow the cache without bound), the connection's statement
/// cache keeps these prepared, keyed by their text: since no value ever
/// enters the text, the distinct statements are the combinations of filters
/// and orderings, a bounded set, exactly as for diesel's boxed queries. So a
/// read pays SQLite's parse and plan once per connection, not per call.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    /// Each value with the byte offset of its placeholder in `text`.
    binds: Vec<(usize, Bind)>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    /// Appends fixed SQL text (never a value: see [`Sql::bind`]).
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the placeholder of `value`.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push((self.text.len(), value));
        self
    }

    /// The page's `LIMIT` and `OFFSET`, bound.
    ///
    /// Not a bare `LIMIT ?`: since 3.47, SQLite's planner reads a bare bound
    /// `LIMIT` parameter and marks the statement to be re-prepared whenever
    /// that parameter is bound again, i.e. on every call, which would undo
    /// the statement cache. A `CAST` is an expression the planner does not
    /// look into, so the prepared statement is reused. (Likewise the
    /// adapter's lookups by key use `get_result`, not diesel's `first`,
    /// which appends a bound `LIMIT`.)
    pub(crate) fn limit_offset(&mut self, page: &PageRequest) -> &mut Self {
        let limit = i64::try_from(page.limit()).unwrap_or(i64::MAX);
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        self.push(" LIMIT CAST(")
            .bind(Bind::Int(limit))
            .push(" AS INTEGER) OFFSET CAST(")
            .bind(Bind::Int(offset))
            .push(" AS INTEGER)")
    }
}

impl QueryId for Sql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

/// Never calls `unsafe_to_cache_prepared`: see [`Sql`] for why caching is
/// sound here.
impl QueryFragment<Sqlite> for Sql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let mut from = 0;
        for (at, value) in &self.binds {
            out.push_sql(self.text.get(from..*at).unwrap_or_default());
            match value {
                Bind::Int(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::OptInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
            }
            from = *at;
        }
        out.push_sql(self.text.get(from..).unwrap_or_default());
        Ok(())
    }
}

impl RunQueryDsl<SqliteConnection> for Sql {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, RunQueryDsl};

    #[test]
    fn instants_round_trip_at_microseconds() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        assert_eq!(instant(micros(at)).unwrap(), at);
        assert!(micros(at) < micros(at + chrono::Duration::microseconds(1)));
    }

    #[test]
    fn statements_bind_their_values_in_text_order() {
        #[derive(diesel::QueryableByName)]
        struct Out {
            #[diesel(sql_type = BigInt)]
            d: i64,
            #[diesel(sql_type = Text)]
            t: String,
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let conn = &mut SqliteConnection::establish(":memory:").unwrap();
        let mut sql = Sql::new("SELECT ");
        sql.bind(Bind::Int(5))
            .push(" - ")
            .bind(Bind::Int(3))
            .push(" AS d, ")
            .bind(Bind::Text("x".into()))
            .push(" || coalesce(")
            .bind(Bind::OptInt(None))
            .push(", 'y') AS t, count(*) AS n FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
            .limit_offset(&PageRequest::new(Some(2), Some(2)).unwrap())
            .push(")");
        let out: Out = sql.get_result(conn).unwrap();
        assert_eq!((out.d, out.t.as_str(), out.n), (2, "xy", 1));
    }

    #[test]
    fn contains_folds_unicode_and_takes_wildcards_literally() {
        let conn = &mut SqliteConnection::establish(":memory:").unwrap();
        register_functions(conn).unwrap();
        let mut found = |hay: &str, needle: &str| {
            diesel::select(gh_contains(hay.to_owned(), fold(needle)))
                .get_result::<bool>(conn)
                .unwrap()
        };
        assert!(found("Fête d'ÉTÉ", "été"));
        assert!(found("100% fun", "0%"));
        assert!(!found("100 percent", "0%"));
        assert!(found("a_b", "_"));
        assert!(!found("ab", "_"));
    }
}
