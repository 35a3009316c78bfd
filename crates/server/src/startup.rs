//! Building and running the application: adapters chosen from settings, the
//! actix app with its middleware and routes, bound to a listener whose real
//! port is known before serving (port 0 in tests).

use std::net::TcpListener;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::Server;
use actix_web::middleware::{Next, NormalizePath, TrailingSlash, from_fn};
use actix_web::{HttpResponse, web};
use gatherhub_app::auth::AvatarMedia;
use gatherhub_app::{App, Deps};
use gatherhub_files::{CpuPool, LocalFiles};
use gatherhub_inprocess::{InProcessFabric, InProcessPresence};
use gatherhub_ports::{Clock, Fabric, Presence, Realtime, SystemClock};
use gatherhub_security::{Argon2Hasher, HashParams, JwtConfig, JwtIssuer};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::config::{Secret, Settings};
use crate::http::ops::Ops;
use crate::http::{ApiError, middleware, rate_limit, security};
use crate::readiness::{DatabaseCheck, ReadinessChecks};
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use crate::ws::{FabricNotifier, WsHub};
use crate::{openapi, routes, ws};

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
    #[error("cannot render the OpenAPI document: {0}")]
    Schema(String),
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    shutdown: Shutdown,
    ws: Arc<WsHub>,
    /// Fleet upkeep (closing crashed instances' connections); stops with
    /// the application.
    _fleet: crate::fleet::Background,
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
        let redis = crate::fleet::start_redis(&settings)?;
        let (fabric, presence) = crate::fleet::parts(redis.as_ref(), || realtime_parts(&settings));
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let realtime = Realtime {
            notifier: Arc::new(FabricNotifier::new(fabric.clone(), clock)),
            presence,
        };
        let app = build_app_with(&settings, &store, realtime)?;
        let fleet = crate::fleet::Background::start(redis.as_ref(), &app);
        let state = ServerState {
            checks: crate::fleet::with_checks(
                ReadinessChecks::default()
                    .with(Arc::new(DatabaseCheck(store.repositories().health))),
                fabric.clone(),
                redis.as_ref(),
            ),
            shutdown: Shutdown::from_settings(&settings),
            ops: Ops::new(&settings, &app, &store).map_err(StartupError::Config)?,
            ws: Arc::new(WsHub::new(
                fabric,
                settings.ws.clone(),
                settings.cors_allowed_origins.clone(),
            )),
        };
        let shutdown = state.shutdown.clone();
        let ws = state.ws.clone();
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
        Ok(Self {
            port,
            server,
            shutdown,
            ws,
            _fleet: fleet,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // actix-web's own signal handling is off: ours triggers the shutdown
        // signal first (readiness 503; WebSockets, which actix-web would leave
        // open (STACK.md pitfall 8), close with 1001), then stops gracefully.
        let signals = tokio::spawn(crate::shutdown::stop_on_signal(
            self.shutdown.clone(),
            self.server.handle(),
        ));
        let result = self.server.await;
        signals.abort();
        result
    }

    /// The shutdown signal of this server (triggered on SIGTERM/SIGINT).
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The WebSocket streams' shared state: open sockets, live subscribers.
    pub fn ws_hub(&self) -> Arc<WsHub> {
        self.ws.clone()
    }
}

/// The real-time fabric and presence of this instance: in-process, so
/// WebSockets of this process see every change made through it.
pub fn realtime_parts(settings: &Settings) -> (Arc<dyn Fabric>, Arc<dyn Presence>) {
    (
        Arc::new(InProcessFabric::new(settings.ws.queue_size)),
        Arc::new(InProcessPresence::new()),
    )
}

impl Application {}

/// The use cases over an opened store and the configured security adapters,
/// without real-time (for the commands other than `serve`).
pub fn build_app(settings: &Settings, store: &Store) -> Result<App, StartupError> {
    build_app_with(settings, store, Realtime::disabled())
}

