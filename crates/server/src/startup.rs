//! Building and running the application: adapters chosen from settings, the
//! actix app with its middleware and routes, bound to a listener whose real
//! port is known before serving (port 0 in tests).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{NormalizePath, TrailingSlash, from_fn};
use actix_web::{HttpResponse, web};
use gatherhub_app::{App, Deps};
use gatherhub_ports::{Clock, SystemClock};
use gatherhub_security::{Argon2Hasher, HashParams, JwtConfig, JwtIssuer};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::{Secret, Settings};
use crate::http::{ApiError, middleware};
use crate::readiness::{DatabaseCheck, ReadinessChecks};
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use crate::{openapi, routes};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        #[source]
        source: std::io::Error,
    },
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let store = Store::open(&settings).await?;
        if settings.migrate_on_start {
            let applied = store.migrate().await?;
            if !applied.is_empty() {
                tracing::info!(count = applied.len(), "applied pending migrations");
            }
        }
        let app = build_app(&settings, &store)?;
        let state = ServerState {
            checks: ReadinessChecks::default()
                .with(Arc::new(DatabaseCheck(store.repositories().health))),
            shutdown: Shutdown::new(),
        };
        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();
        let server = run(listener, app, state)?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The use cases over an opened store and the configured security adapters.
pub fn build_app(settings: &Settings, store: &Store) -> Result<App, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if let Store::Memory(_) = store {
        tracing::warn!(
            "storage: in-memory (DATABASE_URL=memory://): data is lost when the process stops"
        );
    }
    let repos = store.repositories();
    let secret = match &settings.secret_key {
        Some(secret) => secret.clone(),
        None => {
            tracing::warn!(
                "SECRET_KEY is not set: using an ephemeral key; tokens will not survive a restart"
            );
            ephemeral_secret()
        }
    };
    let tokens = JwtIssuer::new(JwtConfig::new(secret.expose().as_bytes()))
        .map_err(|error| StartupError::Config(format!("SECRET_KEY: {error}")))?
        .with_clock(clock.clone());
    let params = HashParams {
        m_cost_kib: settings.argon2_memory_kib,
        ..HashParams::default()
    };
    let hasher = Argon2Hasher::new(params)
        .map_err(|error| StartupError::Config(format!("argon2: {error}")))?;
    Ok(App::new(Deps {
        repos,
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        clock,
    }))
}

fn ephemeral_secret() -> Secret {
    let random = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    Secret::new(random)
}

/// What the server shares besides the use cases: readiness checks and the
/// shutdown signal.
#[derive(Clone)]
pub struct ServerState {
    pub checks: ReadinessChecks,
    pub shutdown: Shutdown,
}

/// The HTTP server over `app`, not yet awaited.
pub fn run(listener: TcpListener, app: App, state: ServerState) -> Result<Server, StartupError> {
    let app = web::Data::new(app);
    let checks = web::Data::new(state.checks);
    let shutdown = web::Data::new(state.shutdown);
    let document = openapi::document();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(app.clone())
            .app_data(checks.clone())
            .app_data(shutdown.clone())
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::not_found("Not found.").into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::from(gatherhub_domain::FieldErrors::single(
                    "query",
                    error.to_string(),
                ))
                .into()
            }))
            .wrap(from_fn(middleware::catch_panic))
            .wrap(from_fn(middleware::error_shape))
            .wrap(from_fn(middleware::trace_requests))
            .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/schema/", document.clone()))
            .configure(routes::docs::configure)
            .service(
                web::scope("/health")
                    .wrap(NormalizePath::new(TrailingSlash::Always))
                    .configure(routes::health::configure),
            )
            .service(
                web::scope("/api/v1")
                    .wrap(NormalizePath::new(TrailingSlash::Always))
                    .configure(routes::auth::configure)
                    .configure(routes::events::configure)
                    .configure(routes::tasks::configure)
                    .configure(routes::voting::configure)
                    .default_service(web::to(not_found)),
            )
            .default_service(web::to(not_found))
    })
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        address: "listener".into(),
        source,
    })?
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("Not found."))
}
