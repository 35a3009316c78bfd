//! Test support for the black-box HTTP suite: spawns the real server on a
//! random port (in-memory adapters) and speaks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support code")]

use std::time::Duration;

use gatherhub_server::config::{DatabaseUrl, PoolSettings, Secret};
use gatherhub_server::{Application, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    server: Option<ServerGuard>,
    _database: Option<ScratchDatabase>,
    /// `MEDIA_ROOT` of an app made by [`TestApp::spawn`]: its own temporary
    /// directory, removed with the app.
    media: Option<tempfile::TempDir>,
}

/// Storage that lives as long as the test app (a temporary SQLite file).
#[expect(dead_code, reason = "held only to be dropped with the app")]
enum ScratchDatabase {
    Sqlite(tempfile::TempDir),
    Postgres(gatherhub_postgres::testing::TestDb),
}

/// The backend every [`TestApp`] runs on: `GATHERHUB_TEST_DATABASE` =
/// `memory` (default), `sqlite` or `postgres` (a scratch database per app on
/// the server at `GATHERHUB_TEST_PG_URL`).
pub fn test_backend() -> String {
    std::env::var("GATHERHUB_TEST_DATABASE").unwrap_or_else(|_| "memory".to_owned())
}

/// Stops the server (its workers and their connections) when the test app
/// is dropped, so no test leaves a server running behind it.
struct ServerGuard {
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Best effort: the runtime may already be shutting down.
        drop(
            tokio::runtime::Handle::try_current()
                .map(|rt| rt.spawn(async move { handle.stop(false).await })),
        );
        self.task.abort();
    }
}

/// A registered user with a fresh token pair.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

pub const PASSWORD: &str = "correct-horse-battery-staple";

/// An RFC 3339 time `hours` from now.
pub fn hours_from_now(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

impl TestApp {
    /// The app on 127.0.0.1, a random port, rate limits off, on a fresh
    /// database of the [`test_backend`].
    pub async fn spawn() -> Self {
        let (database_url, database) = match test_backend().as_str() {
            "memory" => (DatabaseUrl::Memory, None),
            "sqlite" => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("gatherhub.db").display());
                (DatabaseUrl::Sqlite(url), Some(ScratchDatabase::Sqlite(dir)))
            }
            "postgres" => {
                let db = gatherhub_postgres::testing::TestDb::create().await;
                let url = DatabaseUrl::Postgres(Secret::new(db.url()));
                (url, Some(ScratchDatabase::Postgres(db)))
            }
            other => panic!("GATHERHUB_TEST_DATABASE={other}: expected memory, sqlite or postgres"),
        };
        let media = tempfile::tempdir().expect("temporary media directory");
        let settings = Settings {
            host: "127.0.0.1".into(),
            port: 0,
            media_root: media.path().to_path_buf(),
            database_url,
            rate_limit_enabled: false,
            // Generous waits: many apps share a small machine during tests.
            pool: PoolSettings {
                max_size: 8,
                wait_timeout: Duration::from_secs(30),
                connect_timeout: Duration::from_secs(10),
                statement_timeout: Duration::from_secs(30),
            },
            ..Settings::default()
        };
        let mut app = Self::spawn_with(settings).await;
        app._database = database;
        app.media = Some(media);
        app
    }

    /// The media directory of an app made by [`TestApp::spawn`].
    pub fn media_root(&self) -> &std::path::Path {
        self.media
            .as_ref()
            .map(tempfile::TempDir::path)
            .expect("spawn() gives every app a media directory")
    }

    /// The app with exactly these settings.
    pub async fn spawn_with(settings: Settings) -> Self {
        let app = Application::build(settings).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let task = tokio::spawn(async move {
            let _ = app.run_until_stopped().await;
        });
        Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            server: Some(ServerGuard { handle, task }),
            _database: None,
            media: None,
        }
    }

    /// Stops the server gracefully and waits until it has stopped (its
    /// storage is released), keeping any scratch database.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.handle.stop(true).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends `method path` with an optional JSON body and bearer token.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.request(Method::GET, path, None, token).await
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        self.request(Method::POST, path, Some(body), token).await
    }

    pub async fn put(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        self.request(Method::PUT, path, Some(body), token).await
    }

    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        self.request(Method::PATCH, path, Some(body), token).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.request(Method::DELETE, path, None, token).await
    }

    /// Registers `username` (email `<username>@example.com`, password
    /// [`PASSWORD`]) and returns it with its tokens.
    pub async fn register(&self, username: &str) -> TestUser {
        let email = format!("{username}@example.com");
        let response = self
            .post(
                "/api/v1/auth/register/",
                &json!({"username": username, "email": email, "password": PASSWORD, "first_name": "Test", "last_name": "User"}),
                None,
            )
            .await;
        let body = expect_status(response, StatusCode::CREATED).await;
        TestUser {
            id: body["user"]["id"].as_i64().expect("user id"),
            username: username.to_owned(),
            email,
            password: PASSWORD.to_owned(),
            access: body["access"].as_str().expect("access").to_owned(),
            refresh: body["refresh"].as_str().expect("refresh").to_owned(),
        }
    }

    /// Creates an event owned by `user`, tomorrow, with `extra` fields merged in.
    pub async fn create_event(&self, user: &TestUser, extra: Value) -> Value {
        let mut body = json!({"title": "Community Meetup", "date": hours_from_now(24)});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            for (key, value) in extra {
                body.insert(key.clone(), value.clone());
            }
        }
        let response = self
            .post("/api/v1/events/", &body, Some(&user.access))
            .await;
        expect_status(response, StatusCode::CREATED).await
    }
}

/// Asserts the status and returns the JSON body (Null for an empty body).
pub async fn expect_status(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    }
}

/// Asserts an error response in the contract's exact shape with `code`, and
/// returns its body.
pub async fn expect_error(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_status(response, status).await;
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    assert_eq!(body["error"], code, "error code; body: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message; body: {body}"
    );
    let timestamp = body["timestamp"].as_str().expect("timestamp");
    assert!(timestamp.ends_with('Z'), "UTC timestamp: {timestamp}");
    chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339 timestamp");
    let allowed = ["error", "message", "details", "detail", "timestamp"];
    for key in body.as_object().expect("object").keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "unexpected key {key} in {body}"
        );
    }
    if code == "validation_error" {
        assert!(
            body["details"].is_object(),
            "validation errors carry details: {body}"
        );
    }
    body
}
