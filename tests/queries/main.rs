//! How many SQL statements each HTTP endpoint of the contract sends, on
//! PostgreSQL and on SQLite, whatever `GATHERHUB_TEST_DATABASE` says: the
//! real server, seeded through the API with more rows than the largest page
//! measured, then one request at a time, each statement counted through
//! diesel's instrumentation. Transaction control (`BEGIN`, `COMMIT`,
//! `ROLLBACK`, savepoints), connection set-up (`PRAGMA`, `SET`) and the
//! pool's health check of a reused connection (`SELECT $1`) are not counted.
//!
//! The counts must equal the table below (a change of any endpoint's cost
//! fails here, to be reviewed and the table updated), lists must cost the
//! same at 5 and at 50 a page (no N+1), and the performance issue's targets
//! hold: an authenticated event detail in at most 2 statements, an event
//! list page in at most 3. `cargo test -p gatherhub-e2e --test queries --
//! --nocapture` prints the table.
//!
//! Its own test binary with a single test, because the instrumentation hook
//! is process-wide and must be installed before any connection is opened.
//! Needs the PostgreSQL test server (`GATHERHUB_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), as the `postgres`
//! backend of the other suites does.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::sync::Mutex;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use gatherhub_e2e::{TestApp, TestUser, expect_status, hours_from_now};
use gatherhub_postgres::testing::TestDb;
use gatherhub_server::Settings;
use gatherhub_server::config::{DatabaseUrl, PoolSettings, Secret};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The beginning of each counted statement sent by any connection of this
/// process, in order.
static SENT: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn sent() -> std::sync::MutexGuard<'static, Vec<String>> {
    SENT.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether a statement counts: neither transaction control, nor connection
/// set-up, nor the pool's health check.
fn counted(sql: &str) -> bool {
    let text = sql.split(" -- binds:").next().unwrap_or(sql).trim();
    let upper = text.to_ascii_uppercase();
    let control = [
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "PRAGMA",
        "SET ",
    ];
    !(control.iter().any(|c| upper.starts_with(c)) || upper == "SELECT $1" || upper == "SELECT 1")
}

fn counting() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            if counted(&sql) {
                sent().push(sql.chars().take(120).collect());
            }
        }
    }))
}

/// How long after a response statements are still attributed to its request
/// (nothing should come: the use cases finish their work before answering).
const SETTLE: Duration = Duration::from_millis(30);

/// Rows seeded for each list: more than the largest page measured.
const ROWS: usize = 55;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    Sqlite,
}

