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

    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

/// A [`Sql`] whose rows have the SQL types `ST`: see [`Sql::rows`].
#[derive(Debug)]
pub(crate) struct Rows<ST> {
    sql: Sql,
    types: PhantomData<fn() -> ST>,
}

impl<ST> QueryId for Rows<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for Rows<ST> {
    type SqlType = ST;
}

impl<ST> QueryFragment<Pg> for Rows<ST> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.sql.walk_ast(out)
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
    /// simply bound twice).
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.text.as_str();
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            out.push_sql(&rest[..at]);
            if digits == 0 {
                out.push_sql("$");
                rest = &rest[at + 1..];
                continue;
            }
            let number: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
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
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
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
