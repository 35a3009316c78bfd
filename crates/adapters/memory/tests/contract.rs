//! The shared adapter contract suite, run against the in-memory store.

use std::sync::Arc;

use gatherhub_memory::MemoryStore;
use gatherhub_ports::Repositories;

gatherhub_testkit::contract_tests!(|| async {
    Repositories::from_store(Arc::new(MemoryStore::new()))
});

/// `run_all` drives the same suite on one runtime; keep it compiling and green.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_suite_in_sequence() {
    gatherhub_testkit::run_all(|| async {
        Repositories::from_store(Arc::new(MemoryStore::default()))
    })
    .await;
    assert_eq!(gatherhub_testkit::CONTRACTS.len(), 59);
}
