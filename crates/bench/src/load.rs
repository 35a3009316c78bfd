//! The HTTP load engine: `connections` keep-alive HTTP/1.1 connections, each
//! a closed loop (send, read the whole response, send the next), for a
//! warm-up and then a measured window. Latency is measured per request from
//! send to the last byte of the body; only requests that finish inside the
//! measured window count.
//!
//! Each connection is one task holding a bare hyper client connection: no
//! pool, no redirects, no per-request allocation beyond the request itself,
//! so the tool's own CPU (reported) stays a small share of the box.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::server::cpu_time;
use crate::stats::Percentiles;

/// One request a workload wants sent.
pub struct Planned {
    pub method: Method,
    pub path: String,
    pub body: Option<Bytes>,
    /// A prepared `Bearer …` header value.
    pub auth: Option<HeaderValue>,
    /// The workload's own reference, handed back in [`Workload::completed`].
    pub tag: u64,
}

impl Planned {
    pub fn get(path: String, auth: Option<&HeaderValue>) -> Self {
        Self {
            method: Method::GET,
            path,
            body: None,
            auth: auth.cloned(),
            tag: 0,
        }
    }

    pub fn post(path: String, body: String, auth: Option<&HeaderValue>) -> Self {
        Self {
            method: Method::POST,
            path,
            body: Some(Bytes::from(body)),
            auth: auth.cloned(),
            tag: 0,
        }
    }

    pub fn tagged(mut self, tag: u64) -> Self {
        self.tag = tag;
        self
    }
}

/// What a scenario sends. Called concurrently from every connection.
pub trait Workload: Send + Sync + 'static {
    /// The next request for connection `worker`, or `None` once the
    /// workload is used up (the connection then stops early).
    fn next(&self, worker: usize) -> Option<Planned>;

    /// Told of every completed request (inside or outside the window).
    fn completed(&self, _tag: u64, _status: StatusCode, _body: &[u8]) {}
}

/// How to drive a workload.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// A pause after each response (a paced probe rather than a load).
    pub pace: Option<Duration>,
    /// A steady total arrival rate (requests/s over all connections)
    /// instead of a closed loop. Each connection sends on its own fixed
    /// schedule and latency counts from when a request was *due*, so a
    /// slow response that delays the next send is charged to the server
    /// (no coordinated omission).
    pub rate: Option<f64>,
}

/// The figures of one run.
pub struct Outcome {
    pub requests: u64,
    pub window: Duration,
    pub latencies: Percentiles,
    /// Responses by status code (measured window only).
    pub statuses: BTreeMap<u16, u64>,
    /// Connection failures (connect, send, read), whole run.
    pub transport_errors: u64,
    /// The first transport error seen, for the report.
    pub first_error: Option<String>,
    /// This process's CPU time over the run (the load generator's cost).
    pub client_cpu: Duration,
    /// The requests sent per connection ran out before the window ended.
    pub exhausted: bool,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.window.as_secs_f64().max(1e-9)
    }

    /// Responses with a status outside 2xx.
    pub fn failures(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| !(200..300).contains(*status))
            .map(|(_, count)| count)
            .sum()
    }

    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| **status >= 500)
            .map(|(_, count)| count)
            .sum()
    }

    /// `200×1234 201×5` style summary of the status counts.
    pub fn status_summary(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}×{count}"))
            .collect();
        if self.transport_errors > 0 {
            parts.push(format!("io×{}", self.transport_errors));
        }
        parts.join(" ")
    }
}

/// Per-connection results, merged at the end.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    first_error: Option<String>,
    exhausted: bool,
}

