//! Rebuilds the crate when a migration changes: they are embedded with
//! `embed_migrations!`, from a directory outside the crate that cargo does
//! not watch by itself.

fn main() {
    println!("cargo:rerun-if-changed=../../../migrations/sqlite");
}
