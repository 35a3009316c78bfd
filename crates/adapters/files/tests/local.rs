//! `LocalFiles` keeps the `FileStorage` contract on a real directory: round
//! trips, replacement, idempotent deletes, keys that cannot leave the root,
//! atomic writes, no symlink following; and `CpuPool` bounds its jobs.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gatherhub_files::{CpuPool, LocalFiles};
use gatherhub_ports::{BlockingPool, FileStorage, StorageError};

fn files() -> (tempfile::TempDir, LocalFiles) {
    let dir = tempfile::tempdir().unwrap();
    let files = LocalFiles::new(dir.path().join("media"));
    (dir, files)
}

/// Every entry below `dir`, as relative paths, sorted.
fn tree(dir: &std::path::Path) -> Vec<String> {
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn put_get_replace_delete() {
    let (_dir, files) = files();
    assert_eq!(files.get("avatars/a.png").await.unwrap(), None);
    files.put("avatars/a.png", b"one".to_vec()).await.unwrap();
    assert_eq!(
        std::fs::read(files.root().join("avatars").join("a.png")).unwrap(),
        b"one",
        "a key is a path below the root"
    );
    assert_eq!(
        files.get("avatars/a.png").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    files.put("avatars/a.png", b"two!".to_vec()).await.unwrap();
    assert_eq!(
        files.get("avatars/a.png").await.unwrap().as_deref(),
        Some(&b"two!"[..])
    );
    assert!(files.delete("avatars/a.png").await.unwrap());
    assert!(!files.delete("avatars/a.png").await.unwrap(), "idempotent");
    assert_eq!(files.get("avatars/a.png").await.unwrap(), None);
    assert_eq!(
        tree(files.root()),
        ["avatars"],
        "no temporary file is left behind"
    );
}

#[tokio::test]
async fn keys_cannot_leave_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
    let files = LocalFiles::new(&root);
    for key in [
        "../secret.txt",
        "avatars/../../secret.txt",
        "/etc/passwd",
        "..",
        "avatars/..",
        "avatars\\..\\..\\secret.txt",
        ".tmp-1",
        "",
    ] {
        assert!(
            matches!(files.get(key).await, Err(StorageError::InvalidKey)),
            "get {key:?}"
        );
        assert!(
            matches!(
                files.put(key, b"x".to_vec()).await,
                Err(StorageError::InvalidKey)
            ),
            "put {key:?}"
        );
        assert!(
            matches!(files.delete(key).await, Err(StorageError::InvalidKey)),
            "delete {key:?}"
        );
    }
    assert_eq!(
        std::fs::read(dir.path().join("secret.txt")).unwrap(),
        b"secret"
    );
    assert!(tree(&root).is_empty(), "{:?}", tree(&root));
}

#[tokio::test]
async fn links_and_directories_read_as_missing() {
    let (dir, files) = files();
    std::fs::create_dir_all(files.root().join("avatars")).unwrap();
    std::fs::write(dir.path().join("outside.png"), b"outside").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(
            dir.path().join("outside.png"),
            files.root().join("avatars").join("link.png"),
        )
        .unwrap();
        assert_eq!(files.get("avatars/link.png").await.unwrap(), None);
        assert!(files.delete("avatars/link.png").await.unwrap());
        assert_eq!(
            std::fs::read(dir.path().join("outside.png")).unwrap(),
            b"outside",
            "deleting a link leaves its target alone"
        );
    }
    assert_eq!(files.get("avatars").await.unwrap(), None);
    assert!(!files.delete("avatars").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_leave_one_whole_value() {
    let (_dir, files) = files();
    let files = Arc::new(files);
    let values: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 256 * 1024]).collect();
    let writers = values.iter().cloned().map(|value| {
        let files = files.clone();
        tokio::spawn(async move { files.put("avatars/same.bin", value).await })
    });
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    let stored = files.get("avatars/same.bin").await.unwrap().unwrap();
    assert!(values.contains(&stored), "a torn write");
    assert_eq!(tree(files.root()), ["avatars", "avatars/same.bin"]);
}

#[tokio::test]
async fn a_failed_write_is_an_error_and_changes_nothing() {
    let (_dir, files) = files();
    files.put("avatars/a.png", b"old".to_vec()).await.unwrap();
    // A file where a directory should be: the write cannot happen.
    files.put("blocked", b"file".to_vec()).await.unwrap();
    assert!(files.put("blocked/a.png", b"new".to_vec()).await.is_err());
    assert_eq!(
        files.get("avatars/a.png").await.unwrap().as_deref(),
        Some(&b"old"[..])
    );
    assert_eq!(tree(files.root()), ["avatars", "avatars/a.png", "blocked"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pool_bounds_concurrent_jobs_and_reports_panics() {
    let pool = Arc::new(CpuPool::new(2));
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let jobs = (0..8).map(|_| {
        let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
        tokio::spawn(async move {
            pool.run(Box::new(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            }))
            .await
        })
    });
    for job in jobs {
        job.await.unwrap().unwrap();
    }
    let most = most.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "at most two at once, saw {most}");

    let panicked = pool.run(Box::new(|| panic!("job bug"))).await;
    assert!(panicked.is_err());
    pool.run(Box::new(|| {})).await.unwrap();
}
