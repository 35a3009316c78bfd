//! The `http` command: the HTTP scenarios of the performance issue against
//! the real `gatherhub` binary (release build), on PostgreSQL and on the
//! embedded SQLite default, each on a fresh database, rate limits off.
//!
//! Per backend: start the server (timing process start → first 200 on
//! `/health/`), seed through the public API, restart it a few times on the
//! now existing database (startup figures, then idle memory), and run the
//! scenarios one after another with the same connection count:
//! event detail, list page, poll results, the floor reference (detail and
//! list on a minimal actix handler running the same SQL, alternating with
//! the real server), login, a login flood with paced probes of
//! `/health/live/` and event detail, cast vote (tallies checked afterwards),
//! create event, and the mixed workload.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde_json::Value;
use tokio::sync::watch;

use crate::api::Api;
use crate::fixture::{self, Fixture, Size};
use crate::load::{self, Outcome, Shape, Workload};
use crate::server::{Ready, Server, rss_kib, sibling_binary};
use crate::stats::{Percentiles, load_average, machine, mib, ms};
use crate::workloads::{
    CastVote, CreateEvent, EventDetail, EventList, Fixed, Login, Mixed, PollResults, VoteLedger,
    detail_path, list_path,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

#[derive(Args, Debug)]
pub struct HttpArgs {
    /// Backends to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "postgres,sqlite")]
    backends: Vec<Backend>,
    /// A PostgreSQL database to connect to for creating the bench database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_admin_url: String,
    /// The scratch PostgreSQL database (dropped and re-created).
    #[arg(long, default_value = "gatherhub_bench")]
    pg_database: String,
    /// Concurrent connections of every load scenario.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Unmeasured seconds at the start of every scenario.
    #[arg(long, default_value_t = 2)]
    warmup_secs: u64,
    /// Measured seconds of every scenario.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Users to register (cast vote uses users × 100 fresh pairs).
    #[arg(long, default_value_t = 400)]
    users: usize,
    /// Events to create (the list scenario pages through them, 20 a page).
    #[arg(long, default_value_t = 500)]
    events: usize,
    /// Rounds of real-vs-floor measurement: each measures both servers back
    /// to back, alternating which goes first; the check is on the median of
    /// the rounds' ratios.
    #[arg(long, default_value_t = 5)]
    floor_rounds: usize,
    /// Restarts timed on the seeded database.
    #[arg(long, default_value_t = 5)]
    restarts: usize,
    /// The server binary (default: `gatherhub` next to this binary).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Scenarios to run (default: all), e.g. `--scenarios detail,list,floor`.
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<Scenario>,
    /// Extra environment for the server, for experiments: `--server-env LOG_LEVEL=warn`.
    #[arg(long, value_parser = parse_env)]
    server_env: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Detail,
    List,
    Results,
    Floor,
    Login,
    Flood,
    Vote,
    Create,
    Mixed,
}

impl HttpArgs {
    fn runs(&self, scenario: Scenario) -> bool {
        self.scenarios.is_empty() || self.scenarios.contains(&scenario)
    }
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))
}

/// A measured scenario.
struct Row {
    scenario: String,
    connections: usize,
    outcome: Outcome,
    server_cpu: Duration,
    peak_rss_kib: u64,
}

/// What one backend's run found, for the summary.
#[derive(Default)]
struct Findings {
    rows: Vec<Row>,
    notes: Vec<String>,
    checks: Vec<(String, bool)>,
}

impl Findings {
    fn rps(&self, scenario: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|row| row.scenario == scenario)
            .map(|row| row.outcome.rps())
    }

    fn check(&mut self, what: String, ok: bool) {
        println!("  [{}] {what}", if ok { "PASS" } else { "FAIL" });
        self.checks.push((what, ok));
    }
}

