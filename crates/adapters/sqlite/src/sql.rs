//! SQL helpers shared by every query: the SQL functions the adapter uses
//! (one of them implemented in Rust) and the storage form of instants.

use chrono::{DateTime, Utc};
use diesel::expression::functions::declare_sql_function;
use diesel::sql_types::Text;
use diesel::{QueryResult, SqliteConnection};

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
