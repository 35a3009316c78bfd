//! A process-wide shutdown signal: triggered once when the server starts to
//! stop (SIGTERM/SIGINT), watched by whatever must react (readiness turns 503,
//! WebSockets close with 1001).
//!
//! actix-web's own signal handling is disabled (`disable_signals`) so that
//! the order is ours: on the first SIGTERM or SIGINT, trigger [`Shutdown`]
//! (readiness 503, WebSockets 1001); keep accepting for
//! `SHUTDOWN_DRAIN_SECONDS` (default 0) so that load balancers see the 503
//! and route elsewhere; then stop accepting and let in-flight requests finish
//! within `SHUTDOWN_TIMEOUT_SECONDS`, and exit. A second signal stops at once.
//! (actix closes idle keep-alive connections when it stops accepting, so
//! without a drain the 503 is seen only by requests already in flight.)

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
    timeout: Duration,
    drain: Duration,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal whose graceful stop waits at most 10 s for in-flight work.
    pub fn new() -> Self {
        Self::with_timeout(Duration::from_secs(10))
    }

    /// `timeout`: the longest the graceful stop waits for in-flight requests
    /// (`SHUTDOWN_TIMEOUT_SECONDS`).
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            sender: Arc::new(watch::channel(false).0),
            timeout,
            drain: Duration::ZERO,
        }
    }

    /// The bounds of the settings (`SHUTDOWN_TIMEOUT_SECONDS`,
    /// `SHUTDOWN_DRAIN_SECONDS`).
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            drain: settings.shutdown_drain,
            ..Self::with_timeout(settings.shutdown_timeout)
        }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How long the server keeps accepting after the signal, answering
    /// readiness with 503.
    pub fn drain(&self) -> Duration {
        self.drain
    }

    /// Starts the shutdown; later calls do nothing.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Resolves once the shutdown has started (at once if it already has).
    pub async fn triggered(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = receiver.wait_for(|stopping| *stopping).await;
    }
}

/// Resolves with the signal's name on SIGTERM or SIGINT (Ctrl-C).
pub async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = tokio::signal::ctrl_c() => "SIGINT",
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// Waits for a stop signal, then shuts the server down gracefully: see the
/// module's documentation for the order.
pub async fn stop_on_signal(shutdown: Shutdown, server: ServerHandle) {
    let signal = stop_signal().await;
    let (timeout, drain) = (shutdown.timeout(), shutdown.drain());
    tracing::info!(
        signal,
        drain_seconds = drain.as_secs(),
        timeout_seconds = timeout.as_secs(),
        "shutting down: readiness now 503, finishing in-flight requests"
    );
    shutdown.trigger();
    if !drain.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(drain) => {}
            name = stop_signal() => {
                tracing::warn!(signal = name, "second signal: stopping now");
                server.stop(false).await;
                return;
            }
        }
    }
    let graceful = server.stop(true);
    tokio::select! {
        () = graceful => tracing::info!("stopped"),
        name = stop_signal() => {
            tracing::warn!(signal = name, "second signal: stopping now");
            server.stop(false).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_once_triggered() {
        let shutdown = Shutdown::new();
        assert!(!shutdown.is_triggered());
        let waiter = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { shutdown.triggered().await }
        });
        shutdown.trigger();
        waiter.await.unwrap();
        assert!(shutdown.is_triggered());
        shutdown.triggered().await;
    }
}
