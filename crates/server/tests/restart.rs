//! The real `gatherhub` binary keeps its data across a restart: write, stop
//! the process, start it again on the same database, read.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SECRET: &str = "restart-test-secret-key-of-at-least-32-bytes";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the binary on a free port with `database_url`, and waits until
    /// `/health/` answers.
    async fn start(database_url: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_gatherhub"))
            .arg("serve")
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            .env("DATABASE_URL", database_url)
            .env("SECRET_KEY", SECRET)
            .env("RATE_LIMIT_ENABLED", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(format!("{base}/health/")).await
                && response.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }

    fn stop(mut self) {
        // SIGTERM, the way an operator stops it, then wait for the exit.
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful exit, got {status}");
    }

    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

/// Writes through one process, restarts, and reads through the next.
pub async fn survives_a_restart(database_url: &str) {
    let server = Server::start(database_url).await;
    let registered = server
        .post(
            "/api/v1/auth/register/",
            json!({"username": "keeper", "email": "keeper@example.com", "password": "a-durable-passphrase"}),
            None,
        )
        .await;
    let token = registered["access"].as_str().unwrap().to_owned();
    let date = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let event = server
        .post(
            "/api/v1/events/",
            json!({"title": "Still here", "date": date}),
            Some(&token),
        )
        .await;
    server.stop();

    let server = Server::start(database_url).await;
    let again = server
        .get(&format!("/api/v1/events/{}/", event["id"]), &token)
        .await;
    assert_eq!(again["title"], "Still here");
    assert_eq!(again["membership"]["role"], "organizer");
    let login = server
        .post(
            "/api/v1/auth/login/",
            json!({"username": "keeper", "password": "a-durable-passphrase"}),
            None,
        )
        .await;
    assert_eq!(login["user"]["id"], registered["user"]["id"]);
    server.stop();
}

#[tokio::test]
async fn sqlite_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("gatherhub.db").display());
    survives_a_restart(&url).await;
}

#[tokio::test]
async fn postgres_data_survives_a_restart() {
    let db = gatherhub_postgres::testing::TestDb::create().await;
    survives_a_restart(&db.url()).await;
}
