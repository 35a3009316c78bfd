//! Middleware of every request: a request id and one log line per request,
//! the contract's error shape for errors the framework produced by itself, a
//! panic guard answering an opaque 500, and one database connection held for
//! the whole of a read.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{Error, ResponseError};
use futures_util::FutureExt;

use super::ApiError;
use crate::telemetry::RequestContext;

/// What follows a middleware in the chain: another middleware, or the rest
/// of actix's chain as `move |req| next.call(req)` for its `Next`. The
/// middleware here are written against it so that several can be stacked in
/// one actix layer: each `from_fn` layer boxes the request's future twice,
/// and every wake-up of the request polls down through every layer.
pub trait Chain {
    type Body: MessageBody + 'static;
    type Call: Future<Output = Result<ServiceResponse<Self::Body>, Error>>;

    fn call(self, req: ServiceRequest) -> Self::Call;
}

impl<F, Fut, B> Chain for F
where
    F: FnOnce(ServiceRequest) -> Fut,
    Fut: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody + 'static,
{
    type Body = B;
    type Call = Fut;

    fn call(self, req: ServiceRequest) -> Fut {
        self(req)
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The caller's `X-Request-Id` when it is a sane short token (so a request
/// can be followed through a proxy's logs and ours), else a fresh one. Only
/// `[A-Za-z0-9._-]`, 1 to 64 characters: nothing that could forge a log line.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned)
}

/// Outermost: a request id, and one log line with method, path (never the
/// query string, which may hold a token), status and latency. Every line
/// logged while the request is served names it ([`RequestContext`]).
pub async fn trace_requests(
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = request_id(&req);
    // The id is a short token of header-safe characters.
    let echoed = HeaderValue::from_str(&id).ok();
    let context = RequestContext {
        id,
        method: req.method().clone(),
        path: req.path().to_owned(),
    };
    let started = Instant::now();
    context
        .scope(async move {
            let mut response = match next.call(req).await {
                Ok(response) => response.map_into_boxed_body(),
                Err(mut error) => {
                    let status = error.as_response_error().status_code().as_u16();
                    tracing::info!(status, "request failed");
                    if let Some(value) = echoed {
                        error.add_response_mapper(move |mut response| {
                            response.headers_mut().insert(REQUEST_ID, value.clone());
                            response
                        });
                    }
                    return Err(error);
                }
            };
            let status = response.status().as_u16();
            let elapsed_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
            tracing::info!(status, elapsed_ms, "request finished");
            if let Some(value) = echoed {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(response)
        })
        .await
}

/// Rewrites error responses that are not already JSON (actix's own 404s, 405s,
/// payload errors, CORS refusals) into the contract's error shape, keeping
/// every header but the body's own (`Allow`, `Retry-After`,
/// `WWW-Authenticate`, CORS, rate limits).
pub async fn error_shape(
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // No clone of the request may be held across `next.call`: inner
    // middleware (NormalizePath) needs it uniquely owned.
    let response = match next.call(req).await {
        Ok(response) => response.map_into_boxed_body(),
        // Already ours: keep it, with the response mappers outer layers added.
        Err(error) if error.as_error::<ApiError>().is_some() => return Err(error),
        Err(error) => {
            let status = error.as_response_error().status_code();
            return Err(ApiError::for_status(status).into());
        }
    };
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        return Ok(response);
    }
    let (request, old) = response.into_parts();
    let mut new = ApiError::for_status(status).error_response();
    let mut copied = Vec::new();
    for (name, value) in old.headers() {
        if name == header::CONTENT_TYPE || name == header::CONTENT_LENGTH {
            continue;
        }
        if !copied.contains(name) {
            // The old response's values replace the generic ones.
            new.headers_mut().remove(name);
            copied.push(name.clone());
        }
        new.headers_mut().append(name.clone(), value.clone());
    }
    Ok(ServiceResponse::new(request, new))
}

/// Turns a panicking handler into an opaque 500 instead of a dropped connection.
pub async fn catch_panic(
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(_) => {
            tracing::error!("request handler panicked");
            // The dispatcher renders this error with the contract's shape.
            Err(ApiError::internal().into())
        }
    }
}

/// Innermost, for `GET` and `HEAD`: the repository calls of the request
/// (the session lookup of its bearer token, then its use case) share one
/// PostgreSQL connection instead of checking one out each
/// (`gatherhub_postgres::hold_connection`; no effect on the other stores).
/// Requests with a body are left alone: a connection must not wait on a
/// slow upload.
pub async fn hold_connection<N: Chain>(
    req: ServiceRequest,
    next: N,
) -> Result<ServiceResponse<N::Body>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        gatherhub_postgres::hold_connection(next.call(req)).await
    } else {
        next.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::{Next, from_fn};
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    async fn boom() -> HttpResponse {
        panic!("handler bug")
    }

    /// Pings the store and answers how many of its connections are idle
    /// right after (`x-idle`).
    async fn idle_after_ping(store: web::Data<gatherhub_postgres::PgStore>) -> HttpResponse {
        use gatherhub_ports::StoreHealth;
        store.ping().await.unwrap();
        HttpResponse::Ok()
            .insert_header(("x-idle", store.pool_status().1.to_string()))
            .finish()
    }

    #[actix_web::test]
    async fn reads_hold_their_connection_and_requests_with_a_body_do_not() {
        let db = gatherhub_postgres::testing::TestDb::create().await;
        let store = web::Data::new(db.store().await);
        assert_eq!(store.pool_status(), (1, 1));
        let app = test::init_service(
            App::new()
                .app_data(store.clone())
                .wrap(from_fn(|req, next: Next<_>| {
                    hold_connection(req, move |req| next.call(req))
                }))
                .route("/", web::to(idle_after_ping)),
        )
        .await;
        for (method, idle) in [
            (Method::GET, "0"),
            (Method::HEAD, "0"),
            (Method::POST, "1"),
            (Method::PUT, "1"),
            (Method::PATCH, "1"),
            (Method::DELETE, "1"),
        ] {
            let request = test::TestRequest::default().method(method.clone());
            let response = test::call_service(&app, request.to_request()).await;
            assert_eq!(response.headers().get("x-idle").unwrap(), idle, "{method}");
            // Whatever the method, the connection is back once it is answered.
            assert_eq!(store.pool_status(), (1, 1), "{method}");
        }
    }

    #[actix_web::test]
    async fn a_panic_is_an_opaque_500_in_the_contract_shape() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(|req, next: Next<_>| {
                    error_shape(req, |req| catch_panic(req, move |req| next.call(req)))
                }))
                .route("/boom", web::get().to(boom)),
        )
        .await;
        // The error travels to the dispatcher, which renders it like this.
        let error =
            test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request())
                .await
                .unwrap_err();
        let response = error.error_response();
        assert_eq!(response.status().as_u16(), 500);
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"], "internal_error");
        assert!(!body.to_string().contains("handler bug"), "{body}");
    }

    #[actix_web::test]
    async fn framework_errors_get_the_contract_shape() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(|req, next: Next<_>| {
                    error_shape(req, move |req| next.call(req))
                }))
                .route(
                    "/plain",
                    web::get().to(|| async { HttpResponse::BadRequest().body("nope") }),
                ),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/plain").to_request()).await;
        assert_eq!(response.status().as_u16(), 400);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["error"], "validation_error");
        assert!(body["timestamp"].is_string());
    }
}
