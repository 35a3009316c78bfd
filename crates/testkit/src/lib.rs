//! The contract suite every GatherHub storage adapter must pass.
//!
//! Each contract is a public `async fn(Repositories)` in [`contracts`] that
//! exercises one behaviour written on the port traits, including their error
//! contracts and their guarantees under concurrency. An adapter crate runs the
//! whole suite, one `#[test]` per contract with a fresh store each, from its
//! `tests/contract.rs`:
//!
//! ```ignore
//! gatherhub_testkit::contract_tests!(|| async {
//!     gatherhub_ports::Repositories::from_store(std::sync::Arc::new(MemoryStore::new()))
//! });
//! ```
//!
//! The factory is any expression callable as `FnOnce() -> impl Future<Output =
//! Repositories>`; it is evaluated once per test, inside that test's runtime (a
//! multi-threaded Tokio runtime with 4 workers), so it may connect to a database
//! or create a scratch schema. [`run_all`] runs every contract in sequence
//! instead, and [`CONTRACTS`] names them. A store that needs tearing down (a
//! scratch database to drop) uses [`contract_tests_guarded!`], whose factory
//! also returns a guard that outlives the contract.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support code")]

pub mod contracts;
pub mod fixtures;

use std::future::Future;
use std::time::Duration;

use gatherhub_ports::Repositories;

/// How long one contract may run before it is declared hung (a deadlock or a
/// lost wake-up in the adapter). Generous: CI machines are slow.
pub const CONTRACT_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs one contract against a store made by `make`, on a fresh
/// multi-threaded runtime with 4 workers, failing after [`CONTRACT_TIMEOUT`].
/// This is what each test of [`contract_tests!`] calls.
pub fn run_contract<F, Fut, T, TFut>(make: F, contract: T)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Repositories>,
    T: FnOnce(Repositories) -> TFut,
    TFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the contract test");
    runtime.block_on(async move {
        let repos = make().await;
        tokio::time::timeout(CONTRACT_TIMEOUT, contract(repos))
            .await
            .expect("the contract test did not finish in time (deadlock?)");
    });
}

/// As [`run_contract`], for factories that return `(Repositories, guard)`:
/// the guard (e.g. one whose `Drop` removes a scratch database) lives until
/// the contract has finished, failed or timed out, and is dropped after the
/// store. This is what each test of [`contract_tests_guarded!`] calls.
pub fn run_contract_guarded<F, Fut, G, T, TFut>(make: F, contract: T)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = (Repositories, G)>,
    T: FnOnce(Repositories) -> TFut,
    TFut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a Tokio runtime for the contract test");
    runtime.block_on(async move {
        let (repos, guard) = make().await;
        let finished = tokio::time::timeout(CONTRACT_TIMEOUT, contract(repos)).await;
        drop(guard);
        finished.expect("the contract test did not finish in time (deadlock?)");
    });
}

/// Calls `$callback!` with `{ $args }` followed by every contract as
/// `module::name`: the one list of the suite.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_contract {
    ($callback:ident! $args:tt) => {
        $crate::$callback! { $args
            users::user_create_and_get,
            users::user_username_taken_ignoring_case,
            users::user_email_taken_ignoring_case,
            users::user_concurrent_creations_one_wins,
            users::user_find_by_login_and_username,
            users::user_update_profile,
            users::user_set_password_and_record_login,
            users::user_set_avatar_returns_previous,
            users::user_concurrent_set_avatar_chain,
            users::health_ping_and_backend,
            sessions::session_create_and_lookup,
            sessions::session_rotate_chain_and_reuse,
            sessions::session_rotate_refuses_revoked_expired_unknown,
            sessions::session_concurrent_rotation_one_wins,
            sessions::session_revoke,
            sessions::session_revoke_user_sessions,
            events::event_create_and_get,
            events::event_update_fields,
            events::event_update_rejects_end_before_start,
            events::event_capacity_below_going_is_invalid,
            events::event_capacity_raise_promotes_fifo,
            events::event_delete_cascades,
            membership::join_going_then_waitlisted_fifo,
            membership::join_again_returns_existing_membership,
            membership::join_refused_when_missing_or_closed,
            membership::leave_promotes_fifo_and_compacts_waitlist,
            membership::leave_errors,
            membership::leave_unassigns_own_tasks_in_that_event,
            membership::list_members_in_order_and_paged,
            concurrency::join_concurrent_at_capacity,
            concurrency::join_same_user_concurrently_once,
            concurrency::join_leave_storm_keeps_invariants,
            event_list::list_events_visibility,
            event_list::list_events_filters,
            event_list::list_events_orderings,
            event_list::list_events_pagination,
            event_list::list_events_views_carry_counts_and_membership,
            tasks::task_create_and_get,
            tasks::task_create_requires_event,
            tasks::task_assignee_must_be_going_member,
            tasks::task_update_fields_and_completion,
            tasks::task_delete,
            tasks::task_concurrent_claims_one_wins,
            task_list::list_tasks_visibility,
            task_list::list_tasks_filters,
            task_list::list_tasks_orderings,
            polls::poll_create_and_get,
            polls::poll_update_fields_and_options,
            polls::poll_close_is_idempotent,
            polls::poll_delete,
            votes::poll_vote_replaces_previous,
            votes::poll_vote_rejects_foreign_option,
            votes::poll_vote_refused_when_closed_or_ended,
            votes::poll_retract_vote,
            votes::poll_concurrent_votes_same_user_count_once,
            votes::poll_concurrent_votes_many_users,
            votes::poll_voters_in_option_then_vote_order,
            poll_list::list_polls_visibility_and_filters,
            poll_list::list_polls_orderings_and_pagination,
        }
    };
}

/// Expands into one `#[test]` per contract, each running on a fresh store from
/// `$factory` (see the crate docs). Invoke it once, at the top level of an
/// integration test file of the adapter crate.
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr $(,)?) => {
        $crate::__for_each_contract!(__contract_test_fns! { $factory });
    };
}

/// As [`contract_tests!`], with a factory returning `(Repositories, guard)`;
/// see [`run_contract_guarded`].
#[macro_export]
macro_rules! contract_tests_guarded {
    ($factory:expr $(,)?) => {
        $crate::__for_each_contract!(__contract_test_fns_guarded! { $factory });
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __contract_test_fns_guarded {
    ({ $factory:expr } $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run_contract_guarded($factory, $crate::contracts::$module::$name);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __contract_test_fns {
    ({ $factory:expr } $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run_contract($factory, $crate::contracts::$module::$name);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __contract_suite {
    ({} $($module:ident :: $name:ident),* $(,)?) => {
        /// Every contract's name, as `module::name`, in suite order.
        pub const CONTRACTS: &[&str] = &[$(concat!(stringify!($module), "::", stringify!($name))),*];

        /// Runs every contract in sequence, each on a fresh store from `make`,
        /// on the caller's runtime (best multi-threaded, so that the concurrency
        /// contracts really run in parallel). Prefer [`contract_tests!`], which
        /// reports each contract as its own test.
        pub async fn run_all<F, Fut>(make: F)
        where
            F: Fn() -> Fut,
            Fut: Future<Output = Repositories>,
        {
            $(
                tokio::time::timeout(CONTRACT_TIMEOUT, contracts::$module::$name(make().await))
                    .await
                    .expect(concat!(stringify!($module), "::", stringify!($name), " did not finish in time"));
            )*
        }
    };
}

__for_each_contract!(__contract_suite! {});
