//! The `gatherhub` binary: parses the command line, sets up logging, runs.

use std::process::ExitCode;

use clap::Parser;
use gatherhub_server::cli::{Cli, run};
use gatherhub_server::{Settings, telemetry};

// Multi-thread runtime: migrations use `block_in_place`-style blocking work,
// and actix-web's server runs inside it (STACK.md, pitfall 6).
#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json"));
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("gatherhub: {error}");
            return ExitCode::from(2);
        }
    };
    run(cli.command, settings).await
}
