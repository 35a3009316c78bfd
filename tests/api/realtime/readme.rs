//! The README's JavaScript example, run verbatim with Node.js (pointed at the
//! test server): connected to `/ws/events/` without a token, it prints a
//! public event's update.

use std::process::Stdio;
use std::time::Duration;

use gatherhub_e2e::{TestApp, expect_status};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

use super::client::{WAIT, Ws};

/// The first ```js block of the README's real-time section.
fn readme_example() -> String {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("\n## Real-time\n")
        .nth(1)
        .expect("README has a real-time section");
    let block = section
        .split("```js\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a js block");
    block.to_owned()
}

async fn line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("a line within the wait")
        .unwrap()
        .expect("node is still running")
}

#[tokio::test]
async fn the_readme_javascript_example_receives_public_updates() {
    let app = TestApp::spawn().await;
    let alice = app.register("js_alice").await;
    let event = app.create_event(&alice, json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let example = readme_example();
    assert!(
        example.contains("ws://127.0.0.1:8000/ws/events/"),
        "{example}"
    );
    assert!(
        !example.contains("token"),
        "the example connects without a token"
    );
    let script = example.replace(
        "ws://127.0.0.1:8000",
        &app.address.replace("http://", "ws://"),
    );

    let node = Command::new("node")
        .args(["--experimental-websocket", "-e", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let Ok(mut node) = node else {
        // Without Node.js the same socket is opened from Rust instead.
        eprintln!("node not found: checking the example's URL with the Rust client");
        let (mut ws, _) = Ws::open(format!(
            "{}/ws/events/",
            app.address.replace("http://", "ws://")
        ))
        .await;
        update(&app, &alice.access, id).await;
        let message = ws.expect("event.updated").await;
        assert_eq!(message["data"]["location"], "Town Hall");
        return;
    };
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    assert!(line(&mut lines).await.starts_with("connection.established"));
    update(&app, &alice.access, id).await;
    let printed = line(&mut lines).await;
    let (head, data) = printed.split_at(printed.find('{').expect("data is printed"));
    assert_eq!(head.trim(), format!("event.updated {id}"));
    let data: Value = serde_json::from_str(data).unwrap();
    let rest = expect_status(
        app.get(&format!("/api/v1/events/{id}/"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(data, rest);
    assert_eq!(data["location"], "Town Hall");
    let _ = tokio::time::timeout(Duration::from_secs(5), node.kill()).await;
}

async fn update(app: &TestApp, token: &str, id: i64) {
    expect_status(
        app.patch(
            &format!("/api/v1/events/{id}/"),
            &json!({"location": "Town Hall"}),
            Some(token),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}
