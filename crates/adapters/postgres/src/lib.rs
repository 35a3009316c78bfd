//! The PostgreSQL adapter: one [`PgStore`] implementing every repository port
//! on diesel-async over a deadpool pool, with the schema's invariants enforced
//! by constraints and row locks.
//!
//! ```ignore
//! let store = PgStore::connect(PgConfig::new(database_url)).await?; // PgError
//! store.migrate().await?;                                           // pending migrations, under a lock
//! let repos = Repositories::from_store(Arc::new(store));
//! ```
//!
//! # Failures
//!
//! Every wait is bounded (see [`PgConfig`]): a saturated pool, a refused or
//! lost connection, a statement cancelled by `statement_timeout` and a server
//! that stops answering are all `RepoError::Unavailable` (503), never a hang.
//! Constraint violations are mapped by constraint name to the ports' answers
//! (`UsernameTaken`, `EmailTaken`, `NotFound` for a missing referenced row,
//! `Invalid` for a foreign option or a non-member assignee).
//!
//! # Concurrency
//!
//! Membership changes (join, leave, capacity) lock the event row (`FOR NO KEY
//! UPDATE`) and decide with the domain's `admit` / `promotable` /
//! `check_capacity_change` in the same transaction; promotion is one `UPDATE
//! ... IN (SELECT ... ORDER BY seq LIMIT n)`. Task writes that name an assignee
//! share-lock the event row, so a leave cannot slip in between the "is going"
//! check and the commit. Refresh rotation is a conditional `UPDATE` (compare
//! and swap). A vote share-locks its poll row (closing and option replacement
//! lock it exclusively) and then takes a transaction advisory lock on (poll,
//! user) before replacing the ballot.
//!
//! # Statements per method
//!
//! Counted (and asserted) by `tests/queries.rs`; "tx" means inside one
//! transaction (plus `BEGIN`/`COMMIT`). Lists cost the same for any page size.
//!
//! | method | statements |
//! |---|---|
//! | `UserRepo::create`, `get`, `find_by_login`, `find_by_username`, `update_profile`, `set_password`, `record_login` | 1 |
//! | `SessionRepo::create_session`, `session_user`, `revoke_session`, `revoke_user_sessions` | 1 |
//! | `SessionRepo::rotate` | 1 when rotated, 2 otherwise (the revoke) |
//! | `EventRepo::create_event` | 3 tx |
//! | `EventRepo::get_event` | 1 |
//! | `EventRepo::list_events` | 2 (count, page of views); 1 past the last page |
//! | `EventRepo::update_event` | 3 tx; 5 tx when the capacity changes (count, promote) |
//! | `EventRepo::delete_event` | 1 (cascades) |
//! | `EventRepo::join_event` | 4 tx; 2 tx for an existing member |
//! | `EventRepo::leave_event` | 5 tx, 6 tx when someone is promoted |
//! | `EventRepo::list_members` | 2 |
//! | `TaskRepo::create_task` | 3 tx, 4 tx with an assignee |
//! | `TaskRepo::get_task`, `delete_task` | 1 |
//! | `TaskRepo::list_tasks` | 2 |
//! | `TaskRepo::update_task` | 4 tx, 6 tx when the assignee changes to someone |
//! | `PollRepo::create_poll` | 3 tx |
//! | `PollRepo::get_poll`, `delete_poll` | 1 |
//! | `PollRepo::list_polls` | 2 (options, tallies and `my_votes` of the whole page inside the page query) |
//! | `PollRepo::update_poll` | 3 tx; 6 tx when replacing options |
//! | `PollRepo::cast_vote` | 5 tx |
//! | `PollRepo::retract_vote` | 3 tx |
//! | `PollRepo::close_poll` | 2 |
//! | `PollRepo::poll_voters` | 1; 2 when there is no vote (does the poll exist?) |
//! | `StoreHealth::ping` | 1 |
//!
//! A checkout from the pool adds a `SELECT 1` health check only when the
//! connection sat idle for at least `PgConfig::ping_after_idle`.
//!
//! # One connection per request
//!
//! Inside [`hold_connection`] the calls of one request share one pooled
//! connection (the server holds one for each `GET` and `HEAD`): an
//! authenticated read checks a connection out once, not once for the
//! session lookup and again for the use case.
//!
//! # One share of the pool per worker
//!
//! With [`PgConfig::shards`] above 1 the pool is split into shares, and a
//! thread declared request worker `i` with [`bind_worker`] takes its
//! connections from share `i`, which are opened and driven on its own
//! runtime: a statement then costs no wake-up of another thread (the server
//! binds each actix-web worker and sets one share per worker). A worker
//! whose share is in use for more than a moment borrows another's; the
//! shares together never exceed `max_size`.

mod config;
mod error;
mod event_list;
mod events;
mod held;
mod models;
mod polls;
mod pool;
mod roster;
mod schema;
mod sessions;
mod sql;
mod store;
mod tasks;
mod users;
mod views;
mod votes;
mod workers;

#[cfg(feature = "testing")]
pub mod testing;

pub use config::PgConfig;
pub use error::PgError;
pub use held::hold_connection;
pub use store::{MIGRATIONS, PgStore};
pub use workers::bind_worker;
