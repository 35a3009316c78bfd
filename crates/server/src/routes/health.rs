//! Health endpoints for load balancers and operators: no auth, never cached.

use std::time::Instant;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use gatherhub_app::App;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::http::method_not_allowed;

#[derive(OpenApi)]
#[openapi(
    paths(get_health, get_liveness, get_readiness),
    components(schemas(Health, Liveness, Readiness, Checks, Check))
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
pub struct Check {
    /// `healthy`, `unhealthy` or `not_configured`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Checks {
    pub database: Check,
    pub redis: Check,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `healthy`, `degraded` (an optional dependency is down) or `unhealthy`.
    pub status: &'static str,
    pub timestamp: DateTime<Utc>,
    pub checks: Checks,
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

/// Readiness: 503 when the database cannot be reached.
#[utoipa::path(get, path = "/health/ready/", tag = "health", operation_id = "get_readiness",
    responses(
        (status = 200, description = "Ready (possibly degraded)", body = Readiness),
        (status = 503, description = "The database is unreachable", body = Readiness),
    ))]
pub async fn get_readiness(app: web::Data<App>) -> HttpResponse {
    let started = Instant::now();
    let database = match app.deps.repos.health.ping().await {
        Ok(()) => Check {
            status: "healthy",
            latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
        },
        Err(error) => {
            tracing::warn!(%error, "readiness: database check failed");
            Check {
                status: "unhealthy",
                latency_ms: None,
            }
        }
    };
    let ready = database.status == "healthy";
    let body = Readiness {
        status: if ready { "healthy" } else { "unhealthy" },
        timestamp: Utc::now(),
        checks: Checks {
            database,
            redis: Check {
                status: "not_configured",
                latency_ms: None,
            },
        },
    };
    let response = if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    };
    no_store(response)
}
