//! GatherHub's pure domain: the entities, validated values and business rules of
//! events, membership (capacity and waitlist), tasks and polls.
//!
//! Nothing here does I/O: no async runtime, database, web framework or cache. Every
//! constrained input is parsed into a newtype (`EventTitle::parse`, `Capacity::new`)
//! so that the rest of the system cannot hold an invalid value, and every rule is a
//! plain function that adapters and use cases call.

pub mod access;
pub mod error;
pub mod event;
pub mod ids;
pub mod membership;
pub mod page;
pub mod poll;
pub mod task;
pub mod text;
pub mod user;

pub use error::{FieldErrors, ValidationError};
pub use ids::{EventId, OptionId, PollId, TaskId, UserId};
pub use page::{Page, PageRequest};