/// Endpoint, then the statements it costs on PostgreSQL and on SQLite, with
/// the repository calls behind them ("auth" is the session lookup of the
/// bearer token, 1 statement). The SQLite adapter builds a list page in one
/// statement (the list's size is a count subquery) where PostgreSQL counts
/// first; a change to a public event is announced to everyone, while joins,
/// leaves, tasks and votes are announced to the event's members (one member
/// page). See each adapter's crate docs for the cost of every method.
const EXPECTED: &[(&str, usize, usize)] = &[
    // find_by_login, record_login, create_session
    ("POST /auth/login/", 3, 3),
    // rotate (the refresh token names the session; no access token)
    ("POST /auth/refresh/", 1, 1),
    // auth, users.get
    ("GET /auth/profile/", 2, 2),
    // auth, list_events (PostgreSQL: count, page; SQLite: page)
    ("GET /events/?page_size=5", 3, 2),
    ("GET /events/?page_size=50", 3, 2),
    // list_events
    ("GET /events/?page_size=50 (anonymous)", 2, 1),
    // auth, get_event
    ("GET /events/{id}/", 2, 2),
    // get_event
    ("GET /events/{id}/ (anonymous)", 1, 1),
    // auth, create_event (3)
    ("POST /events/", 4, 4),
    // auth, get_event, update_event (3: event, update, view)
    ("PATCH /events/{id}/", 5, 5),
    // auth, get_event, join_event (4), list_members (PostgreSQL 2, SQLite 1)
    ("POST /events/{id}/join/", 8, 7),
    // auth, get_event, leave_event promoting one (PostgreSQL 6, SQLite 7),
    // users.get, list_members (PostgreSQL 2, SQLite 1)
    ("POST /events/{id}/leave/", 11, 11),
    // auth, get_event, list_members
    ("GET /events/{id}/members/?page_size=5", 4, 3),
    ("GET /events/{id}/members/?page_size=50", 4, 3),
    // auth, list_tasks
    ("GET /tasks/?page_size=5", 3, 2),
    ("GET /tasks/?page_size=50", 3, 2),
    // auth, get_task, get_event
    ("GET /tasks/{id}/", 3, 3),
    // auth, get_event, create_task without assignee (3), list_members
    ("POST /tasks/", 7, 6),
    // auth, list_polls
    ("GET /voting/?page_size=5", 3, 2),
    ("GET /voting/?page_size=50", 3, 2),
    // auth, get_poll, get_event
    ("GET /voting/{id}/", 3, 3),
    // auth, get_poll, get_event, poll_voters (PostgreSQL: 2 for a poll
    // without votes, the votes then whether the poll exists; SQLite: 1)
    ("GET /voting/{id}/results/", 5, 4),
    // auth, get_poll, get_event, cast_vote (PostgreSQL 5, SQLite 4), the
    // results (get_poll, get_event, poll_voters), list_members
    ("POST /voting/{id}/vote/", 13, 11),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_per_endpoint() {
    // Before any connection: diesel gives each new connection the default.
    set_default_instrumentation(counting).expect("the instrumentation hook");
    let postgres = measure(Backend::Postgres).await;
    let sqlite = measure(Backend::Sqlite).await;

    let count = |measured: &[Measured], label: &str| {
        measured
            .iter()
            .find(|m| m.label == label)
            .map(|m| m.statements.len())
    };
    println!("\n| endpoint | PostgreSQL | SQLite |\n|---|---|---|");
    for m in &postgres {
        let cell = |n: Option<usize>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
        println!(
            "| `{}` | {} | {} |",
            m.label,
            cell(count(&postgres, &m.label)),
            cell(count(&sqlite, &m.label))
        );
    }
    println!();

    let labels: Vec<&str> = postgres.iter().map(|m| m.label.as_str()).collect();
    let documented: Vec<&str> = EXPECTED.iter().map(|(l, ..)| *l).collect();
    assert_eq!(
        labels, documented,
        "every measured endpoint is in the table"
    );
    let mut wrong = Vec::new();
    for (label, pg, lite) in EXPECTED {
        for (backend, measured, expected) in
            [("PostgreSQL", &postgres, pg), ("SQLite", &sqlite, lite)]
        {
            let Some(m) = measured.iter().find(|m| m.label == *label) else {
                wrong.push(format!("{label} on {backend}: not measured"));
                continue;
            };
            if m.statements.len() != *expected {
                wrong.push(format!(
                    "{label} on {backend}: {} statements, expected {expected}:\n    {}",
                    m.statements.len(),
                    m.statements.join("\n    ")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "statement counts changed (update the table if intended):\n{}",
        wrong.join("\n")
    );

    for measured in [&postgres, &sqlite] {
        let n = |label: &str| count(measured, label).unwrap();
        for list in ["/events/", "/events/{id}/members/", "/tasks/", "/voting/"] {
            assert_eq!(
                n(&format!("GET {list}?page_size=5")),
                n(&format!("GET {list}?page_size=50")),
                "GET {list} costs the same whatever the page size"
            );
        }
        assert!(n("GET /events/{id}/") <= 2, "event detail in at most 2");
        assert!(
            n("GET /events/?page_size=50") <= 3,
            "event list in at most 3"
        );
    }
}

/// What one request sent.
struct Measured {
    label: String,
    statements: Vec<String>,
}

/// Storage that lives as long as the app.
enum Scratch {
    Sqlite(#[expect(dead_code, reason = "held to be dropped")] tempfile::TempDir),
    Postgres(#[expect(dead_code, reason = "held to be dropped")] TestDb),
}

async fn spawn(backend: Backend, media: &tempfile::TempDir) -> (TestApp, Scratch) {
    let (database_url, scratch) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("gatherhub.db").display());
            (DatabaseUrl::Sqlite(url), Scratch::Sqlite(dir))
        }
        Backend::Postgres => {
            let db = TestDb::create().await;
            let url = DatabaseUrl::Postgres(Secret::new(db.url()));
            (url, Scratch::Postgres(db))
        }
    };
    let settings = Settings {
        host: "127.0.0.1".into(),
        port: 0,
        media_root: media.path().to_path_buf(),
        database_url,
        rate_limit_enabled: false,
        pool: PoolSettings {
            max_size: 8,
            wait_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
        },
        ..Settings::default()
    };
    (TestApp::spawn_with(settings).await, scratch)
}

/// Sends requests one at a time and records what each one cost.
struct Meter<'a> {
    app: &'a TestApp,
    rows: Vec<Measured>,
}

impl Meter<'_> {
    async fn call(
        &mut self,
        label: &str,
        (method, path): (Method, &str),
        body: Option<&Value>,
        token: Option<&str>,
        status: StatusCode,
    ) -> Value {
        let before = sent().len();
        let response = self.app.request(method, path, body, token).await;
        let body = expect_status(response, status).await;
        tokio::time::sleep(SETTLE).await;
        let statements = sent().split_off(before);
        self.rows.push(Measured {
            label: label.to_owned(),
            statements,
        });
        body
    }
}

fn id(body: &Value) -> i64 {
    body["id"].as_i64().expect("an id")
}

async fn post(
    app: &TestApp,
    path: &str,
    body: &Value,
    user: &TestUser,
    status: StatusCode,
) -> Value {
    expect_status(app.post(path, body, Some(&user.access)).await, status).await
}

async fn measure(backend: Backend) -> Vec<Measured> {
    let media = tempfile::tempdir().expect("temporary media directory");
    let (mut app, scratch) = spawn(backend, &media).await;
    let app_ref = &app;

    // Seeding, not measured: an organizer, ROWS members of event `a`, ROWS
    // events, and ROWS tasks and polls in `a`; event `b` (capacity 3) has the
    // organizer and one member going.
    let olga = app_ref.register("olga").await;
    let mut members = Vec::new();
    for i in 0..ROWS {
        members.push(app_ref.register(&format!("member{i:02}")).await);
    }
    let a = id(&app_ref.create_event(&olga, json!({"title": "Main"})).await);
    let b = id(&app_ref
        .create_event(&olga, json!({"title": "Small", "max_participants": 3}))
        .await);
    for i in 2..ROWS {
        app_ref
            .create_event(&olga, json!({"title": format!("Event {i}")}))
            .await;
    }
    for member in &members {
        post(
            app_ref,
            &format!("/api/v1/events/{a}/join/"),
            &json!({}),
            member,
            StatusCode::CREATED,
        )
        .await;
    }
    let mut task = 0;
    let mut poll = 0;
    for i in 0..ROWS {
        let body = json!({"event": a, "title": format!("Task {i}")});
        task = id(&post(app_ref, "/api/v1/tasks/", &body, &olga, StatusCode::CREATED).await);
        let body = json!({"event": a, "title": format!("Poll {i}"),
            "options": [{"text": "Yes"}, {"text": "No"}]});
        poll = id(&post(
            app_ref,
            "/api/v1/voting/",
            &body,
            &olga,
            StatusCode::CREATED,
        )
        .await);
    }
    let (first, second, third, voter) = (&members[0], &members[1], &members[2], &members[3]);
    post(
        app_ref,
        &format!("/api/v1/events/{b}/join/"),
        &json!({}),
        first,
        StatusCode::CREATED,
    )
    .await;
    // Whatever the seeding left running (there should be nothing) ends here.
    tokio::time::sleep(SETTLE * 4).await;

    let mut m = Meter {
        app: app_ref,
        rows: Vec::new(),
    };
    let login = json!({"username": "olga", "password": olga.password});
    let tokens = m
        .call(
            "POST /auth/login/",
            (Method::POST, "/api/v1/auth/login/"),
            Some(&login),
            None,
            StatusCode::OK,
        )
        .await;
    let refresh = json!({"refresh": tokens["refresh"]});
    let tokens = m
        .call(
            "POST /auth/refresh/",
            (Method::POST, "/api/v1/auth/refresh/"),
            Some(&refresh),
            None,
            StatusCode::OK,
        )
        .await;
    let token = tokens["access"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let olga_token = Some(token.as_str());
    let profile = m
        .call(
            "GET /auth/profile/",
            (Method::GET, "/api/v1/auth/profile/"),
            None,
            olga_token,
            StatusCode::OK,
        )
        .await;
    assert_eq!(profile["username"], "olga");

    for size in [5, 50] {
        let path = format!("/api/v1/events/?page_size={size}");
        let page = m
            .call(
                &format!("GET /events/?page_size={size}"),
                (Method::GET, &path),
                None,
                olga_token,
                StatusCode::OK,
            )
            .await;
        assert_full_page(&page, size);
    }
    let page = m
        .call(
            "GET /events/?page_size=50 (anonymous)",
            (Method::GET, "/api/v1/events/?page_size=50"),
            None,
            None,
            StatusCode::OK,
        )
        .await;
    assert_full_page(&page, 50);
    let detail = format!("/api/v1/events/{a}/");
    let event = m
        .call(
            "GET /events/{id}/",
            (Method::GET, &detail),
            None,
            olga_token,
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (
            event["participant_count"].as_i64(),
            &event["membership"]["role"]
        ),
        (Some(ROWS as i64 + 1), &json!("organizer"))
    );
    m.call(
        "GET /events/{id}/ (anonymous)",
        (Method::GET, &detail),
        None,
        None,
        StatusCode::OK,
    )
    .await;
    let new_event = json!({"title": "Another", "date": hours_from_now(48)});
    m.call(
        "POST /events/",
        (Method::POST, "/api/v1/events/"),
        Some(&new_event),
        olga_token,
        StatusCode::CREATED,
    )
    .await;
    let rename = json!({"title": "Renamed"});
    m.call(
        "PATCH /events/{id}/",
        (Method::PATCH, &detail),
        Some(&rename),
        olga_token,
        StatusCode::OK,
    )
    .await;

    let join = format!("/api/v1/events/{b}/join/");
    let joined = m
        .call(
            "POST /events/{id}/join/",
            (Method::POST, &join),
            Some(&json!({})),
            Some(&second.access),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(joined["status"], "going");
    let waiting = post(app_ref, &join, &json!({}), third, StatusCode::CREATED).await;
    assert_eq!(waiting["status"], "waitlisted");
    tokio::time::sleep(SETTLE).await;
    let leave = format!("/api/v1/events/{b}/leave/");
    m.call(
        "POST /events/{id}/leave/",
        (Method::POST, &leave),
        Some(&json!({})),
        Some(&second.access),
        StatusCode::OK,
    )
    .await;
    let small = app_ref
        .get(&format!("/api/v1/events/{b}/"), Some(&third.access))
        .await;
    let small = expect_status(small, StatusCode::OK).await;
    assert_eq!(
        small["membership"]["status"], "going",
        "the leave promoted the waitlisted member"
    );

    for size in [5, 50] {
        let path = format!("/api/v1/events/{a}/members/?page_size={size}");
        let page = m
            .call(
                &format!("GET /events/{{id}}/members/?page_size={size}"),
                (Method::GET, &path),
                None,
                olga_token,
                StatusCode::OK,
            )
            .await;
        assert_full_page(&page, size);
    }
    for size in [5, 50] {
        let path = format!("/api/v1/tasks/?page_size={size}");
        let page = m
            .call(
                &format!("GET /tasks/?page_size={size}"),
                (Method::GET, &path),
                None,
                olga_token,
                StatusCode::OK,
            )
            .await;
        assert_full_page(&page, size);
    }
    m.call(
        "GET /tasks/{id}/",
        (Method::GET, &format!("/api/v1/tasks/{task}/")),
        None,
        olga_token,
        StatusCode::OK,
    )
    .await;
    let new_task = json!({"event": a, "title": "One more"});
    m.call(
        "POST /tasks/",
        (Method::POST, "/api/v1/tasks/"),
        Some(&new_task),
        olga_token,
        StatusCode::CREATED,
    )
    .await;

    for size in [5, 50] {
        let path = format!("/api/v1/voting/?page_size={size}");
        let page = m
            .call(
                &format!("GET /voting/?page_size={size}"),
                (Method::GET, &path),
                None,
                olga_token,
                StatusCode::OK,
            )
            .await;
        assert_full_page(&page, size);
    }
    let poll_path = format!("/api/v1/voting/{poll}/");
    let view = m
        .call(
            "GET /voting/{id}/",
            (Method::GET, &poll_path),
            None,
            olga_token,
            StatusCode::OK,
        )
        .await;
    let option = view["options"][0]["id"].as_i64().expect("an option id");
    let results = format!("/api/v1/voting/{poll}/results/");
    m.call(
        "GET /voting/{id}/results/",
        (Method::GET, &results),
        None,
        olga_token,
        StatusCode::OK,
    )
    .await;
    let vote = format!("/api/v1/voting/{poll}/vote/");
    let tally = m
        .call(
            "POST /voting/{id}/vote/",
            (Method::POST, &vote),
            Some(&json!({"option_id": option})),
            Some(&voter.access),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(tally["total_voters"], 1);

    // Nothing runs in the background: an idle server sends no statement.
    let before = sent().len();
    tokio::time::sleep(SETTLE * 10).await;
    assert_eq!(
        sent().split_off(before),
        Vec::<String>::new(),
        "statements while idle on {backend:?}"
    );
    let rows = m.rows;
    app.stop().await;
    drop(scratch);
    rows
}

/// A page of `size` results out of more.
fn assert_full_page(page: &Value, size: usize) {
    let results = page["results"].as_array().expect("results");
    assert_eq!(results.len(), size, "a full page");
    assert!(
        page["count"].as_u64().expect("count") > 50,
        "more rows than the largest page"
    );
}
