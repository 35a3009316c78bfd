//! `gatherhub healthcheck`: asks this machine's server for `/health/live/`
//! and succeeds only on a 200, so a container image needs no curl (the
//! runtime image has no shell). Plain HTTP/1.1 over a TCP stream: the one
//! request is too simple to warrant an HTTP client library.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The path probed: liveness touches no dependency, so a slow database
/// cannot get a healthy process restarted.
pub const LIVE_PATH: &str = "/health/live/";

/// The address to reach a server listening on `host`: a wildcard address
/// is reached through loopback.
pub fn target(host: &str, port: u16) -> String {
    match host.trim() {
        "" | "0.0.0.0" => format!("127.0.0.1:{port}"),
        "::" | "[::]" => format!("[::1]:{port}"),
        host if host.contains(':') && !host.starts_with('[') => format!("[{host}]:{port}"),
        host => format!("{host}:{port}"),
    }
}

/// GETs [`LIVE_PATH`] at `address` within `timeout`; `Ok` on a 200.
pub async fn probe(address: &str, timeout: Duration) -> Result<(), String> {
    tokio::time::timeout(timeout, request(address))
        .await
        .map_err(|_| format!("no answer from {address} within {timeout:?}"))?
}

async fn request(address: &str) -> Result<(), String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|error| format!("cannot connect to {address}: {error}"))?;
    let request =
        format!("GET {LIVE_PATH} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("cannot send to {address}: {error}"))?;
    // The status line is all that matters; it comes first.
    let mut head = Vec::new();
    let mut buffer = [0u8; 512];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let read = stream
            .read(&mut buffer)
            .await
            .map_err(|error| format!("cannot read from {address}: {error}"))?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head);
    let status = line.lines().next().unwrap_or_default().trim();
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("{LIVE_PATH} answered {status:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_reached_through_loopback() {
        assert_eq!(target("0.0.0.0", 8000), "127.0.0.1:8000");
        assert_eq!(target("::", 80), "[::1]:80");
        assert_eq!(target("127.0.0.1", 1), "127.0.0.1:1");
        assert_eq!(target("::1", 2), "[::1]:2");
        assert_eq!(target("localhost", 3), "localhost:3");
    }

    #[tokio::test]
    async fn only_a_200_is_healthy() {
        for (answer, healthy) in [
            (&b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..], true),
            (b"HTTP/1.1 503 Service Unavailable\r\n\r\n", false),
            (b"garbage", false),
        ] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap().to_string();
            let server = tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = [0u8; 1024];
                let read = socket.read(&mut request).await.unwrap();
                socket.write_all(answer).await.unwrap();
                String::from_utf8_lossy(&request[..read]).into_owned()
            });
            let outcome = probe(&address, Duration::from_secs(30)).await;
            assert_eq!(outcome.is_ok(), healthy, "{outcome:?}");
            assert!(
                server
                    .await
                    .unwrap()
                    .starts_with("GET /health/live/ HTTP/1.1\r\n")
            );
        }
        // Nobody listening: unhealthy, not a hang.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = closed.local_addr().unwrap().to_string();
        drop(closed);
        assert!(probe(&address, Duration::from_secs(30)).await.is_err());
    }
}
