//! The fan-out scenario: N anonymous subscribers of `/ws/voting/` watch one
//! public event's poll; votes are cast through REST and every subscriber
//! must receive every `vote.cast`.
//!
//! Phases:
//! 1. setup: an organiser, a public event, a poll, one voter per vote;
//! 2. connect N subscribers (a bounded number of handshakes at a time), let
//!    them idle, and read the server's memory before and after;
//! 3. latency: one vote at a time, each waiting until every subscriber got
//!    it; latency runs from the REST response to each receipt;
//! 4. throughput: a burst of votes back to back; deliveries per second from
//!    the first request to the last receipt;
//! 5. loss: what never arrived, and how many sockets are still open.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::StreamExt;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::Target;
use crate::api::{Api, User};
use crate::server::{Server, cpu_time, open_files_limit};
use crate::stats::{Percentiles, load_average, ms};

#[derive(Args, Debug)]
pub struct FanoutArgs {
    /// Concurrent WebSocket subscribers.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Votes cast one at a time (latency phase).
    #[arg(long, default_value_t = 20)]
    votes: usize,
    /// Votes cast back to back (throughput phase).
    #[arg(long, default_value_t = 20)]
    burst: usize,
    /// WebSocket handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 100)]
    connect_concurrency: usize,
    /// Longest wait for one phase's messages to arrive everywhere.
    #[arg(long, default_value_t = 30)]
    phase_timeout_secs: u64,
    #[command(flatten)]
    target: Target,
}

/// What every subscriber task shares with the driver.
struct Shared {
    connected: AtomicUsize,
    failed: AtomicUsize,
    received: AtomicUsize,
    /// Sockets the server closed (or that broke) before the end.
    closed_early: AtomicUsize,
}

