//! The request being served, for the lines logged while serving it.
//!
//! The request middleware (`http::middleware::trace_requests`) runs each
//! request inside [`RequestContext::scope`]; every line logged while that
//! request's future is polled, by our code or a library's, names the request
//! (its id, method and path) in both log formats. This replaces a tracing
//! span per request: a span is created, entered and left on every poll,
//! taking the filter's and the registry's shared locks each time; the
//! task-local is one thread-local swap per poll (docs/BENCHMARKS.md,
//! "Instructions per request").

use std::future::Future;

use actix_web::http::Method;

/// The request a line is logged for.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The request id, also echoed as `X-Request-Id`.
    pub id: String,
    pub method: Method,
    /// The path, never the query string (which may hold a `?token=`).
    pub path: String,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

impl RequestContext {
    /// Runs `future` as the serving of this request: lines logged while it
    /// is polled name the request.
    pub fn scope<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self, future)
    }

    /// `read` of the request being served on this thread, if any.
    pub fn with_current<R>(read: impl FnOnce(&Self) -> R) -> Option<R> {
        CURRENT.try_with(read).ok()
    }

    /// The span name the log formats give it, as the request span had.
    pub const NAME: &'static str = "request";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(id: &str) -> RequestContext {
        RequestContext {
            id: id.to_owned(),
            method: Method::GET,
            path: "/p/".to_owned(),
        }
    }

    fn current_id() -> Option<String> {
        RequestContext::with_current(|request| request.id.clone())
    }

    #[tokio::test]
    async fn the_context_is_current_only_while_its_request_is_polled() {
        assert_eq!(current_id(), None);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn(context("r1").scope(async move {
            let before = current_id();
            rx.await.unwrap();
            (before, current_id())
        }));
        // Another request, served while the first waits.
        let second = context("r2").scope(async { current_id() }).await;
        assert_eq!(second.as_deref(), Some("r2"));
        assert_eq!(current_id(), None);
        tx.send(()).unwrap();
        let (before, after) = first.await.unwrap();
        assert_eq!(before.as_deref(), Some("r1"));
        assert_eq!(after.as_deref(), Some("r1"));
    }
}
