//! Health endpoints for load balancers and operators: no auth, never cached.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::http::method_not_allowed;
use crate::readiness::{Check, ReadinessChecks};
use crate::shutdown::Shutdown;
use crate::ws::WsHub;

#[derive(OpenApi)]
#[openapi(
    paths(get_health, get_liveness, get_readiness, get_status),
    components(schemas(
        Health,
        Liveness,
        Readiness,
        Check,
        Status,
        DatabaseStatus,
        PoolUse,
        WebSocketStatus
    ))
)]
pub struct HealthApi;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `healthy` when the process answers.
    pub status: &'static str,
    pub timestamp: DateTime<Utc>,
    pub version: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `alive`.
    pub status: &'static str,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `healthy`, `degraded` (an optional dependency is down) or `unhealthy`.
    pub status: &'static str,
    pub timestamp: DateTime<Utc>,
    /// One entry per dependency: `database`, `redis` (`not_configured` without
    /// `REDIS_URL`), and the real-time fabric when present.
    #[schema(value_type = std::collections::BTreeMap<String, Check>)]
    pub checks: BTreeMap<&'static str, Check>,
}

/// The detailed view for operators. Names backends and counts, never a
/// host, a URL, a user or a secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// As in readiness: `healthy`, `degraded` or `unhealthy`.
    pub status: &'static str,
    pub timestamp: DateTime<Utc>,
    pub version: &'static str,
    /// `development`, `production` or `render`.
    pub environment: &'static str,
    pub started_at: DateTime<Utc>,
    pub uptime_seconds: u64,
    /// True once SIGTERM/SIGINT started a graceful shutdown.
    pub shutting_down: bool,
    pub database: DatabaseStatus,
    /// The `redis` check's status: `healthy`, `unhealthy` or `not_configured`.
    pub redis: &'static str,
    pub websockets: WebSocketStatus,
    pub rate_limiting: bool,
    /// Every readiness check with its latency.
    #[schema(value_type = std::collections::BTreeMap<String, Check>)]
    pub checks: BTreeMap<&'static str, Check>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseStatus {
    /// `memory`, `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Connection pool use (PostgreSQL only).
    pub pool: Option<PoolUse>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct PoolUse {
    pub max_size: usize,
    /// Connections open now.
    pub open: usize,
    /// Open connections serving a request now.
    pub in_use: usize,
    pub idle: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebSocketStatus {
    /// WebSocket connections open on this instance.
    pub open_connections: usize,
}

/// Reads the database pool's use at the time of the request.
pub type PoolProbe = Arc<dyn Fn() -> PoolUse + Send + Sync>;

/// What `/health/status/` reports besides the checks, fixed at startup.
#[derive(Clone)]
pub struct StatusInfo {
    pub started: Instant,
    pub started_at: DateTime<Utc>,
    pub environment: &'static str,
    pub backend: &'static str,
    pub pool: Option<PoolProbe>,
    pub rate_limiting: bool,
}

impl StatusInfo {
    pub fn new(environment: &'static str, backend: &'static str, rate_limiting: bool) -> Self {
        Self {
            started: Instant::now(),
            started_at: Utc::now(),
            environment,
            backend,
            pool: None,
            rate_limiting,
        }
    }

    pub fn with_pool(mut self, probe: PoolProbe) -> Self {
        self.pool = Some(probe);
        self
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .route(web::get().to(get_health))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/live/")
            .route(web::get().to(get_liveness))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/ready/")
            .route(web::get().to(get_readiness))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/status/")
            .route(web::get().to(get_status))
            .default_service(method_not_allowed("GET")),
    );
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The process is up.
#[utoipa::path(get, path = "/health/", tag = "health", operation_id = "get_health",
    responses((status = 200, description = "The service answers", body = Health)))]
pub async fn get_health() -> HttpResponse {
    no_store(HttpResponse::Ok().json(Health {
        status: "healthy",
        timestamp: Utc::now(),
        version: env!("CARGO_PKG_VERSION"),
    }))
}