/// Runs `workload` against `addr` with the given shape.
pub async fn run(addr: SocketAddr, workload: Arc<dyn Workload>, shape: Shape) -> Outcome {
    let cpu_before = cpu_time(std::process::id());
    let start = Instant::now();
    let measure_from = start + shape.warmup;
    let end = measure_from + shape.duration;
    let host = HeaderValue::from_str(&addr.to_string()).unwrap_or(HeaderValue::from_static("x"));
    let mut tasks = Vec::with_capacity(shape.connections);
    for worker in 0..shape.connections {
        let workload = Arc::clone(&workload);
        let host = host.clone();
        tasks.push(tokio::spawn(async move {
            connection(
                addr,
                host,
                worker,
                workload.as_ref(),
                shape,
                measure_from,
                end,
            )
            .await
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let Ok(tally) = task.await else {
            total.transport_errors += 1;
            continue;
        };
        total.latencies.extend(tally.latencies);
        for (status, count) in tally.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.transport_errors += tally.transport_errors;
        total.first_error = total.first_error.or(tally.first_error);
        total.exhausted |= tally.exhausted;
    }
    let finished = Instant::now();
    let client_cpu = match (cpu_before, cpu_time(std::process::id())) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => Duration::ZERO,
    };
    // An exhausted workload ends early: its window is what it used.
    let window = if finished < end {
        finished.saturating_duration_since(measure_from)
    } else {
        shape.duration
    };
    Outcome {
        requests: total.latencies.len() as u64,
        window,
        latencies: Percentiles::new(total.latencies),
        statuses: total.statuses,
        transport_errors: total.transport_errors,
        first_error: total.first_error,
        client_cpu,
        exhausted: total.exhausted,
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("nodelay: {e}"))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    Ok(sender)
}

/// One closed-loop connection.
async fn connection(
    addr: SocketAddr,
    host: HeaderValue,
    worker: usize,
    workload: &dyn Workload,
    shape: Shape,
    measure_from: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut sender: Option<Sender> = None;
    // Paced: this connection's share of the rate, phase-shifted per worker.
    let interval = shape
        .rate
        .filter(|rate| *rate > 0.0)
        .map(|rate| Duration::from_secs_f64(shape.connections as f64 / rate));
    let mut due = interval.map(|every| {
        Instant::now() + every.mul_f64(worker as f64 / shape.connections.max(1) as f64)
    });
    while Instant::now() < end {
        if let Some(at) = due {
            tokio::time::sleep_until(at.into()).await;
        }
        let Some(planned) = workload.next(worker) else {
            tally.exhausted = true;
            break;
        };
        let tag = planned.tag;
        let request = match build(planned, &host) {
            Ok(request) => request,
            Err(error) => {
                fail(&mut tally, error);
                break;
            }
        };
        let ready = match sender.take() {
            Some(s) => Some(s),
            None => match connect(addr).await {
                Ok(s) => Some(s),
                Err(error) => {
                    fail(&mut tally, error);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    None
                }
            },
        };
        let Some(mut s) = ready else { continue };
        // Paced requests are timed from when they were due.
        let sent = due.unwrap_or_else(Instant::now);
        if let (Some(at), Some(every)) = (due.as_mut(), interval) {
            *at += every;
        }
        let response = match send(&mut s, request).await {
            Ok(response) => response,
            Err(error) => {
                fail(&mut tally, error);
                continue; // the connection is dropped; reconnect
            }
        };
        let done = Instant::now();
        sender = Some(s);
        let (status, body) = response;
        workload.completed(tag, status, &body);
        if sent >= measure_from && done <= end {
            tally.latencies.push(done - sent);
            *tally.statuses.entry(status.as_u16()).or_default() += 1;
        }
        if let Some(pace) = shape.pace {
            tokio::time::sleep(pace).await;
        }
    }
    tally
}

fn fail(tally: &mut Tally, error: String) {
    tally.transport_errors += 1;
    tally.first_error.get_or_insert(error);
}

fn build(planned: Planned, host: &HeaderValue) -> Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::builder()
        .method(planned.method)
        .uri(planned.path)
        .header(HOST, host);
    if let Some(auth) = planned.auth {
        builder = builder.header(AUTHORIZATION, auth);
    }
    let body = match planned.body {
        Some(body) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            body
        }
        None => Bytes::new(),
    };
    builder
        .body(Full::new(body))
        .map_err(|e| format!("request: {e}"))
}

async fn send(
    sender: &mut Sender,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, Bytes), String> {
    sender.ready().await.map_err(|e| format!("ready: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok((status, body))
}
