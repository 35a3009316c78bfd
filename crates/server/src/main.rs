//! The `gatherhub` binary: parses the command line, loads the settings
//! (profile files, then the environment), sets up logging, runs.

use std::process::ExitCode;

use clap::Parser;
use gatherhub_server::cli::{Cli, run};
use gatherhub_server::{Settings, telemetry};

// Multi-thread runtime: migrations use `block_in_place`-style blocking work,
// and actix-web's server runs inside it (STACK.md, pitfall 6). One worker
// thread: requests and WebSockets run on actix's own per-core workers; this
// runtime only starts them and carries background work (signals, readiness,
// the Redis fabric), and each idle thread costs resident memory (a stack and
// a malloc arena).
#[tokio::main(worker_threads = 1)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            // Logging is not set up yet (its format is a setting): one line.
            eprintln!("gatherhub: {error}");
            return ExitCode::from(2);
        }
    };
    // Flushes the queued log lines when main returns.
    let _logs = telemetry::init(settings.log_format, &settings.log_level);
    run(cli.command, settings).await
}