/// Liveness: touches no dependency.
#[utoipa::path(get, path = "/health/live/", tag = "health", operation_id = "get_liveness",
    responses((status = 200, description = "The process is alive", body = Liveness)))]
pub async fn get_liveness() -> HttpResponse {
    no_store(HttpResponse::Ok().json(Liveness {
        status: "alive",
        timestamp: Utc::now(),
    }))
}

/// Readiness: 503 when a critical dependency (the database) is down or the
/// instance is shutting down; `degraded` (200) when only an optional one is.
#[utoipa::path(get, path = "/health/ready/", tag = "health", operation_id = "get_readiness",
    responses(
        (status = 200, description = "Ready, possibly `degraded`", body = Readiness),
        (status = 503, description = "`unhealthy`: the database is unreachable, or shutting down", body = Readiness),
    ))]
pub async fn get_readiness(
    checks: web::Data<ReadinessChecks>,
    shutdown: web::Data<Shutdown>,
) -> HttpResponse {
    let (status, map) = run_checks(&checks, &shutdown).await;
    let body = Readiness {
        status,
        timestamp: Utc::now(),
        checks: map,
    };
    respond(status, body)
}

/// The detailed view: uptime, version, database backend and pool use, Redis,
/// open WebSockets, and every check with its latency. Answers 503 exactly
/// when readiness does.
#[utoipa::path(get, path = "/health/status/", tag = "health", operation_id = "get_status",
    responses(
        (status = 200, description = "Detailed status, possibly `degraded`", body = Status),
        (status = 503, description = "`unhealthy`: the database is unreachable, or shutting down", body = Status),
    ))]
pub async fn get_status(
    req: actix_web::HttpRequest,
    checks: web::Data<ReadinessChecks>,
    shutdown: web::Data<Shutdown>,
    info: web::Data<StatusInfo>,
) -> HttpResponse {
    let (status, checks) = run_checks(&checks, &shutdown).await;
    let pool = info.pool.as_ref().map(|probe| probe());
    let open_connections = req
        .app_data::<web::Data<WsHub>>()
        .map_or(0, |hub| hub.open_connections());
    let body = Status {
        status,
        timestamp: Utc::now(),
        version: env!("CARGO_PKG_VERSION"),
        environment: info.environment,
        started_at: info.started_at,
        uptime_seconds: info.started.elapsed().as_secs(),
        shutting_down: shutdown.is_triggered(),
        database: DatabaseStatus {
            backend: info.backend,
            pool,
        },
        redis: checks
            .get("redis")
            .map_or("not_configured", |check| check.status),
        websockets: WebSocketStatus { open_connections },
        rate_limiting: info.rate_limiting,
        checks,
    };
    respond(status, body)
}

fn respond(status: &'static str, body: impl Serialize) -> HttpResponse {
    let response = if status == "unhealthy" {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    } else {
        HttpResponse::Ok().json(body)
    };
    no_store(response)
}

/// Runs every check at once; `unhealthy` when a critical one fails or the
/// instance is shutting down, `degraded` when only an optional one fails.
async fn run_checks(
    checks: &ReadinessChecks,
    shutdown: &Shutdown,
) -> (&'static str, BTreeMap<&'static str, Check>) {
    let results = join_all(
        checks
            .0
            .iter()
            .map(|check| async move { (check.name(), check.critical(), check.check().await) }),
    )
    .await;
    let mut status = if shutdown.is_triggered() {
        "unhealthy"
    } else {
        "healthy"
    };
    let mut map = BTreeMap::new();
    for (name, critical, check) in results {
        if check.is_unhealthy() {
            if critical {
                status = "unhealthy";
            } else if status == "healthy" {
                status = "degraded";
            }
        }
        map.insert(name, check);
    }
    map.entry("redis").or_insert_with(Check::not_configured);
    (status, map)
}