pub async fn run(args: HttpArgs) -> Result<(), String> {
    let server_bin = match &args.server_bin {
        Some(path) => path.clone(),
        None => sibling_binary("gatherhub")?,
    };
    let floor_bin = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    println!("# gatherhub-bench http");
    println!();
    println!("- machine: {}", machine());
    println!("- load average at start: {}", load_average());
    println!(
        "- {} connections, {} s warm-up + {} s measured per scenario; {} users, {} events",
        args.connections, args.warmup_secs, args.duration_secs, args.users, args.events
    );
    let mut all = Vec::new();
    for backend in &args.backends {
        println!();
        println!("## {}", backend.name());
        let findings = bench_backend(&args, *backend, &server_bin, &floor_bin).await?;
        all.push((*backend, findings));
    }
    println!();
    println!("## Summary");
    let rps = |backend: Backend, scenario: &str| {
        all.iter()
            .find(|(b, _)| *b == backend)
            .and_then(|(_, findings)| findings.rps(scenario))
    };
    let mut failed = 0;
    for (backend, findings) in &all {
        for (what, ok) in &findings.checks {
            println!(
                "- [{}] {}: {what}",
                if *ok { "PASS" } else { "FAIL" },
                backend.name()
            );
            failed += usize::from(!ok);
        }
        for note in &findings.notes {
            println!("- {}: {note}", backend.name());
        }
    }
    for scenario in ["event detail", "list page", "poll results"] {
        if let (Some(pg), Some(lite)) = (
            rps(Backend::Postgres, scenario),
            rps(Backend::Sqlite, scenario),
        ) {
            let ratio = lite / pg;
            let ok = ratio >= 0.5;
            failed += usize::from(!ok);
            println!(
                "- [{}] SQLite/PostgreSQL {scenario}: {:.0} / {:.0} req/s = {:.2} (target ≥ 0.5)",
                if ok { "PASS" } else { "FAIL" },
                lite,
                pg,
                ratio
            );
        }
    }
    println!("- load average at end: {}", load_average());
    if failed > 0 {
        println!("- {failed} target(s) missed");
    }
    Ok(())
}

