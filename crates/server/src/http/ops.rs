//! The operations side of the HTTP server, built once from the settings
//! before the `HttpServer` factory runs (so every worker shares one set of
//! rate limiters): the hardening policy, the rate limiters, and what
//! `/health/status/` reports.

use std::sync::Arc;
use std::time::Duration;

use gatherhub_app::App;

use super::client_ip::TrustedProxies;
use super::rate_limit::RateLimiters;
use super::security::HttpPolicy;
use crate::config::Settings;
use crate::routes::health::{PoolUse, StatusInfo};
use crate::store::Store;

/// How often rate-limit buckets that have refilled are forgotten.
const HOUSEKEEPING: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Ops {
    pub policy: Arc<HttpPolicy>,
    /// Built even when off (`RATE_LIMIT_ENABLED=false`), then never consulted.
    pub limiters: Arc<RateLimiters>,
    pub status: StatusInfo,
}

impl Ops {
    pub fn new(settings: &Settings, app: &App, store: &Store) -> Result<Self, String> {
        let proxies = Arc::new(TrustedProxies::new(settings.trusted_proxies.clone()));
        let limiters = Arc::new(RateLimiters::new(
            settings.rate_limit_enabled,
            settings.rate_limits,
            proxies,
            app.deps.tokens.clone(),
        )?);
        let mut status = StatusInfo::new(
            settings.environment.as_str(),
            store.backend(),
            settings.rate_limit_enabled,
        );
        if let Store::Postgres(pg) = store {
            let pg = pg.clone();
            let max_size = settings.pool.max_size;
            status = status.with_pool(Arc::new(move || {
                let (open, idle) = pg.pool_status();
                PoolUse {
                    max_size,
                    open,
                    in_use: open.saturating_sub(idle),
                    idle,
                }
            }));
        }
        Ok(Self {
            policy: Arc::new(HttpPolicy::from_settings(settings)),
            limiters,
            status,
        })
    }

    /// Starts what runs beside the server (rate-limit housekeeping); it ends
    /// by itself once the server and its limiters are gone.
    pub fn start_background(&self) {
        if self.limiters.enabled {
            self.limiters.spawn_housekeeping(HOUSEKEEPING);
        }
    }
}
