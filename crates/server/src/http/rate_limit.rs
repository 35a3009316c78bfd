//! Rate limits (contract §8) with actix-governor: auth endpoints per client
//! IP, the general API per user (per client IP when anonymous), avatar
//! uploads per user. Each request belongs to exactly one class; health,
//! documentation, media and WebSocket paths belong to none.
//!
//! One actix-governor limiter per class, each keyed by [`ClientKey`] (a
//! `KeyExtractor`), checked by one middleware that knows the class of the
//! request. actix-governor's own `Governor` middleware is not used: its
//! header variant needs an `Unpin` inner future, which `App::wrap`'s opaque
//! services do not promise, and it has no reset header. The limiters are
//! built once, before the `HttpServer` factory, so every worker shares them
//! (STACK.md pitfall 9).
//! They live in this process: with N instances behind a load balancer a
//! client may get up to N times each quota (README, "Rate limits").
//!
//! Governor is a GCRA: a quota of `n/period` is a burst of `n` that refills
//! one request every `period/n`. `X-RateLimit-Reset` is when the burst is
//! whole again; `Retry-After` when the next request will pass.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::StateInformationMiddleware;
use actix_governor::{GovernorConfigBuilder, KeyExtractor};
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::{Error, HttpResponse, HttpResponseBuilder, ResponseError};
use gatherhub_ports::{TokenIssuer, TokenKind};

use super::ApiError;
use super::client_ip::TrustedProxies;
use super::middleware::Chain;
use crate::config::{RateLimit, RateLimits};

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Which quota a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Auth,
    Api,
    Upload,
}

/// The class of `method path`, or `None` for what is never limited.
pub fn classify(method: &Method, path: &str) -> Option<Class> {
    // Route as the router does: `//` and a trailing `/` change nothing.
    let mut normal = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        normal.push('/');
        normal.push_str(segment);
    }
    let rest = normal.strip_prefix("/api/v1")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(match rest {
        "/auth/register" | "/auth/login" | "/auth/refresh" => Class::Auth,
        "/auth/profile/avatar" if method == Method::PUT => Class::Upload,
        _ => Class::Api,
    })
}

/// A bucket: a user, a client address, or none (another class's request).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BucketKey {
    Exempt,
    Ip(std::net::IpAddr),
    User(i64),
}

/// Keys one class's requests: by client IP for auth, by the user of a valid
/// access token otherwise (by client IP when there is none, or it is invalid,
/// so that made-up tokens cannot mint fresh buckets).
#[derive(Clone)]
pub struct ClientKey {
    class: Class,
    quota: RateLimit,
    proxies: Arc<TrustedProxies>,
    tokens: Arc<dyn TokenIssuer>,
}

impl ClientKey {
    fn user(&self, headers: &HeaderMap) -> Option<i64> {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let claims = self.tokens.verify(token.trim(), TokenKind::Access).ok()?;
        Some(claims.user_id.get())
    }
}

impl KeyExtractor for ClientKey {
    type Key = BucketKey;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<BucketKey, ApiError> {
        if classify(req.method(), req.path()) != Some(self.class) {
            return Ok(BucketKey::Exempt);
        }
        let user = match self.class {
            Class::Auth => None,
            Class::Api | Class::Upload => self.user(req.headers()),
        };
        Ok(user.map_or_else(
            || {
                let peer = req.peer_addr().map(|address| address.ip());
                BucketKey::Ip(self.proxies.client_ip(peer, req.headers()))
            },
            BucketKey::User,
        ))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        // Round up: "0 seconds" would invite an immediate, futile retry.
        let seconds = ceil_secs(wait).max(1);
        let full = wait + self.quota.replenish_interval() * (self.quota.requests - 1);
        response.insert_header((RETRY_AFTER, seconds));
        response.insert_header((RESET, unix_after(full)));
        let mut rendered = ApiError::rate_limited(seconds).error_response();
        // Keep the limit headers the builder carries, on the contract's body.
        let built = response.finish();
        for (name, value) in built.headers() {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
        rendered
    }

    fn whitelisted_keys(&self) -> Vec<BucketKey> {
        vec![BucketKey::Exempt]
    }
}

type Governed = actix_governor::governor::RateLimiter<
    BucketKey,
    actix_governor::governor::state::keyed::DefaultKeyedStateStore<BucketKey>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// One class's limiter and the way it keys requests.
#[derive(Clone)]
pub struct Limiter {
    key: ClientKey,
    limiter: Arc<Governed>,
}

/// The three limiters, built once per process.
#[derive(Clone)]
pub struct RateLimiters {
    pub enabled: bool,
    auth: Limiter,
    api: Limiter,
    upload: Limiter,
}

impl RateLimiters {
    pub fn new(
        enabled: bool,
        quotas: RateLimits,
        proxies: Arc<TrustedProxies>,
        tokens: Arc<dyn TokenIssuer>,
    ) -> Result<Self, String> {
        let build = |class: Class, quota: RateLimit| {
            let key = ClientKey {
                class,
                quota,
                proxies: proxies.clone(),
                tokens: tokens.clone(),
            };
            let config = GovernorConfigBuilder::default()
                .period(quota.replenish_interval())
                .burst_size(quota.requests)
                .key_extractor(key.clone())
                .use_headers()
                .finish()
                .ok_or_else(|| format!("rate limit {quota:?} is empty"))?;
            Ok::<_, String>(Limiter {
                key,
                limiter: config.limiter(),
            })
        };
        Ok(Self {
            enabled,
            auth: build(Class::Auth, quotas.auth)?,
            api: build(Class::Api, quotas.api)?,
            upload: build(Class::Upload, quotas.upload)?,
        })
    }

