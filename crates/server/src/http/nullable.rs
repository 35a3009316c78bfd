//! Tells an absent field from an explicit `null` in partial updates:
//! `#[serde(default, deserialize_with = "double_option")]` on an
//! `Option<Option<T>>` gives `None` when absent, `Some(None)` for null.

use serde::{Deserialize, Deserializer};

pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
