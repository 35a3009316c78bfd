//! GatherHub's server: HTTP (actix-web) mapping of the use cases, OpenAPI
//! documentation, configuration and startup. Handlers are thin: extract, call
//! one `gatherhub_app` method, map the result.

pub mod cli;
pub mod config;
pub mod dto;
pub mod fleet;
pub mod http;
pub mod openapi;
pub mod probe;
pub mod readiness;
pub mod realtime_checks;
pub mod routes;
pub mod seed;
pub mod shutdown;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod ws;

pub use config::Settings;
pub use startup::{Application, StartupError};