/// Everything about one backend.
async fn bench_backend(
    args: &HttpArgs,
    backend: Backend,
    server_bin: &Path,
    floor_bin: &Path,
) -> Result<Findings, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let database_url = match backend {
        Backend::Postgres => fresh_pg_database(&args.pg_admin_url, &args.pg_database).await?,
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("gatherhub.db").display()),
    };
    let secret = format!(
        "bench-secret-{}-{:0>32}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let mut env: Vec<(&str, String)> = vec![
        ("DATABASE_URL", database_url.clone()),
        ("SECRET_KEY", secret.clone()),
        ("RATE_LIMIT_ENABLED", "false".into()),
        ("HOST", "127.0.0.1".into()),
        ("MEDIA_ROOT", dir.path().join("media").display().to_string()),
        // As in production: one JSON line per request at info.
        ("LOG_FORMAT", "json".into()),
        ("LOG_LEVEL", "info".into()),
    ];
    for (key, value) in &args.server_env {
        env.retain(|(k, _)| k != key);
        env.push((key.as_str(), value.clone()));
    }
    if !args.server_env.is_empty() {
        println!("- extra server environment: {:?}", args.server_env);
    }
    let log = dir.path().join("server.log");
    let mut findings = Findings::default();

    let (server, first_start) =
        Server::launch(server_bin, &["serve"], &env, Ready::Health, &log).await?;
    println!(
        "- first start (empty database, migrations applied): {}",
        ms(first_start)
    );
    let api = Api::new(&server.base)?;
    eprintln!("seeding {} through the API…", backend.name());
    let fixture = fixture::seed(
        &api,
        Size {
            users: args.users,
            events: args.events,
        },
    )
    .await?;
    server.stop().await?;

    // Restarts on the seeded database: process start → first 200.
    let mut starts = Vec::new();
    let mut server = None;
    for _ in 0..args.restarts.max(1) {
        if let Some(previous) = server.take() {
            Server::stop(previous).await?;
        }
        let (started, elapsed) =
            Server::launch(server_bin, &["serve"], &env, Ready::Health, &log).await?;
        starts.push(elapsed);
        server = Some(started);
    }
    let server = server.ok_or("no server")?;
    let api = Api::new(&server.base)?;
    let starts = Percentiles::new(starts);
    println!(
        "- start → first 200 on /health/ with the seeded database ({} restarts): median {}, max {}",
        starts.count(),
        ms(starts.at(50.0)),
        ms(starts.max())
    );
    if backend == Backend::Sqlite {
        findings.check(
            format!(
                "startup to first healthy /health/ on SQLite: every restart, at most {} (target < 200 ms)",
                ms(starts.max())
            ),
            starts.max() < Duration::from_millis(200),
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server.rss_kib().unwrap_or(0);
    println!("- idle RSS after start: {}", mib(idle));
    findings.check(
        format!("idle RSS {} (target < 30 MiB)", mib(idle)),
        idle < 30 * 1024,
    );

    let shape = Shape {
        connections: args.connections,
        warmup: Duration::from_secs(args.warmup_secs),
        duration: Duration::from_secs(args.duration_secs),
        pace: None,
        rate: None,
    };
    println!();
    println!(
        "| scenario | conns | req/s | p50 | p90 | p99 | max | responses | bench CPU | server CPU | server peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");

    if args.runs(Scenario::Detail) {
        let detail = Arc::new(EventDetail::new(Arc::clone(&fixture)));
        let row = measure(&server, "event detail", detail.clone(), shape).await?;
        let saturated = row.outcome.rps();
        findings.rows.push(row);
        // Latency at a steady half of the saturated rate, timed from when
        // each request was due (a closed loop at saturation only measures
        // its own queue: 64 connections / throughput).
        let paced = Shape {
            rate: Some(saturated / 2.0),
            ..shape
        };
        let row = measure(&server, "event detail at ½ load", detail, paced).await?;
        let p99 = row.outcome.latencies.at(99.0);
        findings.rows.push(row);
        findings.check(
            format!(
                "event detail p99 {} at {:.0} req/s, half the saturated rate (target < 10 ms)",
                ms(p99),
                saturated / 2.0
            ),
            p99 < Duration::from_millis(10),
        );
    }
    if args.runs(Scenario::List) {
        let list = Arc::new(EventList::new(Arc::clone(&fixture)));
        let row = measure(&server, "list page", list.clone(), shape).await?;
        let saturated = row.outcome.rps();
        findings.rows.push(row);
        let paced = Shape {
            rate: Some(saturated / 2.0),
            ..shape
        };
        let row = measure(&server, "list page at ½ load", list, paced).await?;
        let p99 = row.outcome.latencies.at(99.0);
        findings.rows.push(row);
        findings.check(
            format!(
                "list page p99 {} at {:.0} req/s, half the saturated rate (target < 25 ms)",
                ms(p99),
                saturated / 2.0
            ),
            p99 < Duration::from_millis(25),
        );
    }
    if args.runs(Scenario::Results) {
        let results = Arc::new(PollResults::new(Arc::clone(&fixture)));
        findings
            .rows
            .push(measure(&server, "poll results", results, shape).await?);
    }
    if args.runs(Scenario::Floor) && backend == Backend::Sqlite {
        // The floor is the same SQL through the async driver; SQLite has
        // none, and the layering cost is the same code on either backend.
        findings
            .notes
            .push("floor reference: PostgreSQL only (tokio-postgres)".into());
    } else if args.runs(Scenario::Floor) {
        let launched = Server::launch(
            floor_bin,
            &["floor", "--database-url", &database_url],
            &[("SECRET_KEY", secret.clone())],
            Ready::Announce,
            &dir.path().join("floor.log"),
        )
        .await;
        match launched {
            Ok((floor, _)) => {
                compare_with_floor(args, &server, &floor, &fixture, shape, &mut findings).await?;
                floor.stop().await?;
            }
            Err(error) => findings
                .notes
                .push(format!("floor reference not run: {error}")),
        }
    }
    if args.runs(Scenario::Login) {
        let login = Arc::new(Login::new(Arc::clone(&fixture)));
        findings
            .rows
            .push(measure(&server, "login", login, shape).await?);
    }
    if args.runs(Scenario::Flood) {
        login_flood(&server, &fixture, shape, &mut findings).await?;
    }
    let ledger = Arc::new(VoteLedger::new(Arc::clone(&fixture)));
    if args.runs(Scenario::Vote) {
        let votes = Arc::new(CastVote(Arc::clone(&ledger)));
        let row = measure(&server, "cast vote", votes, shape).await?;
        let server_errors = row.outcome.server_errors() + row.outcome.transport_errors;
        findings.rows.push(row);
        findings.check(
            format!("cast vote: {server_errors} 5xx/transport errors (target 0)"),
            server_errors == 0,
        );
        check_tallies(&api, &fixture, &ledger, &mut findings).await?;
    }
    if args.runs(Scenario::Create) {
        let create = Arc::new(CreateEvent::new(Arc::clone(&fixture)));
        findings
            .rows
            .push(measure(&server, "create event", create, shape).await?);
    }
    if args.runs(Scenario::Mixed) {
        let mixed = Arc::new(Mixed::new(Arc::clone(&fixture), Arc::clone(&ledger)));
        let row = measure(&server, "mixed 80/15/5", mixed, shape).await?;
        let (peak, errors) = (row.peak_rss_kib, row.outcome.server_errors());
        findings.rows.push(row);
        findings.check(
            format!(
                "RSS under mixed load at {} connections: peak {} (target < 150 MiB)",
                args.connections,
                mib(peak)
            ),
            peak < 150 * 1024,
        );
        findings.check(format!("mixed: {errors} 5xx (target 0)"), errors == 0);
        check_tallies(&api, &fixture, &ledger, &mut findings).await?;
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    findings.notes.push(format!(
        "RSS idle after all scenarios: {}",
        mib(server.rss_kib().unwrap_or(0))
    ));
    server.stop().await?;
    if backend == Backend::Postgres {
        drop_pg_database(&args.pg_admin_url, &args.pg_database).await?;
    }
    Ok(findings)
}

/// Builds a scenario's workload over the seeded fixture.
type NewWorkload = fn(Arc<Fixture>) -> Arc<dyn Workload>;

/// Event detail and list on gatherhub and on the floor reference, after
/// checking that both answer the same JSON. Each round measures each
/// scenario on both servers back to back, which goes first alternating
/// (floor, gatherhub, then gatherhub, floor, ...), and the pair gives one
/// ratio. The check is on the median of the rounds' ratios: the speed of a
/// shared two-core VM drifts by tens of percent over minutes, and a pair
/// measured seconds apart sees the same drift, where the means of all
/// rounds mix a fast minute with a slow one.
async fn compare_with_floor(
    args: &HttpArgs,
    server: &Server,
    floor: &Server,
    fixture: &Arc<Fixture>,
    shape: Shape,
    findings: &mut Findings,
) -> Result<(), String> {
    same_json(server, floor, fixture).await?;
    let scenarios: [(&str, NewWorkload); 2] = [
        ("event detail", |fixture| {
            Arc::new(EventDetail::new(fixture))
        }),
        ("list page", |fixture| Arc::new(EventList::new(fixture))),
    ];
    // Per scenario: (gatherhub req/s, floor req/s) of each round.
    let mut pairs: [Vec<(f64, f64)>; 2] = Default::default();
    for round in 0..args.floor_rounds.max(1) {
        for (index, (what, workload)) in scenarios.iter().enumerate() {
            let floor_first = (round + index) % 2 == 0;
            let order: [(&Server, bool); 2] = if floor_first {
                [(floor, true), (server, false)]
            } else {
                [(server, false), (floor, true)]
            };
            let (mut ours, mut theirs) = (0.0, 0.0);
            for (target, is_floor) in order {
                let who = if is_floor { "floor" } else { "gatherhub" };
                let label = format!("{who}: {what} (round {})", round + 1);
                let row = measure(target, &label, workload(Arc::clone(fixture)), shape).await?;
                *(if is_floor { &mut theirs } else { &mut ours }) = row.outcome.rps();
                findings.rows.push(row);
            }
            pairs[index].push((ours, theirs));
        }
    }
    for ((what, _), pairs) in scenarios.iter().zip(&pairs) {
        let ratios: Vec<f64> = pairs.iter().map(|(ours, theirs)| ours / theirs).collect();
        let middle = median(&ratios);
        let each = ratios
            .iter()
            .map(|ratio| format!("{:.0}", ratio * 100.0))
            .collect::<Vec<_>>()
            .join(", ");
        let ours: Vec<f64> = pairs.iter().map(|pair| pair.0).collect();
        let theirs: Vec<f64> = pairs.iter().map(|pair| pair.1).collect();
        findings.check(
            format!(
                "{what}: median of the rounds' ratios {:.0} % (target ≥ 80 %); rounds {each} %; \
                 means {:.0} req/s vs floor {:.0} req/s",
                middle * 100.0,
                mean(&ours),
                mean(&theirs),
            ),
            middle >= 0.8,
        );
    }
    Ok(())
}

/// Runs one load scenario against `server`, printing its table row.
async fn measure(
    server: &Server,
    scenario: &str,
    workload: Arc<dyn Workload>,
    shape: Shape,
) -> Result<Row, String> {
    let addr = server.addr()?;
    let (outcome, server_cpu, peak_rss_kib) =
        observe(server, load::run(addr, workload, shape)).await;
    let row = Row {
        scenario: scenario.to_owned(),
        connections: shape.connections,
        outcome,
        server_cpu,
        peak_rss_kib,
    };
    println!("{}", format_row(&row));
    if let Some(error) = &row.outcome.first_error {
        eprintln!("  {scenario}: first transport error: {error}");
    }
    Ok(row)
}

fn format_row(row: &Row) -> String {
    let o = &row.outcome;
    let mut responses = o.status_summary();
    if o.exhausted {
        responses.push_str(" (workload used up)");
    }
    let mut line = String::new();
    let _ = write!(
        line,
        "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {:.1} s | {:.1} s | {} |",
        row.scenario,
        row.connections,
        o.rps(),
        ms(o.latencies.at(50.0)),
        ms(o.latencies.at(90.0)),
        ms(o.latencies.at(99.0)),
        ms(o.latencies.max()),
        responses,
        o.client_cpu.as_secs_f64(),
        row.server_cpu.as_secs_f64(),
        mib(row.peak_rss_kib),
    );
    line
}

/// Runs `load` while watching the server: its CPU time over the run and its
/// peak RSS (sampled every 50 ms).
async fn observe<T>(server: &Server, load: impl Future<Output = T>) -> (T, Duration, u64) {
    let cpu_before = server.cpu_time();
    let (stop, sampler) = rss_sampler(server.pid());
    let out = load.await;
    let _ = stop.send(true);
    let peak_rss_kib = sampler.await.unwrap_or(0);
    let server_cpu = match (cpu_before, server.cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => Duration::ZERO,
    };
    (out, server_cpu, peak_rss_kib)
}

/// Samples the server's RSS every 50 ms until told to stop; returns the peak.
fn rss_sampler(pid: Option<u32>) -> (watch::Sender<bool>, tokio::task::JoinHandle<u64>) {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let Some(pid) = pid else { return 0 };
        let mut peak = 0;
        loop {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            tokio::select! {
                _ = stopped.changed() => break,
                () = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
        peak.max(rss_kib(pid).unwrap_or(0))
    });
    (stop, task)
}

/// A login flood on every connection, with two paced probes alongside
/// (one request every 10 ms each): `/health/live/` and one event's detail.
async fn login_flood(
    server: &Server,
    fixture: &Arc<Fixture>,
    shape: Shape,
    findings: &mut Findings,
) -> Result<(), String> {
    let addr = server.addr()?;
    let probe = Shape {
        connections: 1,
        pace: Some(Duration::from_millis(10)),
        ..shape
    };
    let member = fixture.member(1);
    let live: Arc<dyn Workload> = Arc::new(Fixed {
        path: "/health/live/".into(),
        auth: None,
    });
    let detail: Arc<dyn Workload> = Arc::new(Fixed {
        path: detail_path(fixture.events[0]),
        auth: Some(member.auth.clone()),
    });
    let runs = async {
        tokio::join!(
            load::run(addr, Arc::new(Login::new(Arc::clone(fixture))), shape),
            load::run(addr, live, probe),
            load::run(addr, detail, probe),
        )
    };
    let ((flood, live, detail), server_cpu, peak_rss_kib) = observe(server, runs).await;
    let (live99, detail99) = (live.latencies.at(99.0), detail.latencies.at(99.0));
    let (live_failures, detail_failures) = (live.failures(), detail.failures());
    for (name, outcome, connections) in [
        ("login flood", flood, shape.connections),
        ("└ probe /health/live/ (every 10 ms)", live, 1),
        ("└ probe event detail (every 10 ms)", detail, 1),
    ] {
        let row = Row {
            scenario: name.to_owned(),
            connections,
            outcome,
            server_cpu,
            peak_rss_kib,
        };
        println!("{}", format_row(&row));
        findings.rows.push(row);
    }
    findings.check(
        format!(
            "during the login flood: /health/live/ p99 {} ({live_failures} failed), event detail p99 {} ({detail_failures} failed) (target < 20 ms)",
            ms(live99),
            ms(detail99)
        ),
        live99 < Duration::from_millis(20)
            && detail99 < Duration::from_millis(20)
            && live_failures + detail_failures == 0,
    );
    Ok(())
}

/// Every vote poll's results must show exactly the votes that got a 201.
async fn check_tallies(
    api: &Api,
    fixture: &Fixture,
    ledger: &VoteLedger,
    findings: &mut Findings,
) -> Result<(), String> {
    let viewer = &fixture.members[0].user;
    let mut wrong = Vec::new();
    let mut counted = 0;
    for (poll, expected) in ledger.expected() {
        let results = api.results(viewer, poll.id).await?;
        let votes = |option: i64| {
            results["options"]
                .as_array()
                .and_then(|options| options.iter().find(|o| o["id"].as_i64() == Some(option)))
                .and_then(|o| o["votes"].as_u64())
        };
        let actual = [votes(poll.options[0]), votes(poll.options[1])];
        counted += expected[0] + expected[1];
        if actual != [Some(expected[0]), Some(expected[1])] {
            wrong.push(format!(
                "poll {}: expected {expected:?}, got {actual:?}",
                poll.id
            ));
        }
    }
    let (used, capacity) = ledger.used();
    findings.check(
        format!(
            "tallies of {} polls match the {counted} accepted votes ({used} of {capacity} fresh pairs used, {} changed-vote answers){}",
            fixture.vote_polls.len(),
            ledger.changed(),
            if wrong.is_empty() {
                String::new()
            } else {
                format!(": {}", wrong.join("; "))
            }
        ),
        wrong.is_empty() && ledger.changed() == 0,
    );
    Ok(())
}

/// Refuses to compare against a floor that answers differently: the same
/// detail and list page, as the same user, must be the same JSON (links
/// aside, which name each server's own address).
async fn same_json(server: &Server, floor: &Server, fixture: &Fixture) -> Result<(), String> {
    let ours = Api::new(&server.base)?;
    let theirs = Api::new(&floor.base)?;
    let viewer = &fixture.members[3].user;
    let paths = [
        detail_path(fixture.events[0]),
        detail_path(fixture.events[fixture.events.len() - 1]),
        list_path(1),
        list_path(2),
    ];
    for path in paths {
        let (a_status, a) = ours.get(&path, viewer).await?;
        let (b_status, b) = theirs.get(&path, viewer).await?;
        let b = rebase(b, &floor.base, &server.base);
        if a_status != b_status || a != b {
            return Err(format!(
                "the floor reference answers {path} differently:\n  gatherhub {a_status}: {a}\n  floor     {b_status}: {b}"
            ));
        }
    }
    println!("- floor reference: same JSON as gatherhub for detail and list pages (checked)");
    Ok(())
}

fn rebase(value: Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(from, to)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| rebase(v, from, to)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, rebase(v, from, to)))
                .collect(),
        ),
        other => other,
    }
}

async fn pg_admin(admin_url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("PostgreSQL at {admin_url}: {e}"))?;
    tokio::spawn(connection);
    Ok(client)
}

/// Drops and re-creates the bench database; returns its URL.
async fn fresh_pg_database(admin_url: &str, name: &str) -> Result<String, String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "database name {name:?}: letters, digits and _ only"
        ));
    }
    drop_pg_database(admin_url, name).await?;
    let client = pg_admin(admin_url).await?;
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| format!("create database {name}: {e}"))?;
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .ok_or("--pg-admin-url must end with /<database>")?;
    Ok(format!("{base}/{name}"))
}

async fn drop_pg_database(admin_url: &str, name: &str) -> Result<(), String> {
    let client = pg_admin(admin_url).await?;
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .map_err(|e| format!("drop database {name}: {e}"))
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() {
        assert_eq!(median(&[0.9, 0.7, 1.2]), 0.9);
        assert_eq!(median(&[0.5, 1.0, 0.25, 0.75]), 0.625);
        assert_eq!(median(&[0.75]), 0.75);
        assert!(median(&[]).is_nan());
    }
}