/// The use cases announcing their changes through `realtime`.
pub fn build_app_with(
    settings: &Settings,
    store: &Store,
    realtime: Realtime,
) -> Result<App, StartupError> {
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
        realtime,
    })
    .with_avatar_media(AvatarMedia {
        storage: Arc::new(LocalFiles::new(&settings.media_root)),
        pool: Arc::new(CpuPool::per_core()),
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
    /// The WebSocket streams' shared state (fabric, settings, counters).
    pub ws: Arc<WsHub>,
    /// Hardening (security headers, hosts, CORS, rate limits) and status.
    pub ops: Ops,
}

/// The HTTP server over `app`, not yet awaited.
pub fn run(listener: TcpListener, app: App, state: ServerState) -> Result<Server, StartupError> {
    let app = web::Data::new(app);
    let checks = web::Data::new(state.checks);
    let shutdown = web::Data::new(state.shutdown);
    let ws_hub = web::Data::from(state.ws);
    // Serialised once and shared by every worker: a utoipa document is
    // several MiB of structs, and Swagger UI kept a copy per worker and
    // serialised it again on every request (docs/BENCHMARKS.md, idle RSS).
    let schema = routes::docs::Schema::of(&openapi::document())
        .map_err(|source| StartupError::Schema(source.to_string()))?;
    let shutdown_timeout = shutdown.timeout().as_secs();
    let ops = state.ops;
    ops.start_background();
    let (policy, limiters) = (ops.policy, ops.limiters);
    let status = web::Data::new(ops.status);
    let workers = worker_count();
    let started = Arc::new(AtomicUsize::new(0));
    let server = actix_web::HttpServer::new(move || {
        // Runs on each worker's thread as it starts: PostgreSQL serves each
        // worker from its own share of the pool (`Store::open`).
        gatherhub_postgres::bind_worker(started.fetch_add(1, Ordering::Relaxed) % workers);
        let (policy, limiters) = (policy.clone(), limiters.clone());
        actix_web::App::new()
            .app_data(app.clone())
            .app_data(checks.clone())
            .app_data(shutdown.clone())
            .app_data(ws_hub.clone())
            .app_data(status.clone())
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
            // Innermost first; each request passes them bottom to top. The
            // middleware are stacked in as few actix layers as their order
            // allows (`middleware::Chain`): CORS is actix-cors's own layer.
            .wrap(from_fn(|req, next: Next<_>| {
                middleware::catch_panic(req, |req| {
                    middleware::hold_connection(req, move |req| next.call(req))
                })
            }))
            .wrap(from_fn({
                let policy = policy.clone();
                move |req, next: Next<_>| {
                    let limiters = limiters.clone();
                    security::trusted_origins(policy.clone(), req, |req| {
                        rate_limit::rate_limit(limiters, req, move |req| next.call(req))
                    })
                }
            }))
            .wrap(policy.cors())
            .wrap(from_fn({
                let policy = policy.clone();
                move |req, next: Next<_>| {
                    let policy = policy.clone();
                    middleware::error_shape(req, |req| {
                        security::allowed_hosts(policy, req, move |req| next.call(req))
                    })
                }
            }))
            .wrap(from_fn(move |req, next: Next<_>| {
                security::security_headers(policy.clone(), req, |req| {
                    middleware::trace_requests(req, move |req| next.call(req))
                })
            }))
            .app_data(schema.clone())
            // The router tries services in order: the API first, its
            // busiest routes first (no two patterns overlap).
            .service(
                web::scope("/api/v1")
                    .wrap(NormalizePath::new(TrailingSlash::Always))
                    .configure(routes::events::configure)
                    .configure(routes::voting::configure)
                    .configure(routes::tasks::configure)
                    .configure(routes::auth::configure)
                    .default_service(web::to(not_found)),
            )
            .service(
                SwaggerUi::new("/api/docs/{_:.*}")
                    .config(SwaggerConfig::from(routes::docs::SCHEMA)),
            )
            .configure(routes::docs::configure)
            .service(
                web::scope("/health")
                    .wrap(NormalizePath::new(TrailingSlash::Always))
                    .configure(routes::health::configure),
            )
            .configure(ws::configure)
            .configure(routes::media::configure)
            .default_service(web::to(not_found))
    })
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        address: "listener".into(),
        source,
    })?
    .workers(workers)
    // Signals are ours (`shutdown::stop_on_signal`), so the order is ours.
    .disable_signals()
    .shutdown_timeout(shutdown_timeout)
    .run();
    Ok(server)
}

/// The request worker threads: one per core, as actix-web's default
/// (which allows at most 512).
pub(crate) fn worker_count() -> usize {
    std::thread::available_parallelism()
        .map_or(2, NonZeroUsize::get)
        .min(512)
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("Not found."))
}
