//! The `gatherhub` commands: `serve` (default), `migrate`, `create-superuser`,
//! `seed`, `check` and `healthcheck`. Each prints one clear line on failure and returns the
//! process exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gatherhub_app::AppError;
use gatherhub_app::auth::RegisterInput;

use crate::config::Settings;
use crate::startup::{Application, build_app};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "gatherhub",
    version,
    about = "GatherHub: real-time community event planner"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default), applying pending migrations first.
    Serve {
        /// Do not apply pending migrations before serving.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a staff account. The password comes from
    /// GATHERHUB_SUPERUSER_PASSWORD, or a prompt when run in a terminal.
    CreateSuperuser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Fill an empty database with sample users, events, tasks and polls.
    Seed,
    /// Validate the configuration and test connectivity.
    Check,
    /// Exit 0 when the server on HOST:PORT answers /health/live/ with 200
    /// (for container health checks; needs no curl).
    Healthcheck,
}

/// Runs `command` (default `serve`) with `settings`.
pub async fn run(command: Option<Command>, mut settings: Settings) -> ExitCode {
    let result = match command.unwrap_or(Command::Serve { no_migrate: false }) {
        Command::Serve { no_migrate } => {
            settings.migrate_on_start &= !no_migrate;
            serve(settings).await
        }
        Command::Migrate => migrate(&settings).await,
        Command::CreateSuperuser { username, email } => {
            create_superuser(&settings, username, email).await
        }
        Command::Seed => seed(&settings).await,
        Command::Check => check(&settings).await,
        Command::Healthcheck => {
            let address = crate::probe::target(&settings.host, settings.port);
            crate::probe::probe(&address, std::time::Duration::from_secs(5)).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gatherhub: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let app = Application::build(settings.clone())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        host = %settings.host,
        port = app.port(),
        backend = settings.database_url.backend(),
        "GatherHub listening"
    );
    app.run_until_stopped()
        .await
        .map_err(|e| format!("server error: {e}"))
}

/// The store, opened and migrated.
async fn ready_store(settings: &Settings) -> Result<Store, String> {
    let store = Store::open(settings).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

async fn migrate(settings: &Settings) -> Result<(), String> {
    let store = Store::open(settings).await.map_err(|e| e.to_string())?;
    let applied = store.migrate().await.map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("{}: no pending migrations", store.backend());
    } else {
        println!(
            "{}: applied {} migration(s): {}",
            store.backend(),
            applied.len(),
            applied.join(", ")
        );
    }
    Ok(())
}

async fn create_superuser(
    settings: &Settings,
    username: String,
    email: String,
) -> Result<(), String> {
    let password = match std::env::var("GATHERHUB_SUPERUSER_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ if std::io::stdin().is_terminal() => {
            let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
            let again =
                rpassword::prompt_password("Password (again): ").map_err(|e| e.to_string())?;
            if first != again {
                return Err("the passwords do not match".into());
            }
            first
        }
        _ => {
            return Err(
                "set GATHERHUB_SUPERUSER_PASSWORD or run in a terminal to be prompted".into(),
            );
        }
    };
    let store = ready_store(settings).await?;
    let app = build_app(settings, &store).map_err(|e| e.to_string())?;
    let input = RegisterInput {
        username: Some(username),
        email: Some(email),
        password: Some(password),
        first_name: None,
        last_name: None,
    };
    let user = app.auth.create_superuser(input).await.map_err(describe)?;
    println!("created staff user {} (id {})", user.username, user.id);
    Ok(())
}

async fn seed(settings: &Settings) -> Result<(), String> {
    let store = ready_store(settings).await?;
    let app = build_app(settings, &store).map_err(|e| e.to_string())?;
    let report = crate::seed::seed(&app, |line| println!("seed: {line}"))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "seeded {} users, {} events, {} memberships, {} tasks, {} polls, {} ballots",
        report.users, report.events, report.memberships, report.tasks, report.polls, report.votes
    );
    Ok(())
}

/// Validates the configuration (it was loaded and validated to get here)
/// and tests every dependency: the database, and Redis when configured. One
/// line per item; never a secret, a URL or a host of a dependency.
async fn check(settings: &Settings) -> Result<(), String> {
    let limits = &settings.rate_limits;
    let quota = |limit: &crate::config::RateLimit| {
        format!("{}/{}s", limit.requests, limit.period.as_secs())
    };
    println!(
        "configuration: ok (GATHERHUB_ENV={}, {} on {}:{}, debug {}, logs {:?})",
        settings.environment.as_str(),
        settings.database_url.backend(),
        settings.host,
        settings.port,
        settings.debug,
        settings.log_format,
    );
    println!(
        "rate limits: {}",
        if settings.rate_limit_enabled {
            format!(
                "on, per instance (auth {}, api {}, upload {})",
                quota(&limits.auth),
                quota(&limits.api),
                quota(&limits.upload)
            )
        } else {
            "off".to_owned()
        }
    );
    println!(
        "http: allowed hosts {}, CORS origins {}, trusted proxies {}",
        list_or_any(&settings.allowed_hosts),
        settings.cors_allowed_origins.len(),
        settings.trusted_proxies.len()
    );
    match &settings.secret_key {
        Some(key) => println!("secret key: set ({} bytes)", key.expose().len()),
        None => println!("secret key: not set; serve makes an ephemeral one (development only)"),
    }
    let store = Store::open(settings).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    store
        .repositories()
        .health
        .ping()
        .await
        .map_err(|e| format!("database: unreachable ({e})"))?;
    println!(
        "database: ok ({}, {:.1} ms)",
        store.backend(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    check_redis(settings).await?;
    build_app(settings, &store).map_err(|e| e.to_string())?;
    println!("security: ok");
    Ok(())
}

fn list_or_any(hosts: &[String]) -> String {
    if hosts.is_empty() {
        "any".to_owned()
    } else {
        hosts.join(",")
    }
}

/// Redis, through the same readiness check `/health/ready/` uses. The
/// adapter connects in the background, so a few tries are allowed.
async fn check_redis(settings: &Settings) -> Result<(), String> {
    use crate::readiness::ReadinessCheck;

    let Some(redis) = crate::fleet::start_redis(settings).map_err(|e| e.to_string())? else {
        println!("redis: not configured (real-time stays in this process)");
        return Ok(());
    };
    let check = crate::realtime_checks::RedisCheck(redis.commands.clone());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let outcome = check.check().await;
        if !outcome.is_unhealthy() {
            println!(
                "redis: ok ({:.1} ms)",
                outcome.latency_ms.unwrap_or_default()
            );
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err("redis: unreachable (REDIS_URL)".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// One line for a use-case error, with field errors spelled out.
fn describe(error: AppError) -> String {
    match error {
        AppError::Validation(errors) => errors
            .fields()
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