pub async fn run(args: FanoutArgs) -> Result<(), String> {
    let n = args.subscribers;
    // Per process: the bench holds one descriptor per subscriber, and so
    // does the server it starts (which inherits the limit).
    let needed = n as u64 + 200;
    if args.target.target.is_none()
        && let Some(limit) = open_files_limit()
        && limit < needed
    {
        return Err(format!(
            "open-files limit {limit} is too low for {n} subscribers: raise it to at least {needed} (crates/bench/run.sh raises it to the hard limit)"
        ));
    }
    let server = Server::start(&args.target).await?;
    let api = Api::new(&server.base)?;
    println!("server: {}", server.describe());
    println!("load average at start: {}", load_average());
    println!("readiness: {}", api.ready().await?);

    // 1. Setup.
    let tag = std::process::id();
    let organiser = api.register(&format!("bench-org-{tag}")).await?;
    let event = api.create_event(&organiser).await?;
    let (poll, options) = api.create_poll(&organiser, event).await?;
    let mut voters = Vec::new();
    for i in 0..args.votes + args.burst {
        let voter = api.register(&format!("bench-voter-{tag}-{i}")).await?;
        api.join(&voter, event).await?;
        voters.push(voter);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss_kib();

    // 2. Connect.
    let shared = Arc::new(Shared {
        connected: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        received: AtomicUsize::new(0),
        closed_early: AtomicUsize::new(0),
    });
    let (stop, stopped) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let url = format!("{}/ws/voting/", server.ws_base());
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            tokio::spawn(subscriber(
                url.clone(),
                shared.clone(),
                gate.clone(),
                stopped.clone(),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(args.phase_timeout_secs.max(60));
    while shared.connected.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed) < n {
        if Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = shared.connected.load(Ordering::Relaxed);
    println!(
        "connected: {connected}/{n} in {:.1} s ({} failed)",
        started.elapsed().as_secs_f64(),
        shared.failed.load(Ordering::Relaxed)
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle = server.rss_kib();

    // 3. Latency: one vote at a time.
    let cpu_before = (server.cpu_time(), cpu_time(std::process::id()));
    let phase_timeout = Duration::from_secs(args.phase_timeout_secs);
    let mut sent = Vec::new();
    let mut completed = Vec::new();
    let mut expected = 0;
    for (k, voter) in voters.iter().take(args.votes).enumerate() {
        sent.push(Instant::now());
        cast(&api, voter, poll, options[k % options.len()]).await?;
        completed.push(Instant::now());
        expected += connected;
        wait_for(&shared.received, expected, phase_timeout).await;
    }

    let cpu_after = (server.cpu_time(), cpu_time(std::process::id()));
    // 4. Throughput: a burst.
    let burst_started = Instant::now();
    for (k, voter) in voters.iter().skip(args.votes).enumerate() {
        sent.push(Instant::now());
        cast(&api, voter, poll, options[k % options.len()]).await?;
        completed.push(Instant::now());
    }
    let burst_sent = burst_started.elapsed();
    expected += connected * args.burst;
    wait_for(&shared.received, expected, phase_timeout).await;

    // 5. Collect.
    let held = connected - shared.closed_early.load(Ordering::Relaxed);
    let _ = stop.send(true);
    let mut latencies = Vec::new();
    let mut from_request = Vec::new();
    let mut burst_latencies = Vec::new();
    let mut early = 0_usize;
    let mut last_receipt = burst_started;
    for task in tasks {
        let receipts = task.await.map_err(|e| format!("subscriber task: {e}"))?;
        for (k, receipt) in receipts.iter().enumerate().take(completed.len()) {
            if *receipt < completed[k] {
                early += 1;
            }
            let latency = receipt.saturating_duration_since(completed[k]);
            if k < args.votes {
                latencies.push(latency);
                from_request.push(receipt.saturating_duration_since(sent[k]));
            } else {
                burst_latencies.push(latency);
                last_receipt = last_receipt.max(*receipt);
            }
        }
    }
    let received = shared.received.load(Ordering::Relaxed);
    let latency = Percentiles::new(latencies);
    let from_request = Percentiles::new(from_request);
    let burst = Percentiles::new(burst_latencies);
    let burst_span = last_receipt.saturating_duration_since(burst_started);
    let delivered_per_sec = burst.count() as f64 / burst_span.as_secs_f64().max(1e-9);

    println!(
        "\n== fan-out: {n} subscribers, {} + {} votes ==",
        args.votes, args.burst
    );
    println!("held: {held}/{n} connections open at the end");
    println!(
        "latency (REST response -> receipt), one vote at a time: p50 {} p99 {} max {} ({} samples; {early} arrived before the REST response)",
        ms(latency.at(50.0)),
        ms(latency.at(99.0)),
        ms(latency.max()),
        latency.count()
    );
    println!(
        "latency (REST request sent -> receipt), one vote at a time: p50 {} p99 {} max {}",
        ms(from_request.at(50.0)),
        ms(from_request.at(99.0)),
        ms(from_request.max())
    );
    println!(
        "burst of {}: sent in {}, delivered to all in {}: {delivered_per_sec:.0} messages/s; latency p50 {} p99 {}",
        args.burst,
        ms(burst_sent),
        ms(burst_span),
        ms(burst.at(50.0)),
        ms(burst.at(99.0))
    );
    println!(
        "lost: {} of {expected} expected deliveries",
        expected.saturating_sub(received)
    );
    println!("load average at the end: {}", load_average());
    let delivered = (connected * args.votes).max(1) as f64;
    if let ((Some(s0), Some(b0)), (Some(s1), Some(b1))) = (cpu_before, cpu_after) {
        let (server_cpu, bench_cpu) = (s1.saturating_sub(s0), b1.saturating_sub(b0));
        println!(
            "cpu during the one-at-a-time phase: server {} ({:.1} us per delivery), load generator {} ({:.1} us per delivery)",
            ms(server_cpu),
            server_cpu.as_secs_f64() * 1e6 / delivered,
            ms(bench_cpu),
            bench_cpu.as_secs_f64() * 1e6 / delivered
        );
    }
    match (rss_before, rss_idle) {
        (Some(before), Some(idle)) if connected > 0 => println!(
            "server memory: {before} KiB before, {idle} KiB with {connected} idle connections: {:.1} KiB per connection",
            idle.saturating_sub(before) as f64 / connected as f64
        ),
        _ => println!("server memory: not measured (no server PID)"),
    }
    Ok(())
}

async fn cast(api: &Api, voter: &User, poll: i64, option: i64) -> Result<(), String> {
    api.vote(voter, poll, option).await
}

/// Waits until `counter` reaches `target`, or `timeout` passes.
async fn wait_for(counter: &AtomicUsize, target: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while counter.load(Ordering::Relaxed) < target && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// A lean client: tungstenite's default 128 KiB read buffer is zero-filled
/// before every read, which made the load generator spend half its CPU in
/// memset and steal it from the server on this shared 2-core machine.
/// Messages here are a few hundred bytes.
fn client_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// One subscriber: connects (within the handshake gate), then records when
/// each `vote.cast` arrives until told to stop.
async fn subscriber(
    url: String,
    shared: Arc<Shared>,
    gate: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) -> Vec<Instant> {
    let mut receipts = Vec::new();
    let mut socket = {
        let Ok(_permit) = gate.acquire().await else {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            return receipts;
        };
        match tokio_tungstenite::connect_async_with_config(
            url.as_str(),
            Some(client_config()),
            true,
        )
        .await
        {
            Ok((mut socket, _)) => match socket.next().await {
                Some(Ok(Message::Text(text))) if text.contains("connection.established") => socket,
                _ => {
                    shared.failed.fetch_add(1, Ordering::Relaxed);
                    return receipts;
                }
            },
            Err(_) => {
                shared.failed.fetch_add(1, Ordering::Relaxed);
                return receipts;
            }
        }
    };
    shared.connected.fetch_add(1, Ordering::Relaxed);
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if text.contains("\"vote.cast\"") {
                        receipts.push(Instant::now());
                        shared.received.fetch_add(1, Ordering::Relaxed);
                    }
                }
                // Pings are answered by tungstenite itself on the next read.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    shared.closed_early.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            },
            _ = stop.changed() => break,
        }
    }
    receipts
}
