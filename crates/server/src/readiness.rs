//! The dependency checks behind `/health/ready/` (and `/health/status/`):
//! each names itself and says whether its failure makes the instance
//! unready (`critical`: 503 `unhealthy`) or only `degraded` (200), so that a
//! shared cache blip does not take every instance out of rotation.

use std::sync::Arc;
use std::time::Instant;

use gatherhub_ports::StoreHealth;
use serde::Serialize;
use utoipa::ToSchema;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Check {
    /// `healthy`, `unhealthy` or `not_configured`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

impl Check {
    pub fn healthy(started: Instant) -> Self {
        Self {
            status: "healthy",
            latency_ms: Some((started.elapsed().as_secs_f64() * 1e6).round() / 1e3),
        }
    }

    pub fn unhealthy() -> Self {
        Self {
            status: "unhealthy",
            latency_ms: None,
        }
    }

    pub fn not_configured() -> Self {
        Self {
            status: "not_configured",
            latency_ms: None,
        }
    }

    pub fn is_unhealthy(&self) -> bool {
        self.status == "unhealthy"
    }
}

/// A dependency readiness looks at.
#[async_trait::async_trait]
pub trait ReadinessCheck: Send + Sync {
    /// The key under `checks`: `database`, `redis`, `channels`, ...
    fn name(&self) -> &'static str;
    /// Whether a failure makes the instance unready (503) rather than degraded.
    fn critical(&self) -> bool;
    /// Must answer within a short bound (never hang a load balancer's probe).
    async fn check(&self) -> Check;
}

/// Every registered check, in order; shared as app data.
#[derive(Clone, Default)]
pub struct ReadinessChecks(pub Vec<Arc<dyn ReadinessCheck>>);

impl ReadinessChecks {
    pub fn with(mut self, check: Arc<dyn ReadinessCheck>) -> Self {
        self.0.push(check);
        self
    }
}

/// The database: critical.
pub struct DatabaseCheck(pub Arc<dyn StoreHealth>);

#[async_trait::async_trait]
impl ReadinessCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    fn critical(&self) -> bool {
        true
    }

    async fn check(&self) -> Check {
        let started = Instant::now();
        match tokio::time::timeout(std::time::Duration::from_secs(3), self.0.ping()).await {
            Ok(Ok(())) => Check::healthy(started),
            Ok(Err(error)) => {
                tracing::warn!(%error, "readiness: database check failed");
                Check::unhealthy()
            }
            Err(_) => {
                tracing::warn!("readiness: database check timed out");
                Check::unhealthy()
            }
        }
    }
}
