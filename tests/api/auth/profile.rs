//! The own profile over HTTP: authentication required, editable fields,
//! email and password changes; plus the routes' 405s and their documentation.

use gatherhub_e2e::{PASSWORD, TestApp, expect_error, expect_status};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{PROFILE_KEYS, keys, login, profile, refresh};

#[tokio::test]
async fn the_profile_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/auth/profile/", None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    for method in [Method::PUT, Method::PATCH] {
        let response = app
            .request(
                method,
                "/api/v1/auth/profile/",
                Some(&json!({"bio": "x"})),
                None,
            )
            .await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = app
        .post("/api/v1/auth/change-password/", &json!({}), None)
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.get("/api/v1/auth/profile/", Some("not-a-token")).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
    // A bad token is refused on the anonymous routes too, never ignored.
    let response = app
        .post(
            "/api/v1/auth/login/",
            &json!({"username": "x", "password": "y"}),
            Some("not-a-token"),
        )
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
}

#[tokio::test]
async fn profile_updates_change_only_editable_fields() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let patch = json!({"bio": "Hello", "first_name": "Alice", "is_staff": true, "username": "mallory", "id": 7});
    let body = expect_status(
        app.patch("/api/v1/auth/profile/", &patch, Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(keys(&body), PROFILE_KEYS);
    assert_eq!(
        (body["bio"].as_str(), body["first_name"].as_str()),
        (Some("Hello"), Some("Alice"))
    );
    assert_eq!(
        (body["is_staff"].as_bool(), body["username"].as_str()),
        (Some(false), Some("alice"))
    );
    assert_eq!(body["id"], alice.id);
    assert_eq!(body["last_name"], "User", "absent fields keep their value");

    let put = json!({"last_name": "Liddell"});
    let body = expect_status(
        app.put("/api/v1/auth/profile/", &put, Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (body["last_name"].as_str(), body["bio"].as_str()),
        (Some("Liddell"), Some("Hello"))
    );

    let long = json!({"bio": "b".repeat(2001)});
    let body = expect_error(
        app.patch("/api/v1/auth/profile/", &long, Some(&alice.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(keys(&body["details"]), ["bio"]);
    let null = json!({"bio": null});
    let body = expect_error(
        app.patch("/api/v1/auth/profile/", &null, Some(&alice.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"bio": ["This field may not be null."]})
    );
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let path = "/api/v1/auth/profile/";
    let body = expect_error(
        app.patch(
            path,
            &json!({"email": "new@example.com"}),
            Some(&alice.access),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"current_password": ["This field is required when changing the email."]})
    );
    let wrong = json!({"email": "new@example.com", "current_password": "wrong-password-1"});
    let body = expect_error(
        app.patch(path, &wrong, Some(&alice.access)).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"current_password": ["Current password is incorrect."]})
    );
    let right = json!({"email": "new@example.com", "current_password": PASSWORD});
    let body = expect_status(
        app.patch(path, &right, Some(&alice.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["email"], "new@example.com");
    expect_status(
        login(&app, "new@example.com", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn changing_the_password_revokes_every_session_and_returns_a_new_pair() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let other = expect_status(login(&app, "alice", PASSWORD).await, StatusCode::OK).await;
    let path = "/api/v1/auth/change-password/";

    let weak = json!({"current_password": PASSWORD, "new_password": "alice123"});
    let body = expect_error(
        app.post(path, &weak, Some(&alice.access)).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(keys(&body["details"]), ["new_password"]);
    let wrong = json!({"current_password": "wrong-password-1", "new_password": "another-Horse-42"});
    let body = expect_error(
        app.post(path, &wrong, Some(&alice.access)).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"current_password": ["Current password is incorrect."]})
    );

    let change = json!({"current_password": PASSWORD, "new_password": "another-Horse-42"});
    let pair = expect_status(
        app.post(path, &change, Some(&alice.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(keys(&pair), ["access", "refresh"]);
    expect_error(
        profile(&app, &alice).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    let response = app
        .get("/api/v1/auth/profile/", other["access"].as_str())
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;
    expect_error(
        refresh(&app, &alice.refresh).await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;

    let response = app
        .get("/api/v1/auth/profile/", pair["access"].as_str())
        .await;
    expect_status(response, StatusCode::OK).await;
    expect_status(
        refresh(&app, pair["refresh"].as_str().unwrap()).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        login(&app, "alice", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    expect_status(
        login(&app, "alice", "another-Horse-42").await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn auth_routes_answer_other_methods_with_405() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/auth/register/",
        "/api/v1/auth/login/",
        "/api/v1/auth/refresh/",
        "/api/v1/auth/logout/",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.headers()["allow"], "POST", "{path}");
        expect_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
    let response = app.delete("/api/v1/auth/profile/", None).await;
    assert_eq!(response.headers()["allow"], "GET, PUT, PATCH");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn every_auth_route_is_documented() {
    let app = TestApp::spawn().await;
    let schema = expect_status(app.get("/api/schema/", None).await, StatusCode::OK).await;
    let paths = &schema["paths"];
    let expected = [
        ("/api/v1/auth/register/", "post", "register_user", "201"),
        ("/api/v1/auth/login/", "post", "login_user", "401"),
        ("/api/v1/auth/refresh/", "post", "refresh_token", "401"),
        ("/api/v1/auth/logout/", "post", "logout_user", "204"),
        ("/api/v1/auth/profile/", "get", "get_profile", "401"),
        ("/api/v1/auth/profile/", "put", "update_profile", "400"),
        (
            "/api/v1/auth/profile/",
            "patch",
            "partial_update_profile",
            "415",
        ),
        (
            "/api/v1/auth/change-password/",
            "post",
            "change_password",
            "400",
        ),
    ];
    for (path, method, operation, status) in expected {
        let operation_doc = &paths[path][method];
        assert_eq!(operation_doc["operationId"], operation, "{method} {path}");
        assert!(
            operation_doc["responses"][status].is_object(),
            "{operation} documents {status}"
        );
    }
    let register = &schema["components"]["schemas"]["RegisterRequest"];
    let required: Vec<&str> = register["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["username", "email", "password"]);
    let profile = &schema["components"]["schemas"]["ProfileDto"];
    assert_eq!(
        profile["required"].as_array().unwrap().len(),
        PROFILE_KEYS.len(),
        "{profile}"
    );
}
