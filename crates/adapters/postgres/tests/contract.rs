//! The shared adapter contract suite, run against PostgreSQL: every contract
//! on a database of its own, cloned from the migrated template and dropped
//! afterwards.

mod support;

use std::sync::Arc;

use gatherhub_ports::Repositories;

gatherhub_testkit::contract_tests_guarded!(|| async {
    let db = support::TestDb::create().await;
    let store = db.store().await;
    (Repositories::from_store(Arc::new(store)), db)
});
