//! A small builder for the hand-written SQL of views and lists: the text grows
//! with numbered placeholders (`$1`, `$2`, ...) as values are bound, so
//! optional filters can be appended without counting parameters by hand.
//!
//! [`Sql`] is itself the query diesel runs, and unlike `diesel::sql_query`
//! it may be cached as a prepared statement: diesel-async keeps one per
//! distinct SQL text and connection, so a view or list is parsed and planned
//! by PostgreSQL once per connection rather than on every call (which cost a
//! Parse round trip and a fresh plan per request; see docs/BENCHMARKS.md).
//! The texts are built from fixed fragments only (values are always bound),
//! so the number of distinct statements stays small.
//!
//! The cache finds a statement by hashing its text (and copying it into the
//! key) on every call. A statement whose text never varies can name a
//! [`Fixed`] key type instead ([`Sql::fixed_rows`]), and is then found by
//! that type. The single-row views and the session lookup, run by nearly
//! every request, do: hashing their texts cost about 5 000 instructions of
//! an event detail request (docs/BENCHMARKS.md).

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, SmallInt, Text, Timestamptz, Untyped};

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Bool(bool),
    Int(i64),
    Int32(i32),
    OptInt(Option<i64>),
    Small(i16),
    Text(String),
    Time(DateTime<Utc>),
}

#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    /// An empty statement with room for `capacity` bytes of text.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            text: String::with_capacity(capacity),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Binds `value` and returns its placeholder, for text that refers to the
    /// same value more than once.
    pub(crate) fn param(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// Appends the placeholder of a newly bound `value`.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        let placeholder = self.param(value);
        self.push(&placeholder)
    }

    /// Binds `value` to the next placeholder number, for text written with
    /// its placeholders already numbered (`Sql::new("… $1 … $2").arg(a).arg(b)`).
    pub(crate) fn arg(mut self, value: Bind) -> Self {
        self.binds.push(value);
        self
    }

    /// The statement read by position, as rows of the SQL types `ST` (a
    /// tuple in the order of the select list), into a `Queryable` type.
    /// Untyped, diesel looks every column of every row up by name
    /// (`QueryableByName`), which showed in the profile of a page.
    pub(crate) fn rows<ST>(self) -> Rows<ST> {
        Rows {
            sql: self,
            types: PhantomData,
        }
    }

    /// [`Sql::rows`] for a statement whose text is the same on every call,
    /// found in the statement cache by its key type `K` rather than by its
    /// text. Each `K` must only ever be used with one text: a different
    /// text under the same key would run the statement prepared first.
    pub(crate) fn fixed_rows<ST, K: Fixed>(self) -> Rows<ST, K> {
        Rows {
            sql: self,
            types: PhantomData,
        }
    }

    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

/// A [`Sql`] whose rows have the SQL types `ST`: see [`Sql::rows`]. `K` is
/// how diesel's statement cache finds it: by its text ([`ByText`]), or by a
/// [`Fixed`] key type.
#[derive(Debug)]
pub(crate) struct Rows<ST, K = ByText> {
    sql: Sql,
    types: PhantomData<fn() -> (ST, K)>,
}

/// How the statement cache finds a statement: see [`Rows`].
pub(crate) trait CacheKey: 'static {
    /// Whether the key type alone names the statement.
    const BY_TYPE: bool;
}

/// The statement is found by its text, which may vary from call to call.
#[derive(Debug)]
pub(crate) enum ByText {}

impl CacheKey for ByText {
    const BY_TYPE: bool = false;
}

/// A key type naming one fixed statement text ([`Sql::fixed_rows`]);
/// declared with [`fixed_statement!`].
pub(crate) trait Fixed: CacheKey {}

/// Declares a key type for one fixed statement text ([`Sql::fixed_rows`]).
macro_rules! fixed_statement {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) enum $name {}

        impl $crate::sql::CacheKey for $name {
            const BY_TYPE: bool = true;
        }

        impl $crate::sql::Fixed for $name {}
    };
}
pub(crate) use fixed_statement;

impl<ST, K: CacheKey> QueryId for Rows<ST, K> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = K::BY_TYPE;
}

impl<ST, K> Query for Rows<ST, K> {
    type SqlType = ST;
}

impl<ST, K> QueryFragment<Pg> for Rows<ST, K> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.sql.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, backend: &Pg) -> QueryResult<bool> {
        self.sql.is_safe_to_cache_prepared(backend)
    }
}

