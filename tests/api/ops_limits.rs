//! Rate limits (contract §8), with limits switched on and made small: the
//! headers count down, the excess is 429 `rate_limited` with `Retry-After`,
//! the quota comes back after the window, a forged `X-Forwarded-For` keeps a
//! client in its bucket, the API is limited per user, uploads have their own
//! quota, and health endpoints are never limited.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed step is a failed test"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gatherhub_e2e::{TestApp, expect_error};
use gatherhub_server::Settings;
use gatherhub_server::config::{DatabaseUrl, IpNet, RateLimit, RateLimits};
use reqwest::{Response, StatusCode};
use serde_json::json;

/// An in-memory app with rate limits on and these quotas.
pub async fn limited_app(auth: &str, api: &str, upload: &str, proxies: &str) -> TestApp {
    let settings = Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Memory,
        rate_limit_enabled: true,
        rate_limits: RateLimits {
            auth: RateLimit::parse("auth", auth).unwrap(),
            api: RateLimit::parse("api", api).unwrap(),
            upload: RateLimit::parse("upload", upload).unwrap(),
        },
        trusted_proxies: proxies
            .split(',')
            .filter(|proxy| !proxy.is_empty())
            .map(|proxy| proxy.parse::<IpNet>().unwrap())
            .collect(),
        ..Settings::default()
    };
    TestApp::spawn_with(settings).await
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

fn number(response: &Response, name: &str) -> u64 {
    header(response, name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .parse()
        .unwrap()
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A cheap auth request: refreshing a made-up token (401, no hashing).
async fn refresh(app: &TestApp, forwarded_for: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/refresh/"))
        .json(&json!({"refresh": "not-a-token"}));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("X-Forwarded-For", forwarded_for);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn auth_headers_count_down_then_429_with_retry_after() {
    let app = limited_app("3/minute", "100/minute", "10/minute", "").await;
    for expected in [2, 1, 0] {
        let response = refresh(&app, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(number(&response, "x-ratelimit-limit"), 3);
        assert_eq!(number(&response, "x-ratelimit-remaining"), expected);
        let reset = number(&response, "x-ratelimit-reset");
        // Unix seconds, within the one-minute window.
        assert!(reset >= now_unix() && reset <= now_unix() + 61, "{reset}");
    }
    let response = refresh(&app, None).await;
    let retry_after = number(&response, "retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(number(&response, "x-ratelimit-limit"), 3);
    assert_eq!(number(&response, "x-ratelimit-remaining"), 0);
    assert!(number(&response, "x-ratelimit-reset") >= now_unix() + retry_after - 1);
    let body = expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(
        body["detail"],
        format!("Expected available in {retry_after} seconds.")
    );
    // Login and register share the auth bucket of this client.
    let response = app
        .post(
            "/api/v1/auth/login/",
            &json!({"username": "nobody", "password": "whatever-password"}),
            None,
        )
        .await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn the_quota_comes_back_after_the_announced_wait() {
    let app = limited_app("2/2s", "100/minute", "10/minute", "").await;
    for _ in 0..2 {
        assert_eq!(refresh(&app, None).await.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = refresh(&app, None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = number(&limited, "retry-after");
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    let response = refresh(&app, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "served again");
}

#[tokio::test]
async fn a_forged_x_forwarded_for_stays_in_the_same_bucket() {
    let app = limited_app("2/minute", "100/minute", "10/minute", "").await;
    assert_eq!(
        refresh(&app, Some("198.51.100.1")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, Some("198.51.100.2")).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = refresh(&app, Some("203.0.113.77, 198.51.100.3")).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn a_trusted_proxy_forwards_each_client_to_its_own_bucket() {
    // The test client connects from 127.0.0.1: make it a trusted proxy.
    let app = limited_app("1/minute", "100/minute", "10/minute", "127.0.0.1/32").await;
    for client in ["198.51.100.1", "198.51.100.2", "10.9.9.9, 198.51.100.3"] {
        let response = refresh(&app, Some(client)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{client}");
        assert_eq!(number(&response, "x-ratelimit-remaining"), 0);
    }
    let response = refresh(&app, Some("198.51.100.1")).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn the_api_is_limited_per_user_and_per_ip_when_anonymous() {
    let app = limited_app("100/minute", "3/minute", "10/minute", "").await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for expected in [2, 1, 0] {
        let response = app.get("/api/v1/events/", Some(&alice.access)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(number(&response, "x-ratelimit-remaining"), expected);
    }
    let response = app.get("/api/v1/events/", Some(&alice.access)).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Other routes of the API share alice's bucket.
    let response = app.get("/api/v1/auth/profile/", Some(&alice.access)).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Bob, and anonymous callers from the same address, have their own.
    let response = app.get("/api/v1/events/", Some(&bob.access)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(number(&response, "x-ratelimit-remaining"), 2);
    let response = app.get("/api/v1/events/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(number(&response, "x-ratelimit-remaining"), 2);
    // A made-up token does not buy a fresh bucket: it counts as the address.
    let response = app.get("/api/v1/events/", Some("made.up.token")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(number(&response, "x-ratelimit-remaining"), 1);
}

#[tokio::test]
async fn uploads_have_their_own_quota_per_user() {
    let app = limited_app("100/minute", "100/minute", "2/minute", "").await;
    let alice = app.register("uploader").await;
    let put = || {
        app.client
            .put(app.url("/api/v1/auth/profile/avatar/"))
            .bearer_auth(&alice.access)
            .body("not multipart")
            .send()
    };
    for expected in [1, 0] {
        let response = put().await.unwrap();
        assert_ne!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(number(&response, "x-ratelimit-limit"), 2);
        assert_eq!(number(&response, "x-ratelimit-remaining"), expected);
    }
    let response = put().await.unwrap();
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // The general API quota is untouched by uploads.
    let response = app.get("/api/v1/auth/profile/", Some(&alice.access)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(number(&response, "x-ratelimit-limit"), 100);
}

#[tokio::test]
async fn health_and_docs_are_never_limited() {
    let app = limited_app("1/minute", "1/minute", "1/minute", "").await;
    for _ in 0..4 {
        for path in [
            "/health/",
            "/health/live/",
            "/health/ready/",
            "/health/status/",
            "/api/schema/",
        ] {
            let response = app.get(path, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert!(header(&response, "x-ratelimit-limit").is_none(), "{path}");
        }
    }
}

#[tokio::test]
async fn switched_off_limits_neither_count_nor_answer_429() {
    let app = TestApp::spawn().await;
    for _ in 0..8 {
        let response = refresh(&app, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(header(&response, "x-ratelimit-limit").is_none());
    }
}
