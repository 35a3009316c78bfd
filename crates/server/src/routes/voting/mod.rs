//! Polls of events (`/api/v1/voting/`): seen by whoever may see their event,
//! managed by their creator, the organizer and staff, voted on by going
//! members, with live results.

mod dto;

use actix_web::{HttpRequest, HttpResponse, web};
use gatherhub_app::App;
use gatherhub_domain::PollId;
use utoipa::OpenApi;

pub use dto::{
    CreatePollRequest, OptionRequest, OptionResultDto, PollDto, PollFilterQuery, PollOptionDto,
    ResultsDto, UpdatePollRequest, VoteRequest,
};

use crate::http::{
    ApiError, ApiJson, AuthUser, ErrorBody, MaybeUser, PageQuery, Paginated, method_not_allowed,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_polls,
        create_poll,
        get_poll,
        update_poll,
        partial_update_poll,
        delete_poll,
        vote_poll,
        retract_vote,
        get_poll_results,
        close_poll
    ),
    components(schemas(
        PollDto,
        PollOptionDto,
        ResultsDto,
        OptionResultDto,
        CreatePollRequest,
        UpdatePollRequest,
        OptionRequest,
        VoteRequest
    ))
)]
pub struct VotingApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/voting/")
            .route(web::get().to(list_polls))
            .route(web::post().to(create_poll))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/voting/{id}/")
            .route(web::get().to(get_poll))
            .route(web::put().to(update_poll))
            .route(web::patch().to(partial_update_poll))
            .route(web::delete().to(delete_poll))
            .default_service(method_not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/voting/{id}/vote/")
            .route(web::post().to(vote_poll))
            .route(web::delete().to(retract_vote))
            .default_service(method_not_allowed("POST, DELETE")),
    )
    .service(
        web::resource("/voting/{id}/results/")
            .route(web::get().to(get_poll_results))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/voting/{id}/close/")
            .route(web::post().to(close_poll))
            .default_service(method_not_allowed("POST")),
    );
}

fn poll_dto(app: &App, view: gatherhub_ports::PollView) -> PollDto {
    let is_open = app.voting.is_open(&view);
    PollDto::new(view, is_open)
}

fn results_dto(app: &App, results: gatherhub_app::voting::Results) -> ResultsDto {
    let is_open = app.voting.is_open(&results.view);
    ResultsDto::new(results, is_open)
}

