//! The floor reference: a minimal actix-web server answering only
//! `GET /api/v1/events/{id}/` and `GET /api/v1/events/?page=N&page_size=M`
//! for a bearer-token caller, with the same token checks, the same SQL and
//! the same JSON as the real server, but none of its layers (ports, app,
//! diesel, middleware). The real server's throughput relative to this one is
//! what the layering costs.
//!
//! Each request holds one database connection for all its statements
//! (session lookup, then the event, or the count and the page); statements
//! of different requests are never pipelined on one connection, as the real
//! server does for a `GET` (it holds one connection for the whole request:
//! `hold_connection` in gatherhub-postgres). Each worker has its own pool,
//! an even share of `--pool-size`, whose connections it opens and so drives
//! itself, as the real server's pool is split per worker (a connection
//! driven by another worker's thread costs a wake-up of that thread and a
//! context switch each way per statement).
//!
//! PostgreSQL only: a `sqlite://` URL is refused.

mod dto;
mod jwt;
mod pg;

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use clap::Args;

use dto::{ErrorBody, EventDto, PageRequest, Paginated};
use jwt::{TokenError, Verifier};
use pg::PgPool;

/// `gatherhub-bench floor`: where the data is and how tokens are signed.
#[derive(Args, Debug)]
pub struct FloorArgs {
    /// The database the real server uses: `postgres://user@host:port/db`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The real server's SECRET_KEY (HS256 signing key of its tokens).
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: String,
    /// Database connections in all, as the real server's DATABASE_POOL_SIZE,
    /// split evenly between the workers.
    #[arg(long, default_value_t = 16)]
    pub pool_size: usize,
}

/// The authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Viewer {
    pub(crate) user_id: i64,
    pub(crate) is_staff: bool,
}

/// What a request's session lookup found, and then its answer.
#[derive(Debug)]
pub(crate) enum Answer<T> {
    /// No live session of an active user: `token_revoked`.
    Revoked,
    /// The session belongs to another user than the token's: `token_invalid`.
    Mismatch,
    Found(T),
}

/// What each worker has: the shared verifier and its own pool.
struct Floor {
    verifier: Arc<Verifier>,
    store: PgPool,
}

/// Runs the floor server until the process is stopped: binds 127.0.0.1 on a
/// free port, prints `listening <port>` on stdout once bound, and serves
/// with actix-web's default worker count (the real server's too), each
/// worker with its own pool. Builds its own actix system, so call it
/// outside any runtime.
pub fn serve(args: FloorArgs) -> Result<(), String> {
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: FloorArgs) -> Result<(), String> {
    let verifier = Arc::new(Verifier::new(args.secret_key.as_bytes())?);
    let url = args.database_url.trim();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err("the floor needs a postgres:// database URL".to_owned());
    }
    // Its connection stays idle: each worker opens its own.
    let probe = Arc::new(PgPool::new(url, 1)?);
    probe.check().await?;
    // actix-web's default worker count, as the real server's.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let per_worker = args.pool_size.div_ceil(workers).max(1);
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind 127.0.0.1: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .port();
    let server = actix_web::HttpServer::new(move || {
        // Runs once per worker: each gets its own pool.
        let floor = Floor {
            verifier: Arc::clone(&verifier),
            store: probe.sibling(per_worker),
        };
        actix_web::App::new()
            .app_data(web::Data::new(floor))
            .route("/api/v1/events/", web::get().to(list_events))
            .route("/api/v1/events/{id}/", web::get().to(get_event))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(Refusal::NOT_FOUND)
            }))
    })
    .workers(workers)
    .listen(listener)
    .map_err(|e| format!("cannot listen: {e}"))?
    .disable_signals()
    .run();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening {port}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("stdout: {e}"))?;
    drop(stdout);
    server.await.map_err(|e| format!("server: {e}"))
}

/// An error answer in the contract's shape, with the real server's code and
/// message for the same case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
}

impl Refusal {
    const UNAUTHORIZED: Self = Self::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Authentication credentials were not provided.",
    );
    const TOKEN_INVALID: Self = Self::new(
        StatusCode::UNAUTHORIZED,
        "token_invalid",
        "Token is invalid.",
    );
    const TOKEN_EXPIRED: Self = Self::new(
        StatusCode::UNAUTHORIZED,
        "token_expired",
        "Token has expired.",
    );
    const TOKEN_REVOKED: Self = Self::new(
        StatusCode::UNAUTHORIZED,
        "token_revoked",
        "Token has been revoked.",
    );
    const NOT_FOUND: Self = Self::new(StatusCode::NOT_FOUND, "not_found", "Not found.");
    const EVENT_NOT_FOUND: Self = Self::new(StatusCode::NOT_FOUND, "not_found", "Event not found.");
    const BAD_QUERY: Self = Self::new(
        StatusCode::BAD_REQUEST,
        "validation_error",
        "Invalid input (the floor takes only page and page_size, numbers from 1).",
    );
    const INTERNAL: Self = Self::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "An internal error occurred.",
    );

    const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
        }
    }

    /// A database failure: logged (never sent), answered 500.
    fn internal(detail: &str) -> Self {
        eprintln!("floor: {detail}");
        Self::INTERNAL
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl actix_web::ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(ErrorBody::new(self.code, self.message))
    }
}

