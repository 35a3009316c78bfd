//! PostgreSQL going away while requests flow: requests answer 503 quickly
//! (never hang, never 500), liveness stays up, readiness says so, and service
//! resumes by itself once the database is back. The database is cut off by a
//! TCP proxy between the app and PostgreSQL, which the test stops and starts.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed step is a failed test"
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gatherhub_e2e::{TestApp, expect_error, expect_status};
use gatherhub_postgres::testing::TestDb;
use gatherhub_server::Settings;
use gatherhub_server::config::{DatabaseUrl, PoolSettings, Secret};
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards 127.0.0.1:<port> to PostgreSQL until stopped.
struct Proxy {
    port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Self {
            port,
            upstream,
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream;
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(link);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes the listener and every forwarded connection: the database is gone.
    fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Listens on the same port again.
    async fn restart(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => return self.serve(listener),
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => panic!("cannot listen again on {}: {error}", self.port),
            }
        }
    }
}

#[tokio::test]
async fn a_lost_database_answers_503_quickly_and_recovers() {
    let db = TestDb::create().await;
    let mut url = url::Url::parse(&db.url()).unwrap();
    let upstream: SocketAddr =
        format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432))
            .parse()
            .unwrap();
    let proxy = Proxy::start(upstream).await;
    url.set_port(Some(proxy.port)).unwrap();
    let settings = Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Postgres(Secret::new(url.to_string())),
        rate_limit_enabled: false,
        pool: PoolSettings {
            max_size: 4,
            wait_timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(1),
            statement_timeout: Duration::from_secs(2),
        },
        ..Settings::default()
    };
    let app = TestApp::spawn_with(settings).await;
    let alice = app.register("alice").await;
    app.create_event(&alice, json!({})).await;

    proxy.stop();
    // Several requests in flight at once, all must fail fast with 503.
    let started = Instant::now();
    let calls = (0..6).map(|_| app.get("/api/v1/events/", Some(&alice.access)));
    for response in futures_util::future::join_all(calls).await {
        assert!(response.headers().contains_key("retry-after"));
        expect_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
        )
        .await;
    }
    // A bound far above the pool's timeouts, only to prove nothing hangs.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    expect_status(app.get("/health/live/", None).await, StatusCode::OK).await;
    let ready = expect_status(
        app.get("/health/ready/", None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(ready["checks"]["database"]["status"], "unhealthy");

    proxy.restart().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = app.get("/api/v1/events/", Some(&alice.access)).await;
        if response.status() == StatusCode::OK {
            let body = expect_status(response, StatusCode::OK).await;
            assert_eq!(body["count"], 1);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery: {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    expect_status(app.get("/health/ready/", None).await, StatusCode::OK).await;
}
