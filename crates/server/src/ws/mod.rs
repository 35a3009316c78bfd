//! The real-time WebSocket streams of API §6: `/ws/events/`, `/ws/tasks/`,
//! `/ws/voting/`. The upgrade ([`upgrade`]) checks origin and token; each
//! accepted socket then runs as one [`connection::Connection`] task fed by
//! the fabric, whose messages the [`notifier::FabricNotifier`] rendered.

mod connection;
pub mod notifier;
mod protocol;
pub mod settings;
mod upgrade;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use actix_web::web;
use gatherhub_ports::{ConnectionId, Fabric};

pub use notifier::FabricNotifier;
pub use settings::WsSettings;

/// What every WebSocket connection of this process shares: the fabric, the
/// settings and a count of open sockets. Register as `web::Data<WsHub>`.
pub struct WsHub {
    pub fabric: Arc<dyn Fabric>,
    pub settings: WsSettings,
    /// Browser origins allowed besides the server's own (`CORS_ALLOWED_ORIGINS`).
    pub allowed_origins: Vec<String>,
    /// Makes connection ids unique across instances.
    instance: String,
    next: AtomicU64,
    open: Arc<AtomicUsize>,
}

impl WsHub {
    pub fn new(
        fabric: Arc<dyn Fabric>,
        settings: WsSettings,
        allowed_origins: Vec<String>,
    ) -> Self {
        Self {
            fabric,
            settings,
            allowed_origins,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            next: AtomicU64::new(1),
            open: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Open WebSocket connections on this instance.
    pub fn open_connections(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Live fabric subscriptions on this instance: one per open socket, so
    /// it returns to zero when every socket is gone (no leak).
    pub fn subscribers(&self) -> usize {
        self.fabric.local_subscribers()
    }

    fn next_connection(&self) -> (ConnectionId, OpenGuard) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
        (
            ConnectionId(format!("{}-{n}", self.instance)),
            OpenGuard(self.open.clone()),
        )
    }
}

/// Counts one open socket until dropped.
pub struct OpenGuard(Arc<AtomicUsize>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The three streams, each at its path with and without the final slash.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, handler) in [
        ("/ws/events", web::get().to(upgrade::events)),
        ("/ws/tasks", web::get().to(upgrade::tasks)),
        ("/ws/voting", web::get().to(upgrade::voting)),
    ] {
        cfg.service(
            web::resource([path.to_owned(), format!("{path}/")])
                .route(handler)
                .default_service(crate::http::method_not_allowed("GET")),
        );
    }
}