    fn limiter(&self, class: Class) -> &Limiter {
        match class {
            Class::Auth => &self.auth,
            Class::Api => &self.api,
            Class::Upload => &self.upload,
        }
    }

    /// Forgets buckets that have refilled, every `every`, for as long as the
    /// limiters live (the state grows with the number of keys otherwise).
    pub fn spawn_housekeeping(&self, every: Duration) {
        let limiters: Vec<Weak<Governed>> = [&self.auth, &self.api, &self.upload]
            .iter()
            .map(|limiter| Arc::downgrade(&limiter.limiter))
            .collect();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let mut alive = false;
                for limiter in limiters.iter().filter_map(Weak::upgrade) {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                    alive = true;
                }
                if !alive {
                    break;
                }
            }
        });
    }
}

/// Counts the request against its class's quota: over it, 429
/// `rate_limited`; within it, the handler's answer. Either way with
/// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`.
pub async fn rate_limit(
    limiters: Arc<RateLimiters>,
    req: ServiceRequest,
    next: impl Chain,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let class = limiters
        .enabled
        .then(|| classify(req.method(), req.path()))
        .flatten();
    let Some(class) = class else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let Limiter { key, limiter } = limiters.limiter(class);
    let bucket = key.extract(&req)?;
    let quota = key.quota;
    match limiter.check_key(&bucket) {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            let used = quota.requests.saturating_sub(remaining);
            let reset = unix_after(quota.replenish_interval() * used);
            let stamp = move |headers: &mut HeaderMap| {
                headers.insert(LIMIT, HeaderValue::from(quota.requests));
                headers.insert(REMAINING, HeaderValue::from(remaining));
                headers.insert(RESET, HeaderValue::from(reset));
            };
            match next.call(req).await {
                Ok(mut response) => {
                    stamp(response.headers_mut());
                    Ok(response.map_into_boxed_body())
                }
                Err(mut error) => {
                    error.add_response_mapper(move |mut response| {
                        stamp(response.headers_mut());
                        response
                    });
                    Err(error)
                }
            }
        }
        Err(negative) => {
            let mut builder = HttpResponse::TooManyRequests();
            builder.insert_header((LIMIT, quota.requests));
            builder.insert_header((REMAINING, 0));
            let response = key.exceed_rate_limit_response(&negative, builder);
            Ok(req.into_response(response))
        }
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// Unix time, in whole seconds rounded up, `after` from now.
fn unix_after(after: Duration) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    ceil_secs(now + after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_exactly_one_class() {
        let post = Method::POST;
        assert_eq!(classify(&post, "/api/v1/auth/login/"), Some(Class::Auth));
        assert_eq!(classify(&post, "/api/v1/auth/login"), Some(Class::Auth));
        assert_eq!(classify(&post, "/api/v1//auth//login/"), Some(Class::Auth));
        assert_eq!(classify(&post, "/api/v1/auth/register/"), Some(Class::Auth));
        assert_eq!(classify(&post, "/api/v1/auth/refresh/"), Some(Class::Auth));
        assert_eq!(classify(&post, "/api/v1/auth/logout/"), Some(Class::Api));
        assert_eq!(
            classify(&Method::PUT, "/api/v1/auth/profile/avatar/"),
            Some(Class::Upload)
        );
        assert_eq!(
            classify(&Method::DELETE, "/api/v1/auth/profile/avatar/"),
            Some(Class::Api)
        );
        assert_eq!(classify(&Method::GET, "/api/v1/events/"), Some(Class::Api));
        assert_eq!(classify(&Method::GET, "/api/v1"), Some(Class::Api));
        for free in [
            "/health/",
            "/health/ready/",
            "/api/docs/",
            "/api/schema/",
            "/ws/events/",
            "/media/avatars/a.png",
            "/api/v10/x",
        ] {
            assert_eq!(classify(&Method::GET, free), None, "{free}");
        }
    }

    #[test]
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
    }
}