/// The polls of the events the caller may see (public events for anonymous callers).
#[utoipa::path(
    get, path = "/api/v1/voting/", tag = "voting", operation_id = "list_polls",
    params(PageQuery, PollFilterQuery),
    responses(
        (status = 200, description = "A page of polls", body = Paginated<PollDto>),
        (status = 400, description = "`validation_error`: a bad `page`/`page_size`, `event`, `is_open` or `ordering` (keyed by parameter)", body = ErrorBody),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn list_polls(
    app: web::Data<App>,
    user: MaybeUser,
    req: HttpRequest,
    page: web::Query<PageQuery>,
    filters: web::Query<PollFilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page.to_request()?;
    let polls = app
        .voting
        .list(user.actor(), filters.into_inner().into_input(request))
        .await?;
    Ok(
        HttpResponse::Ok().json(Paginated::new(&req, request, polls, |view| {
            poll_dto(&app, view)
        })),
    )
}

/// Creates a poll in an event where the caller is a going member.
#[utoipa::path(
    post, path = "/api/v1/voting/", tag = "voting", operation_id = "create_poll",
    request_body = CreatePollRequest,
    responses(
        (status = 201, description = "The new poll", body = PollDto),
        (status = 400, description = "`validation_error` (e.g. `event` missing, not found or not visible; fewer than 2 or more than 20 options, duplicates; `ends_at` not in the future) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller is not a going member of the event", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create_poll(
    app: web::Data<App>,
    user: AuthUser,
    body: ApiJson<CreatePollRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .voting
        .create(user.actor(), body.into_inner().into_input())
        .await?;
    Ok(HttpResponse::Created().json(poll_dto(&app, view)))
}

/// One poll, with the caller's own votes in `my_votes`.
#[utoipa::path(
    get, path = "/api/v1/voting/{id}/", tag = "voting", operation_id = "get_poll",
    params(("id" = i64, Path, description = "Poll id")),
    responses(
        (status = 200, description = "The poll", body = PollDto),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
        (status = 404, description = "No such poll, or its event is not visible to the caller", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn get_poll(
    app: web::Data<App>,
    user: MaybeUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .voting
        .get(user.actor(), PollId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(poll_dto(&app, view)))
}

/// Replaces a poll's `title` (required), `description`, `ends_at` and, while
/// nobody has voted, `options`: the poll's creator, the organizer or staff.
#[utoipa::path(
    put, path = "/api/v1/voting/{id}/", tag = "voting", operation_id = "update_poll",
    params(("id" = i64, Path, description = "Poll id")),
    request_body = UpdatePollRequest,
    responses(
        (status = 200, description = "The updated poll", body = PollDto),
        (status = 400, description = "`validation_error` (e.g. `title` missing, bad options, `ends_at` not in the future) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither the poll's creator, the organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such poll, or not visible to the caller", body = ErrorBody),
        (status = 409, description = "`conflict`: the options cannot change once votes have been cast", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn update_poll(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdatePollRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().into_input();
    let view = app
        .voting
        .update(user.actor(), PollId(id.into_inner()), input, false)
        .await?;
    Ok(HttpResponse::Ok().json(poll_dto(&app, view)))
}

/// Changes some of a poll's fields, with the same rules as PUT.
#[utoipa::path(
    patch, path = "/api/v1/voting/{id}/", tag = "voting", operation_id = "partial_update_poll",
    params(("id" = i64, Path, description = "Poll id")),
    request_body = UpdatePollRequest,
    responses(
        (status = 200, description = "The updated poll", body = PollDto),
        (status = 400, description = "`validation_error` (e.g. blank `title`, bad options, `ends_at` not in the future) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither the poll's creator, the organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such poll, or not visible to the caller", body = ErrorBody),
        (status = 409, description = "`conflict`: the options cannot change once votes have been cast", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn partial_update_poll(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdatePollRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().into_input();
    let view = app
        .voting
        .update(user.actor(), PollId(id.into_inner()), input, true)
        .await?;
    Ok(HttpResponse::Ok().json(poll_dto(&app, view)))
}

/// Deletes a poll with its votes: the poll's creator, the organizer or staff.
#[utoipa::path(
    delete, path = "/api/v1/voting/{id}/", tag = "voting", operation_id = "delete_poll",
    params(("id" = i64, Path, description = "Poll id")),
    responses(
        (status = 204, description = "The poll is deleted"),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither the poll's creator, the organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such poll, or not visible to the caller", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn delete_poll(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app.voting
        .delete(user.actor(), PollId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Casts the caller's vote, replacing any earlier one. Answers with the
/// poll's results: 201 for the caller's first vote, 200 for a changed one.
#[utoipa::path(
    post, path = "/api/v1/voting/{id}/vote/", tag = "voting", operation_id = "vote_poll",
    params(("id" = i64, Path, description = "Poll id")),
    request_body = VoteRequest,
    responses(
        (status = 201, description = "First vote: the results", body = ResultsDto),
        (status = 200, description = "Changed vote: the results", body = ResultsDto),
        (status = 400, description = "`validation_error` (neither or both of `option_id`/`option_ids` (`non_field_errors`); several options on a single-choice poll; duplicates; an option of another poll) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller is not a going member of the event", body = ErrorBody),
        (status = 404, description = "No such poll, or not visible to the caller", body = ErrorBody),
        (status = 409, description = "`poll_closed`: the poll was closed or has ended", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn vote_poll(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<VoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().into_input();
    let (results, first) = app
        .voting
        .vote(user.actor(), PollId(id.into_inner()), input)
        .await?;
    let body = results_dto(&app, results);
    Ok(if first {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Withdraws the caller's vote.
#[utoipa::path(
    delete, path = "/api/v1/voting/{id}/vote/", tag = "voting", operation_id = "retract_vote",
    params(("id" = i64, Path, description = "Poll id")),
    responses(
        (status = 204, description = "The caller's votes are removed"),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 404, description = "No such poll, not visible to the caller, or the caller has not voted", body = ErrorBody),
        (status = 409, description = "`poll_closed`: the poll was closed or has ended", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn retract_vote(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app.voting
        .retract(user.actor(), PollId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The poll's results. `voters` is present only for polls that are not
/// anonymous, and only to members of the event and staff.
#[utoipa::path(
    get, path = "/api/v1/voting/{id}/results/", tag = "voting", operation_id = "get_poll_results",
    params(("id" = i64, Path, description = "Poll id")),
    responses(
        (status = 200, description = "The results", body = ResultsDto),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
        (status = 404, description = "No such poll, or its event is not visible to the caller", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn get_poll_results(
    app: web::Data<App>,
    user: MaybeUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let results = app
        .voting
        .results(user.actor(), PollId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(results_dto(&app, results)))
}

/// Closes the poll for good (idempotent): the poll's creator, the organizer or staff. No body.
#[utoipa::path(
    post, path = "/api/v1/voting/{id}/close/", tag = "voting", operation_id = "close_poll",
    params(("id" = i64, Path, description = "Poll id")),
    responses(
        (status = 200, description = "The closed poll", body = PollDto),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither the poll's creator, the organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such poll, or not visible to the caller", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn close_poll(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .voting
        .close(user.actor(), PollId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(poll_dto(&app, view)))
}
