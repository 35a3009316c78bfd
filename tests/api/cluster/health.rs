//! Readiness of the real-time side: `redis` and `channels` with their
//! latency when Redis is configured; `redis` reads `not_configured` and
//! `channels` still round-trips in-process without it.

use gatherhub_redis::testing::shared_url;
use reqwest::StatusCode;

use super::{Cluster, readiness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_reports_redis_and_the_fabric_round_trip() {
    let cluster = Cluster::new(&shared_url()).await;
    let fleet = cluster.instance().await;
    let (status, body) = readiness(&fleet).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "healthy", "{body}");
    for check in ["redis", "channels"] {
        assert_eq!(body["checks"][check]["status"], "healthy", "{body}");
        assert!(
            body["checks"][check]["latency_ms"].as_f64().unwrap() >= 0.0,
            "{body}"
        );
    }

    let lone = cluster.lone_instance().await;
    let (status, body) = readiness(&lone).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "healthy", "{body}");
    assert_eq!(
        body["checks"]["redis"]["status"], "not_configured",
        "{body}"
    );
    assert_eq!(body["checks"]["channels"]["status"], "healthy", "{body}");
    assert!(
        body["checks"]["channels"]["latency_ms"].is_number(),
        "{body}"
    );
}
