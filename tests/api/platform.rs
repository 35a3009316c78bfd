//! The platform's own behaviour: the error shape of framework errors, trailing
//! slashes, health endpoints and the served documentation.

use gatherhub_e2e::{TestApp, expect_error, expect_status};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn unknown_routes_answer_404_in_the_contract_shape() {
    let app = TestApp::spawn().await;
    for path in [
        "/nope",
        "/api/v1/nope/",
        "/api/v1/events/abc/",
        "/health/nope/",
    ] {
        expect_error(
            app.get(path, None).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn wrong_methods_answer_405_with_allow() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::DELETE, "/health/", None, None).await;
    assert_eq!(response.headers()["allow"], "GET");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let response = app
        .request(Method::PUT, "/api/v1/events/", Some(&json!({})), None)
        .await;
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn paths_without_the_final_slash_are_served_identically() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/health/live", "/api/v1/events"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers().get("location").is_none(),
            "no redirect for {path}"
        );
    }
    let user = app.register("slashless").await;
    let response = app
        .post(
            "/api/v1/auth/login",
            &json!({"username": "slashless", "password": user.password}),
            None,
        )
        .await;
    expect_status(response, StatusCode::OK).await;
}

#[tokio::test]
async fn bodies_must_be_json_within_64_kib() {
    let app = TestApp::spawn().await;
    let user = app.register("bodies").await;
    let url = app.url("/api/v1/events/");
    let send = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&user.access)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = send(br#"{"title": "x"}"#.to_vec(), "text/plain")
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let response = send(b"{\"title\": ".to_vec(), "application/json")
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_json").await;
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(65 * 1024));
    let response = send(big.into_bytes(), "application/json").await.unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let response = send(
        br#"{"title": 12, "date": "tomorrow"}"#.to_vec(),
        "application/json",
    )
    .await
    .unwrap();
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert!(body["details"].as_object().unwrap().len() == 1, "{body}");
    // Nothing was created by any of these.
    let list = expect_status(
        app.get("/api/v1/events/", Some(&user.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["count"], 0);
}

#[tokio::test]
async fn health_endpoints_are_open_and_never_cached() {
    let app = TestApp::spawn().await;
    for (path, status) in [
        ("/health/", "healthy"),
        ("/health/live/", "alive"),
        ("/health/ready/", "healthy"),
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        let body = expect_status(response, StatusCode::OK).await;
        assert_eq!(body["status"], status, "{path}");
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let health = expect_status(app.get("/health/", None).await, StatusCode::OK).await;
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    let ready = expect_status(app.get("/health/ready/", None).await, StatusCode::OK).await;
    assert_eq!(ready["checks"]["database"]["status"], "healthy");
    assert!(ready["checks"]["database"]["latency_ms"].is_number());
    assert_eq!(ready["checks"]["redis"]["status"], "not_configured");
}

#[tokio::test]
async fn documentation_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let schema = expect_status(app.get("/api/schema/", None).await, StatusCode::OK).await;
    assert!(schema["openapi"].as_str().unwrap().starts_with("3."));
    assert!(schema["paths"]["/api/v1/events/{id}/join/"]["post"].is_object());
    assert!(schema["components"]["securitySchemes"]["bearer"].is_object());
    // The whole document, rendered once at startup.
    let document = serde_json::to_value(gatherhub_server::openapi::document()).unwrap();
    assert_eq!(schema, document);
    // Another method: 405 with `Allow`, in the contract's error shape.
    let wrong = app.delete("/api/schema/", None).await;
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.headers()["allow"], "GET");
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "method_not_allowed");

    let docs = app.get("/api/docs/", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
    // Swagger UI loads the schema from its URL.
    let init = app.get("/api/docs/swagger-initializer.js", None).await;
    assert_eq!(init.status(), StatusCode::OK);
    assert!(init.text().await.unwrap().contains("\"/api/schema/\""));

    let redoc = app.get("/api/redoc/", None).await;
    assert_eq!(redoc.status(), StatusCode::OK);
    let page = redoc.text().await.unwrap();
    assert!(page.contains("/api/redoc/redoc.standalone.js") && page.contains("/api/schema/"));
    assert!(!page.contains("cdn."), "no CDN: the docs must work offline");
    let script = app.get("/api/redoc/redoc.standalone.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/javascript")
    );
    assert!(script.bytes().await.unwrap().len() > 500_000);
}
