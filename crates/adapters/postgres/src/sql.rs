//! A small builder for the hand-written SQL of views and lists: the text grows
//! with numbered placeholders (`$1`, `$2`, ...) as values are bound, so
//! optional filters can be appended without counting parameters by hand.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Nullable, SmallInt, Text, Timestamptz};

/// One bound value.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
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

    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    pub(crate) fn into_query(self) -> BoxedSqlQuery<'static, Pg, SqlQuery> {
        let mut query = diesel::sql_query(self.text).into_boxed::<Pg>();
        for value in self.binds {
            query = match value {
                Bind::Int(v) => query.bind::<BigInt, _>(v),
                Bind::OptInt(v) => query.bind::<Nullable<BigInt>, _>(v),
                Bind::Small(v) => query.bind::<SmallInt, _>(v),
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Time(v) => query.bind::<Timestamptz, _>(v),
            };
        }
        query
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
}
