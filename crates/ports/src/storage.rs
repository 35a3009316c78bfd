//! File storage: opaque bytes under a key (user media such as avatars), and
//! the rules every key must follow so that no adapter can be made to reach
//! outside its own space.

/// What went wrong in a storage call.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The key breaks [`validate_key`]'s rules; nothing was read or written.
    #[error("invalid storage key")]
    InvalidKey,
    /// The storage cannot be reached or has no room (full disk, read-only
    /// volume, lost network share). Nothing was written.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else. Its text is for logs only, never for clients.
    #[error("storage failure: {0}")]
    Unknown(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// Checks a key: 1–[`MAX_KEY_LEN`] bytes, `/`-separated segments that are
/// each non-empty, do not start with `.` (so no `.`, `..` or hidden files) and
/// contain only ASCII letters, digits, `.`, `_` and `-`. Such a key names a
/// path below any root on every platform, never above it, and never an
/// adapter's own temporary files (which start with `.`).
pub fn validate_key(key: &str) -> StorageResult<()> {
    let segment_ok = |segment: &str| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.split('/').all(segment_ok) {
        return Err(StorageError::InvalidKey);
    }
    Ok(())
}

/// Bytes stored under keys (see [`validate_key`]). Every method MUST return
/// `InvalidKey`, touching nothing, for a key that breaks those rules.
#[async_trait::async_trait]
pub trait FileStorage: Send + Sync {
    /// Stores `bytes` under `key`, replacing any earlier value. Atomic: a
    /// concurrent or later `get` sees the old value or the whole new one,
    /// never a part, also when the process dies halfway. On error nothing
    /// under `key` has changed.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> StorageResult<()>;

    /// The bytes under `key`, or `None` when nothing is stored there.
    async fn get(&self, key: &str) -> StorageResult<Option<Vec<u8>>>;

    /// Removes the value under `key`. Returns whether there was one: removing
    /// a missing key is no error, so that retries are safe.
    async fn delete(&self, key: &str) -> StorageResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_below_the_root() {
        for good in ["avatars/abc.png", "a", "a/b/c-d_e.f", "x.tar.gz"] {
            assert!(validate_key(good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_KEY_LEN + 1);
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            ".hidden",
            "a/.tmp-1",
            "a\\b",
            "C:x",
            "a b",
            "é",
            "a\0b",
            long.as_str(),
        ] {
            assert!(
                matches!(validate_key(bad), Err(StorageError::InvalidKey)),
                "{bad:?}"
            );
        }
    }
}
