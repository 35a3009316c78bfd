//! The contracts, one module per area. Every public function here takes a
//! fresh store and panics when the store breaks its port's contract.

pub mod concurrency;
pub mod event_list;
pub mod events;
pub mod membership;
pub mod poll_list;
pub mod polls;
pub mod sessions;
pub mod task_list;
pub mod tasks;
pub mod users;
pub mod votes;
