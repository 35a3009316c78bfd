//! Logs never contain tokens, passwords or emails: the real binary logs at
//! debug level (JSON) while a client registers, logs in by email, refreshes,
//! changes its email and password, opens a WebSocket with `?token=`, fails a
//! login and logs out; then every secret of that session is searched for in
//! what it logged.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod support;

use serde_json::{Value, json};
use support::Binary;

async fn post(
    client: &reqwest::Client,
    server: &Binary,
    path: &str,
    body: Value,
    token: Option<&str>,
) -> Value {
    let mut request = client.post(server.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(
        status.is_success() || path.contains("login"),
        "{path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test]
async fn logs_never_contain_tokens_passwords_or_emails() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("logs.db").display());
    let server = Binary::start(&[
        ("DATABASE_URL", &database),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "debug"),
    ])
    .await;
    let client = reqwest::Client::new();
    let (email, new_email) = ("logsecret.person@example.com", "renamed.person@example.org");
    let (password, new_password) = ("Horse-Battery-Secret-91", "Another-Secret-Phrase-37");

    let registered = post(
        &client,
        &server,
        "/api/v1/auth/register/",
        json!({"username": "logwatcher", "email": email, "password": password}),
        None,
    )
    .await;
    let login = post(
        &client,
        &server,
        "/api/v1/auth/login/",
        json!({"username": email, "password": password}),
        None,
    )
    .await;
    let access = login["access"].as_str().unwrap().to_owned();
    let refreshed = post(
        &client,
        &server,
        "/api/v1/auth/refresh/",
        json!({"refresh": login["refresh"]}),
        None,
    )
    .await;
    let response = client
        .patch(server.url("/api/v1/auth/profile/"))
        .bearer_auth(&access)
        .json(&json!({"email": new_email, "current_password": password}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
    let changed = post(
        &client,
        &server,
        "/api/v1/auth/change-password/",
        json!({"current_password": password, "new_password": new_password}),
        Some(&access),
    )
    .await;
    let fresh = changed["access"].as_str().unwrap().to_owned();
    // A WebSocket upgrade carrying the token in the query string.
    let response = client
        .get(server.url(&format!("/ws/events/?token={fresh}")))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    drop(response);
    // A failed login by email with a wrong password, and a revoked token.
    post(
        &client,
        &server,
        "/api/v1/auth/login/",
        json!({"username": new_email, "password": "Wrong-Password-Guess-55"}),
        None,
    )
    .await;
    let response = client
        .get(server.url("/api/v1/auth/profile/"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    post(
        &client,
        &server,
        "/api/v1/auth/logout/",
        json!({"refresh": changed["refresh"]}),
        None,
    )
    .await;

    let logs = server.stop_and_logs();
    assert!(
        logs.contains("/api/v1/auth/login/"),
        "requests are logged: {logs}"
    );
    let mut secrets = vec![
        email.to_owned(),
        new_email.to_owned(),
        password.to_owned(),
        new_password.to_owned(),
        "Wrong-Password-Guess-55".to_owned(),
        // Every JWT starts with this (the encoded header): no token at all.
        "eyJ".to_owned(),
        "example.com".to_owned(),
        "example.org".to_owned(),
    ];
    for tokens in [&registered, &login, &refreshed, &changed] {
        for kind in ["access", "refresh"] {
            secrets.push(tokens[kind].as_str().unwrap().to_owned());
        }
    }
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{secret:?} appears in the logs:\n{logs}"
        );
    }
    // LOG_FORMAT=json: one JSON object per line; a request's line names its
    // status, and its span the request id, method and path.
    let mut requests = 0;
    for line in logs.lines().filter(|line| !line.trim().is_empty()) {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"));
        assert!(entry["timestamp"].is_string(), "{line}");
        assert!(entry["level"].is_string(), "{line}");
        if entry["message"] == "request finished" {
            requests += 1;
            assert!(entry["status"].is_u64(), "{line}");
            let span = &entry["span"];
            assert_eq!(span["name"], "request", "{line}");
            assert!(span["request_id"].is_string(), "{line}");
            assert!(span["method"].is_string(), "{line}");
            assert!(
                span["path"]
                    .as_str()
                    .is_some_and(|path| path.starts_with('/')),
                "{line}"
            );
        }
    }
    assert!(requests >= 7, "a line per request: {logs}");
}
