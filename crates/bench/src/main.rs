//! `gatherhub-bench`: benchmarks of a running GatherHub server, measured from
//! outside like a client would. Each scenario is a subcommand; the server is
//! either started by the bench as a child process (so its memory can be read
//! from /proc without counting the load generator's) or one already running.
//!
//! ```sh
//! crates/bench/run.sh fanout --subscribers 10000   # raises `ulimit -n` first
//! cargo run --release -p gatherhub-bench -- fanout --subscribers 1000
//! ```

mod api;
mod fanout;
mod server;
mod stats;

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
