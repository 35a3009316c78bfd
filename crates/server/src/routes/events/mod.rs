//! Events (`/api/v1/events/`): listing, creating, reading, changing and
//! deleting events; membership routes live in [`members`].
//!
//! Visibility comes before permission: an event the caller may not see is 404
//! exactly like a missing one; one they may see but not change is 403.

mod dto;
mod members;

use actix_web::{HttpRequest, HttpResponse, web};
use gatherhub_app::App;
use gatherhub_app::events::EventInput;
use gatherhub_domain::EventId;
use utoipa::OpenApi;

pub use dto::{
    AddMemberRequest, EventDto, EventFilterQuery, EventPatchRequest, EventRequest, LeftDto,
    MemberDto, MembershipDto, PresenceDto,
};
pub use members::{
    add_event_member, get_event_presence, join_event, leave_event, list_event_members,
    remove_event_member,
};

use crate::http::{
    ApiError, ApiJson, AuthUser, ErrorBody, MaybeUser, PageQuery, Paginated, method_not_allowed,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_events,
        create_event,
        get_event,
        update_event,
        partial_update_event,
        delete_event,
        members::join_event,
        members::leave_event,
        members::list_event_members,
        members::add_event_member,
        members::remove_event_member,
        members::get_event_presence
    ),
    components(schemas(
        EventRequest,
        EventPatchRequest,
        AddMemberRequest,
        EventDto,
        MembershipDto,
        MemberDto,
        LeftDto,
        PresenceDto
    ))
)]
pub struct EventsApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/events/")
            .route(web::get().to(list_events))
            .route(web::post().to(create_event))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/events/{id}/")
            .route(web::get().to(get_event))
            .route(web::put().to(update_event))
            .route(web::patch().to(partial_update_event))
            .route(web::delete().to(delete_event))
            .default_service(method_not_allowed("GET, PUT, PATCH, DELETE")),
    );
    members::configure(cfg);
}

/// An event rendered with its status derived now.
fn render(app: &App, view: gatherhub_ports::EventView) -> EventDto {
    EventDto::new(view, app.deps.clock.now())
}

/// Events the caller may see: public ones, their own private ones (all for
/// staff), filtered, ordered and paginated.
#[utoipa::path(
    get, path = "/api/v1/events/", tag = "events", operation_id = "list_events",
    params(PageQuery, EventFilterQuery),
    responses(
        (status = 200, description = "A page of events", body = Paginated<EventDto>),
        (status = 400, description = "`validation_error`: `page`/`page_size` below 1 or not a number, or a filter or `ordering` value that is not valid (field errors in `details`)", body = ErrorBody),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn list_events(
    app: web::Data<App>,
    user: MaybeUser,
    req: HttpRequest,
    page: web::Query<PageQuery>,
    filters: web::Query<EventFilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page.to_request()?;
    let input = filters.into_inner().into_input(request);
    let views = app.events.list(user.actor(), input).await?;
    let now = app.deps.clock.now();
    Ok(
        HttpResponse::Ok().json(Paginated::new(&req, request, views, |view| {
            EventDto::new(view, now)
        })),
    )
}

/// Creates an event; the caller becomes its organizer and first going member.
#[utoipa::path(
    post, path = "/api/v1/events/", tag = "events", operation_id = "create_event",
    request_body = EventRequest,
    responses(
        (status = 201, description = "The new event", body = EventDto),
        (status = 400, description = "`validation_error` (`title` or `date` missing, date not in the future, `end_date` before `date`, `max_participants` out of 1–100000, unknown `visibility`, any `status`) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create_event(
    app: web::Data<App>,
    user: AuthUser,
    body: ApiJson<EventRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .events
        .create(user.actor(), body.into_inner().into_input())
        .await?;
    Ok(HttpResponse::Created().json(render(&app, view)))
}

/// One event, with the caller's own membership.
#[utoipa::path(
    get, path = "/api/v1/events/{id}/", tag = "events", operation_id = "get_event",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 200, description = "The event", body = EventDto),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn get_event(
    app: web::Data<App>,
    user: MaybeUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .events
        .get(user.actor(), EventId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(render(&app, view)))
}

async fn update(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    input: EventInput,
    partial: bool,
) -> Result<HttpResponse, ApiError> {
    let updated = app
        .events
        .update(user.actor(), EventId(id.into_inner()), input, partial)
        .await?;
    Ok(HttpResponse::Ok().json(render(&app, updated.view)))
}

/// Replaces an event's writable fields (organizer, staff). `title` and `date`
/// are required; other absent fields keep their values.
#[utoipa::path(
    put, path = "/api/v1/events/{id}/", tag = "events", operation_id = "update_event",
    params(("id" = i64, Path, description = "Event id")),
    request_body = EventRequest,
    responses(
        (status = 200, description = "The changed event", body = EventDto),
        (status = 400, description = "`validation_error` (`title` or `date` missing, a changed date not in the future, `end_date` before `date`, `max_participants` out of range or below the going count, a `status` other than `cancelled`) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may see the event but is neither its organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn update_event(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<EventRequest>,
) -> Result<HttpResponse, ApiError> {
    update(app, user, id, body.into_inner().into_input(), false).await
}

/// Changes some of an event's fields (organizer, staff);
/// `{"status": "cancelled"}` cancels it. Raising `max_participants` promotes
/// the earliest waitlisted members.
#[utoipa::path(
    patch, path = "/api/v1/events/{id}/", tag = "events", operation_id = "partial_update_event",
    params(("id" = i64, Path, description = "Event id")),
    request_body = EventPatchRequest,
    responses(
        (status = 200, description = "The changed event", body = EventDto),
        (status = 400, description = "`validation_error` (a changed date not in the future, `end_date` before `date`, `max_participants` out of range or below the going count, a `status` other than `cancelled`) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may see the event but is neither its organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn partial_update_event(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<EventPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    update(app, user, id, body.into_inner().into_input(), true).await
}

/// Deletes an event with its memberships, tasks and polls (organizer, staff).
#[utoipa::path(
    delete, path = "/api/v1/events/{id}/", tag = "events", operation_id = "delete_event",
    params(("id" = i64, Path, description = "Event id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No bearer token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may see the event but is neither its organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such event, or a private one the caller is not a member of", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn delete_event(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app.events
        .delete(user.actor(), EventId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
