//! Accounts and authentication over HTTP: registration and login here,
//! tokens and sessions in `tokens`, the own profile in `profile`; all in the
//! contract's exact shapes.

mod profile;
mod tokens;

use gatherhub_e2e::{PASSWORD, TestApp, TestUser, expect_error, expect_status};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const PROFILE_KEYS: [&str; 10] = [
    "avatar_url",
    "bio",
    "date_joined",
    "email",
    "first_name",
    "id",
    "is_staff",
    "last_login",
    "last_name",
    "username",
];

pub fn keys(value: &Value) -> Vec<&str> {
    // A non-object yields no keys, which no expected key list matches.
    let mut keys: Vec<&str> = value
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

pub async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/login/",
        &json!({"username": username, "password": password}),
        None,
    )
    .await
}

pub async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/auth/refresh/", &json!({"refresh": token}), None)
        .await
}

pub async fn profile(app: &TestApp, user: &TestUser) -> reqwest::Response {
    app.get("/api/v1/auth/profile/", Some(&user.access)).await
}
#[tokio::test]
async fn register_answers_201_with_the_profile_and_tokens() {
    let app = TestApp::spawn().await;
    let body = json!({"username": "newuser", "email": "NewUser@Example.COM", "password": PASSWORD,
        "first_name": "John", "last_name": "Doe", "is_staff": true, "id": 99});
    let body = expect_status(
        app.post("/api/v1/auth/register/", &body, None).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(keys(&body), ["access", "refresh", "user"]);
    let user = &body["user"];
    assert_eq!(keys(user), PROFILE_KEYS);
    assert_eq!(user["username"], "newuser");
    assert_eq!(user["email"], "NewUser@example.com");
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("John"), Some("Doe"))
    );
    assert_eq!(user["is_staff"], false, "read-only fields are ignored");
    assert_ne!(user["id"], 99);
    assert_eq!(user["bio"], "");
    assert_eq!(user["avatar_url"], Value::Null);
    for time in ["date_joined", "last_login"] {
        let text = user[time].as_str().expect(time);
        assert!(text.ends_with('Z'), "{time}: {text}");
    }
    let access = body["access"].as_str().unwrap();
    let me = expect_status(
        app.get("/api/v1/auth/profile/", Some(access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(&me, user);
}

#[tokio::test]
async fn register_reports_field_errors_in_the_contract_shape() {
    let app = TestApp::spawn().await;
    let response = app.post("/api/v1/auth/register/", &json!({}), None).await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    let required = json!(["This field is required."]);
    assert_eq!(
        body["details"],
        json!({"username": required, "email": required, "password": required})
    );

    let bad = json!({"username": "a b", "email": "nope", "password": "12345678", "last_name": "x".repeat(151)});
    let body = expect_error(
        app.post("/api/v1/auth/register/", &bad, None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        keys(&body["details"]),
        ["email", "last_name", "password", "username"]
    );
    let password: Vec<&str> = body["details"]["password"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        password.contains(&"This password is entirely numeric."),
        "{password:?}"
    );

    let null = json!({"username": "nullname", "email": "nullname@example.com", "password": PASSWORD, "first_name": null});
    let body = expect_error(
        app.post("/api/v1/auth/register/", &null, None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"first_name": ["This field may not be null."]})
    );

    let typed = json!({"username": 5, "email": "typed@example.com", "password": PASSWORD});
    let body = expect_error(
        app.post("/api/v1/auth/register/", &typed, None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(keys(&body["details"]), ["username"]);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_ignoring_case() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let taken = json!({"username": "ALICE", "email": "other@example.com", "password": PASSWORD});
    let body = expect_error(
        app.post("/api/v1/auth/register/", &taken, None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"username": ["A user with that username already exists."]})
    );
    let taken = json!({"username": "alice2", "email": "ALICE@example.com", "password": PASSWORD});
    let body = expect_error(
        app.post("/api/v1/auth/register/", &taken, None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"email": ["A user with that email already exists."]})
    );
}

#[tokio::test]
async fn login_by_username_or_email_answers_access_refresh_and_user() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for name in ["alice", "Alice", "alice@example.com"] {
        let body = expect_status(login(&app, name, PASSWORD).await, StatusCode::OK).await;
        assert_eq!(keys(&body), ["access", "refresh", "user"]);
        assert_eq!(body["user"]["id"], alice.id);
        assert_eq!(body["user"]["username"], "alice");
        assert_eq!(body["user"]["email"], "alice@example.com");
        assert_eq!(keys(&body["user"]), PROFILE_KEYS);
        let access = body["access"].as_str().unwrap();
        expect_status(
            app.get("/api/v1/auth/profile/", Some(access)).await,
            StatusCode::OK,
        )
        .await;
    }
}

#[tokio::test]
async fn login_failures_are_uniform() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let unknown = expect_error(
        login(&app, "nobody", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let wrong = expect_error(
        login(&app, "alice", "wrong-password-1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(unknown["message"], wrong["message"]);
    assert!(unknown.get("details").is_none());
    let response = login(&app, "alice", "wrong-password-1").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");

    let body = expect_error(
        app.post("/api/v1/auth/login/", &json!({"username": "alice"}), None)
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"],
        json!({"password": ["This field is required."]})
    );
}
