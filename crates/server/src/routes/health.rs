//! Health endpoints for load balancers and operators: no auth, never cached.

use std::collections::BTreeMap;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::http::method_not_allowed;
use crate::readiness::{Check, ReadinessChecks};
use crate::shutdown::Shutdown;

#[derive(OpenApi)]
#[openapi(
    paths(get_health, get_liveness, get_readiness),
    components(schemas(Health, Liveness, Readiness, Check))
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
    let body = Readiness {
        status,
        timestamp: Utc::now(),
        checks: map,
    };
    let response = if status == "unhealthy" {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    } else {
        HttpResponse::Ok().json(body)
    };
    no_store(response)
}
