//! One module per resource: handlers named `<verb>_<resource>` (also their
//! OpenAPI operation ids), their DTOs, a `configure` that registers them, and
//! an OpenAPI fragment merged into the served document.

pub mod auth;
pub mod docs;
pub mod events;
pub mod health;
pub mod media;
pub mod tasks;
pub mod voting;
