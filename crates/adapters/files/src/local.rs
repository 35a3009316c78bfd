//! `FileStorage` in a local directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use gatherhub_ports::storage::validate_key;
use gatherhub_ports::{FileStorage, StorageError, StorageResult};

/// Files under one root directory, one file per key (`avatars/x.png` is
/// `<root>/avatars/x.png`). Directories are created as needed, so the root
/// need not exist until the first write.
///
/// - Keys are checked with [`validate_key`], which admits only plain
///   segments: no `..`, no absolute paths, no backslashes, nothing hidden.
/// - A write goes to a hidden temporary file in the target's directory, is
///   flushed to disk, then renamed over the target: readers see the old file
///   or the whole new one, and a crash leaves at most a stray temporary file
///   (named `.tmp-*`, which no key can name).
/// - Reads and deletes never follow a symbolic link at the key's own path, and
///   a key naming a directory reads as missing.
///
/// The blocking file system calls run on tokio's blocking threads.
#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> StorageResult<PathBuf> {
        validate_key(key)?;
        Ok(key
            .split('/')
            .fold(self.root.clone(), |path, segment| path.join(segment)))
    }
}

#[async_trait::async_trait]
impl FileStorage for LocalFiles {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> StorageResult<()> {
        let path = self.path(key)?;
        blocking(move || write_atomically(&path, &bytes)).await
    }

    async fn get(&self, key: &str) -> StorageResult<Option<Vec<u8>>> {
        let path = self.path(key)?;
        blocking(move || {
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_file() => {}
                Ok(_) => return Ok(None),
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(error),
            }
            match fs::read(&path) {
                Ok(bytes) => Ok(Some(bytes)),
                // Removed between the two calls.
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            }
        })
        .await
    }

    async fn delete(&self, key: &str) -> StorageResult<bool> {
        let path = self.path(key)?;
        blocking(move || match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_dir() => Ok(false),
            // `remove_file` removes a link itself, never its target.
            Ok(_) => match fs::remove_file(&path) {
                Ok(()) => Ok(true),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(error) => Err(error),
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        })
        .await
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// over `path`; removes the temporary file on any failure.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("a storage path has a parent"))?;
    fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut file: File = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written?;
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

async fn blocking<T, F>(work: F) -> StorageResult<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StorageError::Unknown(Box::new(error)))?
        .map_err(storage_error)
}

/// A full disk, a read-only volume or missing permissions are conditions an
/// operator fixes, and retrying later may succeed: `Unavailable`.
fn storage_error(error: io::Error) -> StorageError {
    use io::ErrorKind as K;
    match error.kind() {
        K::PermissionDenied | K::StorageFull | K::ReadOnlyFilesystem | K::QuotaExceeded => {
            StorageError::Unavailable(error.to_string())
        }
        _ => StorageError::Unknown(Box::new(error)),
    }
}
