//! The shared adapter contract suite, run against the SQLite store: each
//! contract on its own fresh, migrated database file (deleted afterwards).

use std::sync::Arc;

use gatherhub_ports::Repositories;
use gatherhub_sqlite::SqliteStore;

async fn fresh() -> Repositories {
    let store = SqliteStore::open_temporary()
        .await
        .unwrap_or_else(|e| panic!("a scratch SQLite database: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrating the scratch database: {e}"));
    Repositories::from_store(Arc::new(store))
}

gatherhub_testkit::contract_tests!(fresh);
