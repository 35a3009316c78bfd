//! Membership routes of an event: joining, leaving, the member list, members
//! managed by the organizer, and presence.

use actix_web::{HttpRequest, HttpResponse, web};
use gatherhub_app::App;
use gatherhub_domain::{EventId, UserId};

use super::dto::{AddMemberRequest, LeftDto, MemberDto, PresenceDto};
use crate::dto::UserSummaryDto;
use crate::http::{
    ApiError, ApiJson, AuthUser, ErrorBody, MaybeUser, PageQuery, Paginated, method_not_allowed,
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events/{id}/join/")
            .route(web::post().to(join_event))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/events/{id}/leave/")
            .route(web::post().to(leave_event))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/events/{id}/members/")
            .route(web::get().to(list_event_members))
            .route(web::post().to(add_event_member))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/events/{id}/members/{user_id}/")
            .route(web::delete().to(remove_event_member))
            .default_service(method_not_allowed("DELETE")),
    )
    .service(
        web::resource("/events/{id}/presence/")
            .route(web::get().to(get_event_presence))
            .default_service(method_not_allowed("GET")),
    );
}

/// Joins an event: `going` while there is room, else `waitlisted` with a
/// 1-based FIFO position. No body is read.
#[utoipa::path(
    post, path = "/api/v1/events/{id}/join/", tag = "events", operation_id = "join_event",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 201, description = "Joined: the new membership", body = MemberDto),
        (status = 200, description = "Already a member: the existing membership, unchanged", body = MemberDto),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
        (status = 409, description = "`event_closed`: the event is cancelled or completed", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn join_event(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let joined = app
        .events
        .join(user.actor(), EventId(id.into_inner()))
        .await?;
    let body = MemberDto::new(user.0.user.summary(), joined.membership);
    Ok(if joined.created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Leaves an event; the earliest waitlisted member takes a freed place.
#[utoipa::path(
    post, path = "/api/v1/events/{id}/leave/", tag = "events", operation_id = "leave_event",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, description = "Left", body = LeftDto),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
        (status = 409, description = "`not_member`: the caller is not a member; `organizer_cannot_leave`: the caller organizes it", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn leave_event(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app.events
        .leave(user.actor(), EventId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(LeftDto { status: "left" }))
}

/// Members of an event: going ones in join order, then the waitlist in order.
#[utoipa::path(
    get, path = "/api/v1/events/{id}/members/", tag = "events", operation_id = "list_event_members",
    params(("id" = i64, Path, description = "Event id"), PageQuery),
    responses(
        (status = 200, description = "A page of members", body = Paginated<MemberDto>),
        (status = 400, description = "`validation_error`: `page`/`page_size` below 1 or not a number", body = ErrorBody),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn list_event_members(
    app: web::Data<App>,
    user: MaybeUser,
    req: HttpRequest,
    id: web::Path<i64>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page.to_request()?;
    let members = app
        .events
        .members(user.actor(), EventId(id.into_inner()), request)
        .await?;
    Ok(HttpResponse::Ok().json(Paginated::new(&req, request, members, MemberDto::from)))
}

/// Adds a user by username (organizer, staff): how private events get
/// members. The same capacity rules as joining apply.
#[utoipa::path(
    post, path = "/api/v1/events/{id}/members/", tag = "events", operation_id = "add_event_member",
    params(("id" = i64, Path, description = "Event id")),
    request_body = AddMemberRequest,
    responses(
        (status = 201, description = "The new membership (going or waitlisted)", body = MemberDto),
        (status = 400, description = "`validation_error` (`username` missing, blank, or no such active user) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may see the event but is neither its organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
        (status = 409, description = "`already_member`: the user is a member already; `event_closed`: the event is cancelled or completed", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn add_event_member(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<AddMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let member = app
        .events
        .add_member(
            user.actor(),
            EventId(id.into_inner()),
            body.into_inner().username,
        )
        .await?;
    Ok(HttpResponse::Created().json(MemberDto::from(member)))
}

/// Removes a member (organizer, staff); the earliest waitlisted member takes
/// a freed place.
#[utoipa::path(
    delete, path = "/api/v1/events/{id}/members/{user_id}/", tag = "events", operation_id = "remove_event_member",
    params(
        ("id" = i64, Path, description = "Event id"),
        ("user_id" = i64, Path, description = "Id of the member to remove"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may see the event but is neither its organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such event (or a private one the caller is not a member of), or that user is not a member", body = ErrorBody),
        (status = 409, description = "`organizer_cannot_leave`: the organizer cannot be removed", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn remove_event_member(
    app: web::Data<App>,
    user: AuthUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    app.events
        .remove_member(user.actor(), EventId(id), UserId(user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members of the event who are online now (members and staff only): those
/// holding at least one open WebSocket on any instance, in member order.
#[utoipa::path(
    get, path = "/api/v1/events/{id}/presence/", tag = "events", operation_id = "get_event_presence",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, description = "Online members", body = PresenceDto),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may see the event but is not a member", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
        (status = 503, description = "The presence store (Redis) or the database is unreachable", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn get_event_presence(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let online = app
        .events
        .presence(user.actor(), EventId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(PresenceDto {
        online: online.into_iter().map(UserSummaryDto::from).collect(),
    }))
}
