//! The server under test: started by the bench as a child process (this
//! same binary, `serve` subcommand) so that its memory is its own, or an
//! already running one given by URL (and PID, for memory figures).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gatherhub_server::config::{DatabaseUrl, Secret};
use gatherhub_server::{Application, Settings};

use crate::Target;

/// The server under test.
pub struct Server {
    pub base: String,
    pid: Option<u32>,
    child: Option<Child>,
}

impl Server {
    pub async fn start(target: &Target) -> Result<Self, String> {
        if let Some(base) = &target.target {
            return Ok(Self {
                base: base.trim_end_matches('/').to_owned(),
                pid: target.server_pid,
                child: None,
            });
        }
        let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // Setup hashes a few passwords (19 MiB of Argon2 memory each); with
        // glibc's adaptive mmap threshold those blocks would stay in the
        // heap and later serve connection allocations, hiding their cost. A
        // fixed threshold returns them to the system, so the memory growth
        // measured is the connections' own.
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            command.env("MALLOC_MMAP_THRESHOLD_", "1048576");
        }
        if let Some(url) = &target.redis_url {
            command.args(["--redis-url", url]);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout from the server")?;
        let mut server = Self {
            base: String::new(),
            pid: Some(child.id()),
            child: Some(child),
        };
        // The child prints `listening <port>` once bound.
        let port = tokio::time::timeout(Duration::from_secs(60), announced_port(stdout))
            .await
            .map_err(|_| "the server did not start within 60 s".to_owned())??;
        server.base = format!("http://127.0.0.1:{port}");
        Ok(server)
    }

    /// Starts `program` with `args` and `env` (the real `gatherhub` binary
    /// or the floor reference) and waits until it answers: for
    /// [`Ready::Health`], the first 200 on `/health/` at a port chosen here;
    /// for [`Ready::Announce`], its `listening <port>` line. Returns the
    /// server and the time from spawning the process to that point.
    pub async fn launch(
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        ready: Ready,
        log: &Path,
    ) -> Result<(Self, Duration), String> {
        let port = match ready {
            Ready::Health => free_port()?,
            Ready::Announce => 0,
        };
        std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let log_file = log_file_clone(log)?;
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stderr(log_file);
        match ready {
            Ready::Health => {
                let out = log_file_clone(log)?;
                command.stdout(out)
            }
            Ready::Announce => command.stdout(Stdio::piped()),
        };
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        let started = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let pid = child.id();
        let port = match ready {
            Ready::Announce => {
                announced_port(child.stdout.take().ok_or("no stdout from the server")?).await?
            }
            Ready::Health => port,
        };
        let mut server = Self {
            base: format!("http://127.0.0.1:{port}"),
            pid: Some(pid),
            child: Some(child),
        };
        let health = format!("{}/health/", server.base);
        let deadline = started + Duration::from_secs(60);
        loop {
            if let Some(child) = server.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "{} exited with {status} (log: {})",
                    program.display(),
                    log.display()
                ));
            }
            match ready {
                Ready::Announce => break,
                Ready::Health => {
                    if let Ok(response) = probe.get(&health).send().await
                        && response.status() == reqwest::StatusCode::OK
                    {
                        break;
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not become healthy in 60 s",
                    program.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok((server, started.elapsed()))
    }

    /// The socket address of the server.
    pub fn addr(&self) -> Result<SocketAddr, String> {
        self.base
            .trim_start_matches("http://")
            .parse()
            .map_err(|e| format!("{}: {e}", self.base))
    }

    /// Stops a launched server with SIGTERM (as an orchestrator would) and
    /// waits for it to exit; SIGKILL after 15 s.
    pub async fn stop(mut self) -> Result<(), String> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("server {pid} ignored SIGTERM for 15 s"));
                }
            }
        }
    }

    pub fn ws_base(&self) -> String {
        self.base.replacen("http", "ws", 1)
    }

    /// The server's resident memory in KiB, when its PID is known.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid?)
    }

    /// The server's process id, when known.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// CPU time the server has used so far, when its PID is known.
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.pid?)
    }

    pub fn describe(&self) -> String {
        match (&self.child, self.pid) {
            (Some(_), Some(pid)) => format!("child process {pid} at {}", self.base),
            (None, Some(pid)) => format!("running server {pid} at {}", self.base),
            _ => format!("running server at {} (memory not measured)", self.base),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The port from a child's first line, `listening <port>`.
async fn announced_port(stdout: std::process::ChildStdout) -> Result<u16, String> {
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| format!("reading the server's port: {e}"))?
    .map_err(|e| format!("reading the server's port: {e}"))?;
    line.trim()
        .strip_prefix("listening ")
        .and_then(|port| port.parse().ok())
        .ok_or_else(|| format!("unexpected first line from the server: {line:?}"))
}

/// How a launched server tells that it is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ready {
    /// Poll `GET /health/` until 200 (the real server).
    Health,
    /// Read `listening <port>` from its stdout (the floor reference).
    Announce,
}

fn log_file_clone(log: &Path) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))
}

/// A port free right now on 127.0.0.1 (the server binds it moments later).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("free port: {e}"))
}

/// The `gatherhub` server binary built next to this one (same profile).
pub fn sibling_binary(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let path = exe.with_file_name(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it first (`cargo build --release -p gatherhub-server`; crates/bench/run.sh does)",
            path.display()
        ))
    }
}

/// The `serve` subcommand: the real server on 127.0.0.1, a free port,
/// in-memory storage, no rate limits (the bench is one client making many
/// connections), logging warnings only.
pub async fn serve(redis_url: Option<String>) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings {
        host: "127.0.0.1".into(),
        port: 0,
        database_url: DatabaseUrl::Memory,
        rate_limit_enabled: false,
        secret_key: Some(Secret::new(format!("bench-{:0>40}", std::process::id()))),
        redis_url: redis_url.map(Secret::new),
        redis_prefix: format!("gatherhub-bench-{}", std::process::id()),
        ..Settings::default()
    };
    let app = Application::build(settings)
        .await
        .map_err(|e| format!("server: {e}"))?;
    println!("listening {}", app.port());
    app.run_until_stopped()
        .await
        .map_err(|e| format!("server: {e}"))
}

/// The soft limit on open files of this process (children inherit it).
pub fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
}

/// Resident memory of process `pid` in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU time of process `pid` from /proc (in USER_HZ ticks,
/// which Linux fixes at 100 per second for /proc).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at state.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}
