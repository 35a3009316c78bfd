//! Adapters that use the local machine, implementing ports of
//! `gatherhub-ports`:
//!
//! - [`LocalFiles`]: `FileStorage` in a directory (`MEDIA_ROOT`), with atomic
//!   writes (a temporary file renamed into place) and keys that cannot leave
//!   the directory.
//! - [`CpuPool`]: `BlockingPool` on tokio's blocking threads, with a bound on
//!   how many jobs run at once.

mod local;
mod pool;

pub use local::LocalFiles;
pub use pool::CpuPool;
