//! Several instances of the server sharing one PostgreSQL database and one
//! Redis, as in production behind a load balancer: changes made through one
//! instance reach WebSocket subscribers of every instance (and only those
//! allowed to see them), presence counts connections on every instance, and
//! a Redis restart degrades real-time without breaking REST, then heals by
//! itself. Each test has its own database and its own Redis key prefix.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step is a failed test"
)]

mod delivery;
mod health;
mod presence;
mod restart;
mod ws;

use std::time::Duration;

use gatherhub_e2e::{TestApp, TestUser, expect_status};
use gatherhub_postgres::testing::TestDb;
use gatherhub_redis::testing::unique_prefix;
use gatherhub_server::Settings;
use gatherhub_server::config::{DatabaseUrl, PoolSettings, Secret};
use gatherhub_server::ws::WsSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Every instance signs and checks tokens with the same key, as a fleet must.
const FLEET_KEY: &str = "cluster-test-key-0123456789abcdef0123456789abcdef";

/// Instances sharing a scratch database and a Redis namespace.
pub struct Cluster {
    pub db: TestDb,
    pub redis_url: String,
    pub prefix: String,
}

impl Cluster {
    /// A new database and key prefix on the Redis at `redis_url`.
    pub async fn new(redis_url: &str) -> Self {
        Self {
            db: TestDb::create().await,
            redis_url: redis_url.to_owned(),
            prefix: unique_prefix(),
        }
    }

    /// One more instance of the fleet.
    pub async fn instance(&self) -> TestApp {
        TestApp::spawn_with(self.settings(Some(&self.redis_url))).await
    }

    /// An instance of the same database without Redis (in-process fabric).
    pub async fn lone_instance(&self) -> TestApp {
        TestApp::spawn_with(self.settings(None)).await
    }

    /// An instance whose WebSocket heartbeat (and so presence refresh, with
    /// claims living three heartbeats) comes every `heartbeat`.
    pub async fn instance_with_heartbeat(&self, heartbeat: Duration) -> TestApp {
        let mut settings = self.settings(Some(&self.redis_url));
        settings.ws = WsSettings {
            ping_interval: heartbeat,
            ..WsSettings::default()
        };
        TestApp::spawn_with(settings).await
    }

    fn settings(&self, redis_url: Option<&str>) -> Settings {
        Settings {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: DatabaseUrl::Postgres(Secret::new(self.db.url())),
            rate_limit_enabled: false,
            secret_key: Some(Secret::new(FLEET_KEY)),
            redis_url: redis_url.map(Secret::new),
            redis_prefix: self.prefix.clone(),
            pool: PoolSettings {
                max_size: 4,
                wait_timeout: Duration::from_secs(30),
                connect_timeout: Duration::from_secs(10),
                statement_timeout: Duration::from_secs(30),
            },
            ..Settings::default()
        }
    }
}

/// Creates a public poll in a new event of `organizer` through `app`;
/// returns (event id, poll id, option ids).
pub async fn poll(app: &TestApp, organizer: &TestUser, extra: Value) -> (i64, i64, Vec<i64>) {
    let event = app.create_event(organizer, extra).await;
    let event_id = event["id"].as_i64().unwrap();
    let poll = expect_status(
        app.post(
            "/api/v1/voting/",
            &json!({"event": event_id, "title": "Venue?",
                "options": [{"text": "Library"}, {"text": "Park"}]}),
            Some(&organizer.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let options = poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|option| option["id"].as_i64().unwrap())
        .collect();
    (event_id, poll["id"].as_i64().unwrap(), options)
}

/// Casts `user`'s vote for `option` through `app`; returns the results.
pub async fn vote(app: &TestApp, user: &TestUser, poll: i64, option: i64) -> Value {
    let response = app
        .post(
            &format!("/api/v1/voting/{poll}/vote/"),
            &json!({"option_id": option}),
            Some(&user.access),
        )
        .await;
    let status = response.status();
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "vote: {status}"
    );
    response.json().await.unwrap()
}

/// `/health/ready/` of `app`: (HTTP status, body).
pub async fn readiness(app: &TestApp) -> (StatusCode, Value) {
    let response = app.get("/health/ready/", None).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}
