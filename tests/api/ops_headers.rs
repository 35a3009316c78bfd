//! Security headers on every response (contract §8), CORS for exactly the
//! configured origins, the origin check of state-changing requests,
//! `ALLOWED_HOSTS`, request ids, and `/health/status/`.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed step is a failed test"
)]

use gatherhub_e2e::{TestApp, expect_status};
use gatherhub_server::Settings;
use gatherhub_server::config::DatabaseUrl;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

const ALLOWED: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example";

fn settings() -> Settings {
    Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Memory,
        rate_limit_enabled: false,
        cors_allowed_origins: vec![ALLOWED.into()],
        ..Settings::default()
    }
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().unwrap())
}

fn assert_secured(response: &Response, hsts: bool) {
    let what = format!("{} {}", response.status(), response.url().path());
    assert_eq!(
        header(response, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(response, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        header(response, "x-xss-protection"),
        Some("1; mode=block"),
        "{what}"
    );
    assert_eq!(
        header(response, "referrer-policy"),
        Some("strict-origin-when-cross-origin"),
        "{what}"
    );
    assert_eq!(
        header(response, "cache-control"),
        Some("no-store"),
        "{what}"
    );
    assert!(header(response, "server").is_none(), "no banner: {what}");
    let expected = hsts.then_some("max-age=31536000; includeSubDomains");
    assert_eq!(
        header(response, "strict-transport-security"),
        expected,
        "{what}"
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn_with(settings()).await;
    let user = app.register("secured").await;
    let responses = [
        app.get("/health/", None).await,
        app.get("/health/ready/", None).await,
        app.get("/api/v1/events/", Some(&user.access)).await,
        app.get("/api/schema/", None).await,
        // errors: ours and the framework's
        app.get("/nope", None).await,
        app.get("/api/v1/events/", Some("bad-token")).await,
        app.request(Method::DELETE, "/health/", None, None).await,
        app.client
            .post(app.url("/api/v1/auth/login/"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
        app.client
            .post(app.url("/api/v1/auth/login/"))
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap(),
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 404, 401, 405, 400, 415]);
    for response in &responses {
        // Not in debug mode: HSTS too.
        assert_secured(response, true);
    }
}

#[tokio::test]
async fn debug_mode_sends_no_hsts() {
    let app = TestApp::spawn_with(Settings {
        debug: true,
        ..settings()
    })
    .await;
    assert_secured(&app.get("/health/", None).await, false);
    assert_secured(&app.get("/nope", None).await, false);
}

async fn with_origin(app: &TestApp, method: Method, path: &str, origin: &str) -> Response {
    app.client
        .request(method, app.url(path))
        .header("Origin", origin)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_answers_exactly_the_configured_origins() {
    let app = TestApp::spawn_with(settings()).await;
    let response = with_origin(&app, Method::GET, "/api/v1/events/", ALLOWED).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert!(header(&response, "vary").unwrap().contains("Origin"));
    assert!(header(&response, "access-control-allow-credentials").is_none());
    let exposed = header(&response, "access-control-expose-headers").unwrap();
    assert!(exposed.contains("x-ratelimit-remaining"), "{exposed}");

    // The evil origin gets no CORS headers: its page cannot read the answer.
    let response = with_origin(&app, Method::GET, "/api/v1/events/", EVIL).await;
    assert!(header(&response, "access-control-allow-origin").is_none());
    let response = with_origin(
        &app,
        Method::GET,
        "/api/v1/events/",
        "https://app.example.com.evil.example",
    )
    .await;
    assert!(header(&response, "access-control-allow-origin").is_none());

    // Preflight.
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/events/"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
            .send()
    };
    let response = preflight(ALLOWED).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert!(
        header(&response, "access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(header(&response, "access-control-allow-credentials").is_none());
    assert_secured(&response, true);
    let response = preflight(EVIL).await.unwrap();
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert!(response.status().is_client_error());
    assert_secured(&response, true);
}

#[tokio::test]
async fn state_changes_from_untrusted_origins_are_refused() {
    let app = TestApp::spawn_with(Settings {
        csrf_trusted_origins: vec!["https://admin.example.com".into()],
        ..settings()
    })
    .await;
    let login = |origin: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/auth/login/"))
            .json(&json!({"username": "nobody", "password": "not-the-password"}));
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        request.send()
    };
    let response = login(Some(EVIL.into())).await.unwrap();
    gatherhub_e2e::expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = login(Some("null".into())).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Trusted: a CORS origin, a CSRF-trusted origin, the server's own
    // origin, or no Origin at all (not a browser).
    let own = app.address.clone();
    for origin in [
        Some(ALLOWED.into()),
        Some("https://admin.example.com".into()),
        Some(own),
        None,
    ] {
        let response = login(origin.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{origin:?}");
    }
    // Reading is not a state change.
    let response = with_origin(&app, Method::GET, "/api/v1/events/", EVIL).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn allowed_hosts_refuses_other_hosts_but_not_health_probes() {
    let app = TestApp::spawn_with(Settings {
        allowed_hosts: vec!["api.example.com".into(), ".example.org".into()],
        ..settings()
    })
    .await;
    let get = |path: &'static str, host: &'static str| {
        app.client.get(app.url(path)).header("Host", host).send()
    };
    let response = get("/api/v1/events/", "evil.example").await.unwrap();
    assert_secured(&response, true);
    let body = expect_status(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "validation_error");
    assert!(body["details"]["host"].is_array(), "{body}");
    // The address the test connects to is not listed either.
    assert_eq!(
        app.get("/api/v1/events/", None).await.status(),
        StatusCode::BAD_REQUEST
    );
    for host in [
        "api.example.com",
        "api.example.com:8443",
        "example.org",
        "eu.example.org",
    ] {
        let response = get("/api/v1/events/", host).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
    assert_eq!(
        get("/health/ready/", "10.0.0.7:8000")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn request_ids_are_echoed_when_sane_and_made_otherwise() {
    let app = TestApp::spawn_with(settings()).await;
    let with_id = |id: &'static str| {
        app.client
            .get(app.url("/health/"))
            .header("X-Request-Id", id)
            .send()
    };
    let response = with_id("lb-7f3a.42_x").await.unwrap();
    assert_eq!(header(&response, "x-request-id"), Some("lb-7f3a.42_x"));
    for insane in [
        "has space",
        "quote\"d",
        "a-very-long-id-0123456789012345678901234567890123456789012345678901234567890",
    ] {
        let response = with_id(insane).await.unwrap();
        let id = header(&response, "x-request-id").unwrap();
        assert_ne!(id, insane);
        assert_eq!(id.len(), 32, "a fresh id: {id}");
    }
    let response = app.get("/nope", None).await;
    assert_eq!(header(&response, "x-request-id").unwrap().len(), 32);
}

#[tokio::test]
async fn status_reports_the_instance_without_anything_sensitive() {
    let app = TestApp::spawn_with(settings()).await;
    let response = app.get("/health/status/", None).await;
    assert_secured(&response, true);
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["environment"], "development");
    assert!(body["uptime_seconds"].is_u64());
    assert_eq!(body["database"]["backend"], "memory");
    assert_eq!(body["redis"], "not_configured");
    assert_eq!(body["websockets"]["open_connections"], 0);
    assert_eq!(body["shutting_down"], false);
    assert!(
        body["checks"]["database"]["latency_ms"].is_number(),
        "{body}"
    );
    assert_eq!(
        app.request(Method::POST, "/health/status/", None, None)
            .await
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
}
