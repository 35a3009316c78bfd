//! The real `gatherhub` binary as an operator runs it: production refuses a
//! missing or weak `SECRET_KEY` in one line, logs JSON and sends HSTS;
//! SIGTERM lets an in-flight request finish, turns readiness 503 and exits 0;
//! `gatherhub check` tests connectivity without printing secrets.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use std::time::Duration;

use support::{Binary, STRONG_KEY, free_port, read_response};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn production_refuses_a_missing_or_weak_secret_key() {
    for (key, expected) in [
        (None, "SECRET_KEY is required with GATHERHUB_ENV=production"),
        (
            Some("only-twenty-bytes-xx"),
            "SECRET_KEY is too weak (20 bytes)",
        ),
    ] {
        let mut envs = vec![
            ("GATHERHUB_ENV", "production"),
            ("DATABASE_URL", "memory://"),
        ];
        if let Some(key) = key {
            envs.push(("SECRET_KEY", key));
        }
        let output = Binary::command(&envs).arg("serve").output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with("gatherhub: "), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(stderr.contains("at least 32"), "{stderr}");
        if let Some(key) = key {
            assert!(!stderr.contains(key), "the key itself never prints");
        }
    }
}

#[tokio::test]
async fn production_logs_json_and_sends_hsts() {
    let server = Binary::start(&[
        ("GATHERHUB_ENV", "production"),
        ("SECRET_KEY", STRONG_KEY),
        ("DATABASE_URL", "memory://"),
    ])
    .await;
    let response = reqwest::get(server.url("/health/")).await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let logs = server.stop_and_logs();
    let lines: Vec<&str> = logs.lines().filter(|line| !line.is_empty()).collect();
    assert!(lines.len() >= 2, "{logs}");
    for line in &lines {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(entry["level"].is_string(), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|line| line.contains("\"path\":\"/health/\"")),
        "request lines are logged: {logs}"
    );
}

/// Starts a registration whose body arrives in two parts; returns the
/// connection and the part still to send.
async fn slow_request(address: &str) -> (TcpStream, &'static str) {
    let body = r#"{"username": "slowpoke", "email": "slowpoke@example.com", "password": "a-slow-long-passphrase"}"#;
    let (first, rest) = body.split_at(20);
    let mut slow = TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    (slow, rest)
}

const READY: &str = "GET /health/ready/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn sigterm_stops_accepting_lets_in_flight_requests_finish_and_exits_0() {
    let mut server = Binary::start(&[("DATABASE_URL", "memory://")]).await;
    let address = format!("127.0.0.1:{}", server.port);
    let (mut slow, rest) = slow_request(&address).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        TcpStream::connect(&address).await.is_err(),
        "still accepting"
    );

    // The in-flight request completes after the signal.
    slow.write_all(rest.as_bytes()).await.unwrap();
    let (status, body) = read_response(&mut slow).await;
    assert_eq!(status, 201, "{body}");
    drop(slow);

    let status = server.wait(Duration::from_secs(30));
    assert!(status.success(), "exit 0, got {status}");
}

#[tokio::test]
async fn during_the_drain_readiness_is_503_and_requests_still_finish() {
    let mut server = Binary::start(&[
        ("DATABASE_URL", "memory://"),
        ("SHUTDOWN_DRAIN_SECONDS", "2"),
    ])
    .await;
    let address = format!("127.0.0.1:{}", server.port);
    let mut probe = TcpStream::connect(&address).await.unwrap();
    assert_eq!(send(&mut probe, READY).await.0, 200);
    let (mut slow, rest) = slow_request(&address).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Load balancers probing now are told to route elsewhere.
    let mut probe = TcpStream::connect(&address).await.unwrap();
    let (status, body) = send(&mut probe, READY).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"unhealthy\""), "{body}");

    slow.write_all(rest.as_bytes()).await.unwrap();
    let (status, body) = read_response(&mut slow).await;
    assert_eq!(status, 201, "{body}");
    drop(slow);

    let status = server.wait(Duration::from_secs(30));
    assert!(status.success(), "exit 0, got {status}");
    assert!(TcpStream::connect(&address).await.is_err());
}

#[tokio::test]
async fn sigint_stops_an_idle_server_with_exit_0() {
    let mut server = Binary::start(&[("DATABASE_URL", "memory://")]).await;
    server.signal("INT");
    let status = server.wait(Duration::from_secs(30));
    assert!(status.success(), "exit 0, got {status}");
}

async fn send(stream: &mut TcpStream, request: &str) -> (u16, String) {
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(stream).await
}

#[tokio::test]
async fn check_tests_connectivity_without_printing_secrets() {
    let output = Binary::command(&[
        ("DATABASE_URL", "memory://"),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
    ])
    .arg("check")
    .output()
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "configuration: ok",
        "rate limits: on",
        "database: ok (memory",
        "redis: ok",
        "security: ok",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in {stdout}");
    }

    let output = Binary::command(&[
        (
            "DATABASE_URL",
            "postgres://gatherhub:hunter2@127.0.0.1:1/gatherhub",
        ),
        ("DATABASE_CONNECT_TIMEOUT_MS", "500"),
        ("SECRET_KEY", STRONG_KEY),
    ])
    .arg("check")
    .output()
    .unwrap();
    assert!(!output.status.success());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("database"), "{printed}");
    assert!(
        !printed.contains("hunter2") && !printed.contains(STRONG_KEY),
        "{printed}"
    );

    let free = free_port();
    let output = Binary::command(&[
        ("DATABASE_URL", "memory://"),
        ("REDIS_URL", &format!("redis://127.0.0.1:{free}")),
    ])
    .arg("check")
    .output()
    .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("redis: unreachable"));
}

#[tokio::test]
async fn the_operators_health_script_reports_and_exits_accordingly() {
    const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/health_check.sh");
    let mut server = Binary::start(&[("DATABASE_URL", "memory://")]).await;
    let base = server.url("");
    let run = move |base: String| {
        std::process::Command::new("bash")
            .arg(SCRIPT)
            .arg(base)
            .env("HEALTH_TIMEOUT", "10")
            .output()
            .unwrap()
    };
    let output = tokio::task::spawn_blocking({
        let base = base.clone();
        move || run(base)
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("ok    /health/ready/   healthy"),
        "{stdout}"
    );
    assert!(stdout.contains("summary: healthy (4/4"), "{stdout}");

    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(30)).success());
    let output = tokio::task::spawn_blocking(move || run(base))
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("summary: UNHEALTHY (4 of 4"), "{stdout}");
}
