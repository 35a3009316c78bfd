//! The suite's concurrency contracts, repeated on fresh databases (20 rounds
//! by default; `GATHERHUB_PG_STRESS_ROUNDS` overrides): races that pass once
//! by luck rarely pass twenty times. 50 joins racing for capacity 10, join and
//! leave storms checking 0 ≤ going ≤ capacity, racing votes, racing refresh
//! rotations and racing sign-ups.

mod support;

use std::future::Future;
use std::sync::Arc;

use gatherhub_ports::Repositories;
use gatherhub_testkit::contracts::{concurrency, sessions, users, votes};

fn rounds() -> usize {
    std::env::var("GATHERHUB_PG_STRESS_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

/// Rounds run this many at a time: creating and dropping a database mostly
/// waits for the disk, which overlapping hides.
const AT_ONCE: usize = 3;

fn repeat<T, TFut>(contract: T)
where
    T: Fn(Repositories) -> TFut + Copy + Send,
    TFut: Future<Output = ()>,
{
    let total = rounds();
    let mut done = 0;
    while done < total {
        let batch = AT_ONCE.min(total - done);
        std::thread::scope(|scope| {
            for _ in 0..batch {
                scope.spawn(move || {
                    gatherhub_testkit::run_contract_guarded(
                        || async {
                            let db = support::TestDb::create().await;
                            let store = db.store().await;
                            (Repositories::from_store(Arc::new(store)), db)
                        },
                        contract,
                    );
                });
            }
        });
        done += batch;
    }
}

#[test]
fn fifty_joins_racing_for_ten_places() {
    repeat(concurrency::join_concurrent_at_capacity);
}

#[test]
fn one_user_joining_many_times_at_once() {
    repeat(concurrency::join_same_user_concurrently_once);
}

#[test]
fn join_and_leave_storms() {
    repeat(concurrency::join_leave_storm_keeps_invariants);
}

#[test]
fn racing_ballots_of_one_user() {
    repeat(votes::poll_concurrent_votes_same_user_count_once);
}

#[test]
fn racing_ballots_of_many_users() {
    repeat(votes::poll_concurrent_votes_many_users);
}

#[test]
fn racing_refresh_rotations() {
    repeat(sessions::session_concurrent_rotation_one_wins);
}

#[test]
fn racing_sign_ups() {
    repeat(users::user_concurrent_creations_one_wins);
}
