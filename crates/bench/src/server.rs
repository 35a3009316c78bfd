//! The server under test: started by the bench as a child process (this
//! same binary, `serve` subcommand) so that its memory is its own, or an
//! already running one given by URL (and PID, for memory figures).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
        let line = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).map(|_| line)
            }),
        )
        .await
        .map_err(|_| "the server did not start within 60 s".to_owned())?
        .map_err(|e| format!("reading the server's port: {e}"))?
        .map_err(|e| format!("reading the server's port: {e}"))?;
        let port: u16 = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| format!("unexpected first line from the server: {line:?}"))?;
        server.base = format!("http://127.0.0.1:{port}");
        Ok(server)
    }

    pub fn ws_base(&self) -> String {
        self.base.replacen("http", "ws", 1)
    }

    /// The server's resident memory in KiB, when its PID is known.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid?)).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
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
