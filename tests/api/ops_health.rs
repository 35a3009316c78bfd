//! `/health/status/` on PostgreSQL: pool use is reported, and nothing of the
//! connection string (host, user, password, database name) leaks.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed step is a failed test"
)]

use gatherhub_e2e::{TestApp, expect_status};
use gatherhub_postgres::testing::TestDb;
use gatherhub_server::Settings;
use gatherhub_server::config::{DatabaseUrl, Secret};
use reqwest::StatusCode;

#[tokio::test]
async fn status_shows_pool_use_but_no_connection_details() {
    let db = TestDb::create().await;
    let url = url::Url::parse(&db.url()).unwrap();
    let app = TestApp::spawn_with(Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Postgres(Secret::new(db.url())),
        rate_limit_enabled: false,
        ..Settings::default()
    })
    .await;
    let response = app.get("/health/status/", None).await;
    let text = response.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["database"]["backend"], "postgres", "{body}");
    let pool = &body["database"]["pool"];
    assert_eq!(pool["max_size"], 16, "{body}");
    assert!(pool["open"].as_u64().unwrap() >= 1, "{body}");
    assert_eq!(
        pool["open"].as_u64().unwrap(),
        pool["idle"].as_u64().unwrap() + pool["in_use"].as_u64().unwrap()
    );
    let database = url.path().trim_start_matches('/');
    let mut secrets = vec![url.host_str().unwrap(), database, "postgres://", "@"];
    // The user `postgres` is also the backend's name, which is reported.
    if url.username() != "postgres" {
        secrets.push(url.username());
    }
    secrets.extend(url.password());
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "{secret:?} leaked: {text}");
    }
    drop(expect_status(app.get("/health/ready/", None).await, StatusCode::OK).await);
}
