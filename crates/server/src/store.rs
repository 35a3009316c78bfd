//! The storage adapter chosen by `DATABASE_URL`, opened and (optionally)
//! migrated in one place, with one clear line for each way it can fail.

use std::sync::Arc;

use gatherhub_memory::MemoryStore;
use gatherhub_ports::Repositories;
use gatherhub_postgres::{PgConfig, PgStore};
use gatherhub_sqlite::SqliteStore;

use crate::config::{DatabaseUrl, Settings};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] gatherhub_sqlite::SqliteError),
    #[error("database: {0}")]
    Postgres(#[from] gatherhub_postgres::PgError),
}

/// An opened store of one of the three backends.
#[derive(Clone)]
pub enum Store {
    Memory(Arc<MemoryStore>),
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl Store {
    /// Opens (or connects to) the configured database. Does not migrate.
    pub async fn open(settings: &Settings) -> Result<Self, StoreError> {
        Ok(match &settings.database_url {
            DatabaseUrl::Memory => Self::Memory(Arc::new(MemoryStore::new())),
            DatabaseUrl::Sqlite(url) => Self::Sqlite(Arc::new(SqliteStore::open(url).await?)),
            DatabaseUrl::Postgres(url) => {
                let mut config = PgConfig::new(url.expose());
                config.max_size = settings.pool.max_size;
                config.wait_timeout = settings.pool.wait_timeout;
                config.create_timeout = settings.pool.connect_timeout;
                config.statement_timeout = settings.pool.statement_timeout;
                // One share per request worker (`startup::run` binds them).
                config.shards = crate::startup::worker_count();
                Self::Postgres(Arc::new(PgStore::connect(config).await?))
            }
        })
    }

    /// Applies pending migrations; returns the versions applied (none for
    /// memory). Safe to run from several instances at once.
    pub async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        Ok(match self {
            Self::Memory(_) => Vec::new(),
            Self::Sqlite(store) => store.migrate().await?,
            Self::Postgres(store) => store.migrate().await?,
        })
    }

    pub fn repositories(&self) -> Repositories {
        match self {
            Self::Memory(store) => Repositories::from_store(store.clone()),
            Self::Sqlite(store) => Repositories::from_store(store.clone()),
            Self::Postgres(store) => Repositories::from_store(store.clone()),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}
