//! `gatherhub-bench`: benchmarks of a GatherHub server, measured from
//! outside like a client would. The server runs as a child process (so its
//! memory and CPU can be read from /proc apart from the load generator's).
//!
//! ```sh
//! crates/bench/run.sh http                          # every HTTP scenario, PostgreSQL and SQLite
//! crates/bench/run.sh fanout --subscribers 10000   # WebSocket fan-out
//! ```
//!
//! `run.sh` builds this tool and the `gatherhub` server in release mode and
//! raises `ulimit -n`; see docs/BENCHMARKS.md.

mod api;
mod fanout;
mod fixture;
mod floor;
mod load;
mod scenarios;
mod server;
mod stats;
mod workloads;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "gatherhub-bench", about = "GatherHub benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One vote fanned out to N WebSocket subscribers of /ws/voting/:
    /// delivery latency, throughput, loss, and server memory per connection.
    Fanout(fanout::FanoutArgs),
    /// The HTTP scenarios (detail, list, results, floor reference, login,
    /// login flood, cast vote, create event, mixed) on PostgreSQL and SQLite
    /// against the real `gatherhub` binary, with startup time and memory.
    Http(scenarios::HttpArgs),
    /// The floor reference: a minimal actix-web server answering event
    /// detail and list with the same SQL through tokio-postgres directly.
    #[command(hide = true)]
    Floor(floor::FloorArgs),
    /// Internal: the server under test, started by the bench itself.
    #[command(hide = true)]
    Serve(ServeArgs),
}

/// Where the server under test is.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// Base URL of a running server (rate limits must be off); without it
    /// the bench starts its own server (in-memory storage) as a child.
    #[arg(long)]
    target: Option<String>,
    /// PID of the running server at --target, to read its memory.
    #[arg(long, requires = "target")]
    server_pid: Option<u32>,
    /// REDIS_URL for the server the bench starts (default: in-process fabric).
    #[arg(long, conflicts_with = "target")]
    redis_url: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[arg(long)]
    redis_url: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fanout(args) => run(fanout::run(args)),
        Command::Http(args) => run(scenarios::run(args)),
        Command::Floor(args) => floor::serve(args),
        Command::Serve(args) => run(server::serve(args.redis_url)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatherhub-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a scenario on a multi-thread runtime (the load generator needs both
/// cores it shares with the server).
fn run<F>(scenario: F) -> Result<(), String>
where
    F: std::future::Future<Output = Result<(), String>>,
{
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?
        .block_on(scenario)
}