/// The bearer token of an `Authorization` header: `None` when there is no
/// header, an error when it is not `Bearer <token>` (as the real server).
fn bearer(header: Option<&[u8]>) -> Result<Option<&str>, Refusal> {
    let Some(value) = header else {
        return Ok(None);
    };
    std::str::from_utf8(value)
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| Some(token.trim()))
        .ok_or(Refusal::TOKEN_INVALID)
}

/// The caller's verified token: user and session.
fn credentials(req: &HttpRequest, verifier: &Verifier) -> Result<jwt::Verified, Refusal> {
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    let token = bearer(header)?.ok_or(Refusal::UNAUTHORIZED)?;
    verifier
        .verify(token, Utc::now().timestamp())
        .map_err(|refusal| match refusal {
            TokenError::Invalid => Refusal::TOKEN_INVALID,
            TokenError::Expired => Refusal::TOKEN_EXPIRED,
        })
}

/// The 401s of a session lookup that found no usable session.
fn found<T>(answer: Answer<T>) -> Result<T, Refusal> {
    match answer {
        Answer::Found(value) => Ok(value),
        Answer::Revoked => Err(Refusal::TOKEN_REVOKED),
        Answer::Mismatch => Err(Refusal::TOKEN_INVALID),
    }
}

async fn get_event(req: HttpRequest, floor: web::Data<Floor>) -> Result<HttpResponse, Refusal> {
    let caller = credentials(&req, &floor.verifier)?;
    let id = req
        .match_info()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok())
        .ok_or(Refusal::NOT_FOUND)?;
    let answer = floor
        .store
        .detail(caller.user_id, &caller.session_id, id)
        .await
        .map_err(|detail| Refusal::internal(&detail))?;
    let (viewer, row) = found(answer)?;
    let row = row
        .filter(|row| row.visible_to(viewer.is_staff))
        .ok_or(Refusal::EVENT_NOT_FOUND)?;
    Ok(HttpResponse::Ok().json(EventDto::new(row, Utc::now())))
}

/// Only `page` and `page_size`: the floor has no filters or orderings, so
/// anything else is refused rather than silently ignored.
fn page_of(query: &str) -> Option<PageRequest> {
    let mut page = None;
    let mut size = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "page" => page = Some(value),
            "page_size" => size = Some(value),
            _ => return None,
        }
    }
    PageRequest::parse(page.as_deref(), size.as_deref())
}

async fn list_events(req: HttpRequest, floor: web::Data<Floor>) -> Result<HttpResponse, Refusal> {
    let caller = credentials(&req, &floor.verifier)?;
    let page = page_of(req.query_string()).ok_or(Refusal::BAD_QUERY)?;
    let answer = floor
        .store
        .list(caller.user_id, &caller.session_id, page)
        .await
        .map_err(|detail| Refusal::internal(&detail))?;
    let (total, rows) = found(answer)?;
    let now = Utc::now();
    let results = rows
        .into_iter()
        .map(|row| EventDto::new(row, now))
        .collect();
    let info = req.connection_info();
    let link = |number| {
        dto::page_link(
            info.scheme(),
            info.host(),
            req.path(),
            req.query_string(),
            number,
        )
    };
    Ok(HttpResponse::Ok().json(Paginated::new(page, total, results, link)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_like_the_real_server() {
        assert_eq!(bearer(None), Ok(None));
        assert_eq!(bearer(Some(b"Bearer abc")), Ok(Some("abc")));
        assert_eq!(bearer(Some(b"bearer  abc ")), Ok(Some("abc")));
        for bad in [&b"Basic abc"[..], b"Bearer", b"Bearer   ", b"Bearer \xff"] {
            assert_eq!(bearer(Some(bad)), Err(Refusal::TOKEN_INVALID), "{bad:?}");
        }
    }

    #[test]
    fn only_page_parameters_are_taken() {
        assert_eq!(
            page_of("page=2&page_size=5"),
            Some(PageRequest { page: 2, size: 5 })
        );
        assert_eq!(page_of(""), Some(PageRequest { page: 1, size: 20 }));
        assert_eq!(page_of("page=1&search=x"), None);
        assert_eq!(page_of("page=0"), None);
    }

    #[test]
    fn refusals_have_the_contract_shape() {
        let response = actix_web::ResponseError::error_response(&Refusal::TOKEN_REVOKED);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response
                .headers()
                .get(WWW_AUTHENTICATE)
                .map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
        let json = serde_json::to_value(ErrorBody::new(
            Refusal::EVENT_NOT_FOUND.code,
            Refusal::EVENT_NOT_FOUND.message,
        ))
        .unwrap();
        assert_eq!(json["error"], "not_found");
        assert_eq!(json["message"], "Event not found.");
        assert!(json["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}
