//! Browser-facing hardening of every response and request (contract §8):
//! security headers (on errors too, the framework's own included), the
//! `ALLOWED_HOSTS` check, CORS for the exact `CORS_ALLOWED_ORIGINS`, and an
//! origin check of state-changing requests (`CSRF_TRUSTED_ORIGINS`).

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{Error, ResponseError};
use gatherhub_domain::FieldErrors;

use super::ApiError;
use super::middleware::Chain;
use crate::config::Settings;

/// What the hardening middleware needs from the settings.
#[derive(Debug, Clone, Default)]
pub struct HttpPolicy {
    /// `Strict-Transport-Security` outside debug mode.
    pub hsts: bool,
    pub allowed_hosts: Vec<String>,
    pub cors_allowed_origins: Vec<String>,
    pub csrf_trusted_origins: Vec<String>,
}

impl HttpPolicy {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            hsts: !settings.debug,
            allowed_hosts: settings.allowed_hosts.clone(),
            cors_allowed_origins: settings.cors_allowed_origins.clone(),
            csrf_trusted_origins: settings.csrf_trusted_origins.clone(),
        }
    }

    /// Whether `host` (a `Host` header, maybe with a port) is allowed.
    /// Django's rules: `example.com` exactly, `.example.com` the domain and
    /// its subdomains, `*` anything; no list at all allows anything.
    pub fn host_allowed(&self, host: &str) -> bool {
        if self.allowed_hosts.is_empty() || self.allowed_hosts.iter().any(|h| h == "*") {
            return true;
        }
        let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
        self.allowed_hosts
            .iter()
            .any(|allowed| match allowed.strip_prefix('.') {
                Some(domain) => name == domain || name.ends_with(allowed.as_str()),
                None => name == *allowed,
            })
    }

    /// CORS for the exact configured origins; never with credentials (the
    /// API uses bearer tokens, not cookies). Requests from other origins are
    /// served without CORS headers, so browsers keep their answers from the
    /// page; same-origin pages (the Swagger UI) keep working.
    pub fn cors(&self) -> Cors {
        let mut cors = Cors::default()
            .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
            .allowed_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::RETRY_AFTER,
                header::WWW_AUTHENTICATE,
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderName::from_static("x-ratelimit-reset"),
            ])
            .max_age(3600);
        for origin in &self.cors_allowed_origins {
            cors = cors.allowed_origin(origin);
        }
        cors
    }

    /// Whether a state-changing request from `origin` may proceed: the
    /// server's own origin, a CORS origin, or a CSRF-trusted one.
    fn origin_trusted(&self, origin: &str, host: Option<&str>) -> bool {
        let listed = |list: &[String]| list.iter().any(|allowed| allowed == origin);
        listed(&self.cors_allowed_origins)
            || listed(&self.csrf_trusted_origins)
            || url::Url::parse(origin).ok().is_some_and(|url| {
                let authority = match (url.host_str(), url.port()) {
                    (Some(name), Some(port)) => format!("{name}:{port}"),
                    (Some(name), None) => name.to_owned(),
                    (None, _) => return false,
                };
                host.is_some_and(|host| {
                    host.eq_ignore_ascii_case(&authority)
                        || strip_port(host).eq_ignore_ascii_case(&authority)
                })
            })
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:8000
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The `Host` the client asked for (the URI's authority in HTTP/2).
fn requested_host(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
}

const NOSNIFF: (HeaderName, HeaderValue) = (
    header::X_CONTENT_TYPE_OPTIONS,
    HeaderValue::from_static("nosniff"),
);

fn secure(headers: &mut HeaderMap, hsts: bool) {
    let (name, value) = NOSNIFF;
    headers.insert(name, value);
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_XSS_PROTECTION,
        HeaderValue::from_static("1; mode=block"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    // API answers are per caller: never cached. A handler that means to be
    // cached (served media) says so itself.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // No version banner.
    headers.remove(header::SERVER);
}

/// Outermost: the security headers on every response, the ones rendered
/// from errors included (through the error's response mapper).
pub async fn security_headers(
    policy: Arc<HttpPolicy>,
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let hsts = policy.hsts;
    match next.call(req).await {
        Ok(mut response) => {
            secure(response.headers_mut(), hsts);
            Ok(response.map_into_boxed_body())
        }
        Err(mut error) => {
            error.add_response_mapper(move |mut response| {
                secure(response.headers_mut(), hsts);
                response
            });
            Err(error)
        }
    }
}

/// `ALLOWED_HOSTS`: 400 for any other `Host`. Health endpoints are exempt,
/// because load balancers and container health checks probe by IP address.
pub async fn allowed_hosts(
    policy: Arc<HttpPolicy>,
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let exempt = req.path() == "/health" || req.path().starts_with("/health/");
    if !exempt && !requested_host(&req).is_some_and(|host| policy.host_allowed(&host)) {
        let error = ApiError::from(FieldErrors::single(
            "host",
            "This host is not allowed (ALLOWED_HOSTS).",
        ));
        return Ok(req.into_response(error.error_response()));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// State-changing requests that carry an `Origin` must come from the
/// server's own origin, a CORS origin or a `CSRF_TRUSTED_ORIGINS` entry;
/// anything else is 403. Clients that send no `Origin` (non-browser clients)
/// are not affected: the API authenticates with bearer tokens, not cookies.
pub async fn trusted_origins(
    policy: Arc<HttpPolicy>,
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if !safe && let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = requested_host(&req);
        let trusted = origin
            .to_str()
            .is_ok_and(|origin| policy.origin_trusted(origin, host.as_deref()));
        if !trusted {
            let error = ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "forbidden",
                "Origin not trusted (CORS_ALLOWED_ORIGINS, CSRF_TRUSTED_ORIGINS).",
            );
            return Ok(req.into_response(error.error_response()));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(hosts: &[&str]) -> HttpPolicy {
        HttpPolicy {
            allowed_hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            cors_allowed_origins: vec!["https://app.example.com".into()],
            csrf_trusted_origins: vec!["https://admin.example.com".into()],
            ..HttpPolicy::default()
        }
    }

    #[actix_web::test]
    async fn a_panic_answers_with_the_security_headers_too() {
        use actix_web::middleware::{Next, from_fn};
        use actix_web::{App, HttpResponse, test, web};

        use crate::http::middleware::{catch_panic, error_shape};

        async fn boom() -> HttpResponse {
            panic!("handler bug")
        }
        let policy = Arc::new(HttpPolicy {
            hsts: true,
            ..HttpPolicy::default()
        });
        let app = test::init_service(
            App::new()
                .wrap(from_fn(move |req, next: Next<_>| {
                    security_headers(policy.clone(), req, |req| {
                        error_shape(req, |req| catch_panic(req, move |req| next.call(req)))
                    })
                }))
                .route("/boom", web::get().to(boom)),
        )
        .await;
        let request = test::TestRequest::get().uri("/boom").to_request();
        let error = test::try_call_service(&app, request).await.unwrap_err();
        // The dispatcher renders the error like this.
        let response = error.error_response();
        assert_eq!(response.status().as_u16(), 500);
        let headers = response.headers();
        assert_eq!(headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
        assert_eq!(
            headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
        assert!(headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn hosts_match_like_django() {
        assert!(policy(&[]).host_allowed("anything:8000"));
        assert!(policy(&["*"]).host_allowed("anything"));
        let p = policy(&["api.example.com", ".example.org"]);
        assert!(p.host_allowed("api.example.com"));
        assert!(p.host_allowed("API.example.com:8443"));
        assert!(p.host_allowed("example.org"));
        assert!(p.host_allowed("x.y.example.org"));
        assert!(!p.host_allowed("evil.com"));
        assert!(!p.host_allowed("notexample.org"));
        assert!(!p.host_allowed("api.example.com.evil.com"));
        assert!(policy(&["::1"]).host_allowed("[::1]:8000"));
    }

    #[test]
    fn origins_are_trusted_when_listed_or_same_origin() {
        let p = policy(&[]);
        assert!(p.origin_trusted("https://app.example.com", None));
        assert!(p.origin_trusted("https://admin.example.com", None));
        assert!(p.origin_trusted("http://127.0.0.1:8000", Some("127.0.0.1:8000")));
        assert!(p.origin_trusted("https://api.example.com", Some("api.example.com")));
        assert!(!p.origin_trusted("https://evil.example", Some("api.example.com")));
        assert!(!p.origin_trusted("null", Some("api.example.com")));
        assert!(!p.origin_trusted("http://127.0.0.1:9", Some("127.0.0.1:8000")));
    }
}
