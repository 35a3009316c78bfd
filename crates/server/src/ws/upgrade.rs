//! The upgrade request of each stream: refuses foreign origins (403), invalid
//! tokens (401, before any upgrade) and anonymous callers of `/ws/tasks/`,
//! then hands the socket to its connection task.
//!
//! The token comes from `Authorization: Bearer` or, for browsers that cannot
//! set headers on a WebSocket, `?token=`. The request log records only the
//! path, so the token is never written anywhere.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, ORIGIN};
use actix_web::{HttpRequest, HttpResponse, web};
use gatherhub_app::{App, AppError};
use gatherhub_ports::Stream;

use super::WsHub;
use super::connection::Connection;
use super::settings::MAX_FRAME_BYTES;
use crate::http::ApiError;
use crate::shutdown::Shutdown;

type Upgrade = Result<HttpResponse, ApiError>;

pub async fn events(
    req: HttpRequest,
    body: web::Payload,
    app: web::Data<App>,
    hub: web::Data<WsHub>,
    shutdown: web::Data<Shutdown>,
) -> Upgrade {
    upgrade(Stream::Events, req, body, app, hub, shutdown).await
}

pub async fn tasks(
    req: HttpRequest,
    body: web::Payload,
    app: web::Data<App>,
    hub: web::Data<WsHub>,
    shutdown: web::Data<Shutdown>,
) -> Upgrade {
    upgrade(Stream::Tasks, req, body, app, hub, shutdown).await
}

pub async fn voting(
    req: HttpRequest,
    body: web::Payload,
    app: web::Data<App>,
    hub: web::Data<WsHub>,
    shutdown: web::Data<Shutdown>,
) -> Upgrade {
    upgrade(Stream::Voting, req, body, app, hub, shutdown).await
}

async fn upgrade(
    stream: Stream,
    req: HttpRequest,
    body: web::Payload,
    app: web::Data<App>,
    hub: web::Data<WsHub>,
    shutdown: web::Data<Shutdown>,
) -> Upgrade {
    if !origin_allowed(&req, &hub.allowed_origins) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This origin may not open WebSockets here.",
        ));
    }
    // Subscribed before the token is checked: a logout that commits after
    // the check publishes its revocation after this point, so the socket
    // hears of it; one that committed before fails the check. Either way no
    // revoked session keeps a socket. (Nothing published after the upgrade
    // is answered is missed either.)
    let subscription = hub.fabric.subscribe();
    let presented = token(&req).map_err(|InvalidToken| ApiError::from(AppError::TokenInvalid))?;
    let principal = match presented {
        Some(token) => Some(app.auth.authenticate(&token).await?),
        None if stream == Stream::Tasks => return Err(ApiError::unauthorized()),
        None => None,
    };
    if shutdown.is_triggered() {
        return Err(ApiError::unavailable());
    }
    let (response, session, frames) = actix_ws::handle(&req, body)
        .map_err(|error| ApiError::for_status(error.as_response_error().status_code()))?;
    let (id, guard) = hub.next_connection();
    let connection = Connection {
        stream,
        principal,
        id,
        app: app.clone(),
        hub: hub.clone(),
        shutdown: shutdown.get_ref().clone(),
        guard,
    };
    let frames = frames.max_frame_size(MAX_FRAME_BYTES);
    actix_web::rt::spawn(connection.run(session, frames, subscription));
    Ok(response)
}

/// The access token of the upgrade request, if any: the `Authorization`
/// header wins over `?token=`. A malformed header or an empty `token` is an
/// invalid token, never anonymous.
fn token(req: &HttpRequest) -> Result<Option<String>, InvalidToken> {
    if let Some(value) = req.headers().get(AUTHORIZATION) {
        let bearer = value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, token)| {
                scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
            })
            .map(|(_, token)| token.trim().to_owned());
        return bearer.map(Some).ok_or(InvalidToken);
    }
    let query = url::form_urlencoded::parse(req.query_string().as_bytes());
    match query.into_iter().find(|(key, _)| key == "token") {
        Some((_, token)) if token.trim().is_empty() => Err(InvalidToken),
        Some((_, token)) => Ok(Some(token.trim().to_owned())),
        None => Ok(None),
    }
}

/// A token is present but cannot be one (401 `token_invalid`).
struct InvalidToken;

/// No `Origin` (not a browser), the server's own origin, or an allowed one.
fn origin_allowed(req: &HttpRequest, allowed: &[String]) -> bool {
    let Some(origin) = req.headers().get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    origin.eq_ignore_ascii_case(&own) || allowed.iter().any(|a| origin.eq_ignore_ascii_case(a))
}
