//! The `gatherhub` binary: parses the command line, sets up logging, runs.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gatherhub_server::{Application, Settings, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "gatherhub",
    version,
    about = "GatherHub: real-time community event planner"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
}

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
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let app = match Application::build(settings.clone()).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("gatherhub: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(host = %settings.host, port = app.port(), backend = settings.database_url.backend(), "GatherHub listening");
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatherhub: server error: {error}");
            ExitCode::FAILURE
        }
    }
}
