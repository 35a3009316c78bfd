//! Scratch databases: see `gatherhub_postgres::testing`.

#![allow(unused_imports, reason = "each test binary uses part of it")]

pub use gatherhub_postgres::testing::*;
