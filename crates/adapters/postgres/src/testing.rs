//! Scratch databases for tests (feature `testing`), used by this crate's
//! tests and by the server's end-to-end suite: each test gets its own database, cloned
//! from a template that has every migration applied, and drops it afterwards,
//! so tests run in parallel (even across test processes) and share nothing.
//!
//! The server comes from `GATHERHUB_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the role needs CREATEDB.
//! Templates are named after a hash of migrations/postgres, so changing a
//! migration builds a new one; stale templates can be removed with
//! `ALTER DATABASE gh_template_<hash> IS_TEMPLATE false; DROP DATABASE ...`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support code: a failed step is a failed test"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::{PgConfig, PgStore};
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio::sync::OnceCell;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Session advisory lock key under which templates are built ("GHTMPLAT").
const TEMPLATE_LOCK: i64 = 0x4748_544D_504C_4154;

/// Test databases left behind by killed test processes are dropped once older.
const LEAK_AGE: Duration = Duration::from_secs(2 * 3600);

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// The maintenance database URL of the test server.
pub fn server_url() -> String {
    std::env::var("GATHERHUB_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// `url` pointing at database `name` instead.
pub fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&server_url()).expect("GATHERHUB_TEST_PG_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&server_url())
        .await
        .expect("the test PostgreSQL server is reachable (scripts/services.sh starts it)")
}

/// A scratch database, dropped (with any connection still open to it) when
/// this value is dropped, also while a failing test unwinds.
#[derive(Debug)]
pub struct TestDb {
    name: String,
}

impl TestDb {
    /// A new database holding the migrated, empty schema.
    pub async fn create() -> Self {
        let template = TEMPLATE.get_or_init(ensure_template).await;
        Self::create_from(&format!("TEMPLATE {template}")).await
    }

    /// A new database without any table, to test migrations on.
    pub async fn empty() -> Self {
        Self::create_from("").await
    }

    async fn create_from(options: &str) -> Self {
        let name = format!(
            "gh_t_{}_{}",
            unix_now(),
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut admin = admin().await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} {options}"))
            .await
            .expect("CREATE DATABASE");
        // Tests need no durability, and waiting for each commit's WAL flush
        // would dominate the concurrency tests' time.
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {name} SET synchronous_commit = off"
            ))
            .await
            .expect("ALTER DATABASE");
        Self { name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        database_url(&self.name)
    }

    /// Settings for tests: a small pool, and waits long enough that a slow CI
    /// machine under the concurrency contracts does not time out.
    pub fn config(&self) -> PgConfig {
        PgConfig {
            max_size: 8,
            wait_timeout: Duration::from_secs(30),
            create_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            ..PgConfig::new(self.url())
        }
    }

    pub async fn store(&self) -> PgStore {
        PgStore::connect(self.config())
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop may run inside a runtime (or while a panic unwinds out of one),
        // where no runtime can be started: use a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&server_url())
                    .await
                    .map_err(std::io::Error::other)?;
                admin
                    .batch_execute(&statement)
                    .await
                    .map_err(std::io::Error::other)
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Datname {
    #[diesel(sql_type = Text)]
    datname: String,
}

/// The migrated template of this version of the migrations, built once per
/// server under an advisory lock (several test processes may get here at
/// once); also drops databases leaked by killed test runs.
async fn ensure_template() -> String {
    let name = format!("gh_template_{:016x}", migrations_hash());
    let mut admin = admin().await;
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
        .await
        .expect("template lock");
    let existing: Vec<Datname> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'gh\\_%'")
            .load(&mut admin)
            .await
            .expect("list databases");
    if !existing.iter().any(|d| d.datname == name) {
        let building = format!("{name}_building");
        for statement in [
            format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
            format!("CREATE DATABASE {building}"),
        ] {
            admin
                .batch_execute(&statement)
                .await
                .expect("create the template");
        }
        let store = PgStore::connect(PgConfig::new(database_url(&building)))
            .await
            .expect("connect");
        store.migrate().await.expect("migrate the template");
        store.close();
        drop(store);
        for statement in [
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{building}'"
            ),
            format!("ALTER DATABASE {building} RENAME TO {name}"),
            // Nobody may connect to a template while it is being cloned.
            format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"),
        ] {
            admin
                .batch_execute(&statement)
                .await
                .expect("finish the template");
        }
    }
    let cutoff = unix_now().saturating_sub(LEAK_AGE.as_secs());
    for leaked in existing
        .iter()
        .filter(|d| created_at(&d.datname).is_some_and(|at| at < cutoff))
    {
        let _ = admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                leaked.datname
            ))
            .await;
    }
    admin
        .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
        .await
        .expect("template unlock");
    name
}

/// The creation time encoded in a test database's name.
fn created_at(datname: &str) -> Option<u64> {
    datname
        .strip_prefix("gh_t_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// FNV-1a over the paths and contents of every migration file.
fn migrations_hash() -> u64 {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../migrations/postgres");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let relative = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .to_string_lossy()
            .into_owned();
        let content = std::fs::read(&file).expect("read a migration");
        for byte in relative.bytes().chain([0]).chain(content).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the migrations directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
