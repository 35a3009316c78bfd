//! Runs the real `gatherhub` binary for process-level tests: a clean
//! environment, a free port, logs captured to a file, signals by PID.

#![allow(dead_code, reason = "each test file uses a part")]

use std::fs::File;
use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

pub const STRONG_KEY: &str = "ops-test-secret-key-of-at-least-32-bytes!";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Binary {
    child: Child,
    pub port: u16,
    logs: tempfile::NamedTempFile,
}

impl Binary {
    /// The binary with only `envs` set (nothing inherited, so a developer's
    /// `SECRET_KEY` or `RUST_LOG` cannot change the outcome).
    pub fn command(envs: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gatherhub"));
        command.env_clear();
        for (name, value) in envs {
            command.env(name, value);
        }
        command
    }

    /// Serves with `envs` on a free port (HOST 127.0.0.1, rate limits off
    /// unless set), and waits until `/health/` answers.
    pub async fn start(envs: &[(&str, &str)]) -> Self {
        let port = free_port();
        let logs = tempfile::NamedTempFile::new().unwrap();
        let mut command = Self::command(envs);
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(File::options().append(true).open(logs.path()).unwrap())
            .stderr(File::options().append(true).open(logs.path()).unwrap());
        if !envs.iter().any(|(name, _)| *name == "RATE_LIMIT_ENABLED") {
            command.env("RATE_LIMIT_ENABLED", "false");
        }
        let child = command.spawn().unwrap();
        let server = Self { child, port, logs };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(server.url("/health/")).await
                && response.status().is_success()
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not come up: {}",
                server.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends `SIG<name>` (TERM, INT) to the process.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit, failing the test past `bound` (a "never hangs" bound).
    pub fn wait(&mut self, bound: Duration) -> ExitStatus {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("no exit within {bound:?}: {}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.logs.path()).unwrap()
    }

    /// SIGTERM, a clean exit, and everything the process logged.
    pub fn stop_and_logs(mut self) -> String {
        self.signal("TERM");
        let status = self.wait(Duration::from_secs(30));
        assert!(status.success(), "graceful exit, got {status}");
        self.logs()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        // A failed test must not leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one HTTP/1.1 response (with `Content-Length`): status and body.
pub async fn read_response(stream: &mut TcpStream) -> (u16, String) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
            .await
            .expect("a response within the bound")
            .unwrap();
        assert!(
            read > 0,
            "connection closed: {}",
            String::from_utf8_lossy(&buffer)
        );
        buffer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&buffer).to_string();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let head = &text[..end];
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().unwrap())
            })
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            let status = head.split(' ').nth(1).unwrap().parse().unwrap();
            return (status, text[end + 4..end + 4 + length].to_owned());
        }
    }
}