impl QueryId for Sql {
    type QueryId = ();
    // Not static: the statement cache keys it by its SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

impl QueryFragment<Pg> for Sql {
    /// Emits the text with each `$n` replaced by bind `n` (diesel numbers
    /// the placeholders again as it binds, so a value referred to twice is
    /// simply bound twice). diesel walks a statement twice per call (its
    /// text, then its binds), so the `$` are found with `memchr`'s vector
    /// search (`str::find` cost about 6 000 of the 226 000 instructions of
    /// an event detail request).
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let text = self.text.as_str();
        let mut start = 0;
        for at in memchr::memchr_iter(b'$', text.as_bytes()) {
            let digits = text.as_bytes()[at + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits == 0 {
                continue;
            }
            out.push_sql(&text[start..at]);
            let number: usize = text[at + 1..at + 1 + digits].parse().unwrap_or(0);
            let bind = number
                .checked_sub(1)
                .and_then(|i| self.binds.get(i))
                .ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(
                        format!("placeholder ${number} has no bound value").into(),
                    )
                })?;
            match bind {
                Bind::Bool(v) => out.push_bind_param::<Bool, _>(v)?,
                Bind::Int(v) => out.push_bind_param::<BigInt, _>(v)?,
                Bind::Int32(v) => out.push_bind_param::<Integer, _>(v)?,
                Bind::OptInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Bind::Small(v) => out.push_bind_param::<SmallInt, _>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, _>(v)?,
                Bind::Time(v) => out.push_bind_param::<Timestamptz, _>(v)?,
            }
            start = at + 1 + digits;
        }
        out.push_sql(&text[start..]);
        Ok(())
    }

    /// Always: values are only ever bound. (diesel's default answers by
    /// walking the whole text a third time.)
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

/// A page's `LIMIT` and `OFFSET` as SQL integers.
pub(crate) fn limit_offset(sql: &mut Sql, page: &gatherhub_domain::PageRequest) {
    let limit = i64::try_from(page.limit()).unwrap_or(i64::MAX);
    let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
    sql.push(" LIMIT ")
        .bind(Bind::Int(limit))
        .push(" OFFSET ")
        .bind(Bind::Int(offset));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(Bind::Int(1)).push(" AND b = ");
        let b = sql.param(Bind::Text("x".into()));
        sql.push(&format!("{b} OR c = {b}"));
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b = $2 OR c = $2");
    }

    #[test]
    fn renders_every_placeholder_as_its_own_bind_and_may_be_cached() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(Bind::Int(7)).push(" AND b = ");
        let b = sql.param(Bind::Text("x".into()));
        sql.push(&format!("{b} OR c = {b} AND d = '$'"));
        let rendered = diesel::debug_query::<Pg, _>(&sql).to_string();
        assert_eq!(
            rendered,
            r#"SELECT 1 WHERE a = $1 AND b = $2 OR c = $3 AND d = '$' -- binds: [7, "x", "x"]"#
        );
        assert!(QueryFragment::<Pg>::is_safe_to_cache_prepared(&sql, &Pg).unwrap());
    }

    /// `query`'s text as diesel renders it, and the cache key it gets.
    fn rendered<Q: QueryFragment<Pg> + QueryId>(query: &Q) -> (String, Option<std::any::TypeId>) {
        let mut builder = <Pg as diesel::backend::Backend>::QueryBuilder::default();
        query.to_sql(&mut builder, &Pg).unwrap();
        assert!(query.is_safe_to_cache_prepared(&Pg).unwrap());
        (
            diesel::query_builder::QueryBuilder::finish(builder),
            Q::query_id(),
        )
    }

    /// A fixed statement is cached under its key type alone, so its text
    /// must not depend on anything but the key: the same for every id and
    /// viewer. A varying statement is cached under its text.
    #[test]
    fn fixed_statements_have_one_text_and_are_cached_by_key() {
        use gatherhub_domain::{EventId, PollId, TaskId, UserId};
        let fixed = [
            [
                rendered(&crate::events::event_by_id(EventId(1), None)),
                rendered(&crate::events::event_by_id(EventId(99), Some(UserId(7)))),
            ],
            [
                rendered(&crate::polls::poll_by_id(PollId(1), None)),
                rendered(&crate::polls::poll_by_id(PollId(42), Some(UserId(3)))),
            ],
            [
                rendered(&crate::tasks::task_by_id(TaskId(1))),
                rendered(&crate::tasks::task_by_id(TaskId(5))),
            ],
            [
                rendered(&crate::sessions::session_user_query(
                    "a",
                    chrono::Utc::now(),
                )),
                rendered(&crate::sessions::session_user_query(
                    "other",
                    DateTime::UNIX_EPOCH,
                )),
            ],
        ];
        let mut keys = Vec::new();
        for [first, second] in &fixed {
            assert_eq!(first, second);
            let key = first.1.expect("a fixed statement has a key type");
            assert!(!keys.contains(&key), "one key per statement");
            keys.push(key);
        }
        let varying = Sql::new("SELECT $1").arg(Bind::Int(1)).rows::<BigInt>();
        assert_eq!(rendered(&varying), ("SELECT $1".to_owned(), None));
    }

    #[test]
    fn a_placeholder_without_a_value_is_an_error_not_a_panic() {
        let sql = Sql::new("SELECT $1, $2").arg(Bind::Int(1));
        let mut builder = <Pg as diesel::backend::Backend>::QueryBuilder::default();
        assert!(QueryFragment::<Pg>::to_sql(&sql, &mut builder, &Pg).is_err());
        let sql = Sql::new("SELECT $1").arg(Bind::Int(1));
        let mut builder = <Pg as diesel::backend::Backend>::QueryBuilder::default();
        assert!(QueryFragment::<Pg>::to_sql(&sql, &mut builder, &Pg).is_ok());
    }
}
