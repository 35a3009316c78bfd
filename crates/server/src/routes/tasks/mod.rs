//! Tasks of events (`/api/v1/tasks/`): seen by the event's going members and
//! staff, managed by the organizer, the task's creator and staff, moved along
//! by their assignee and claimed by any going member while unassigned.

mod dto;

pub(crate) use dto::non_null;

use actix_web::{HttpRequest, HttpResponse, web};
use gatherhub_app::App;
use gatherhub_domain::TaskId;
use utoipa::OpenApi;

pub use dto::{
    AssignTaskRequest, CreateTaskRequest, PriorityDto, TaskDto, TaskFilterQuery, TaskStatusDto,
    UpdateTaskRequest,
};

use crate::http::{
    ApiError, ApiJson, AuthUser, ErrorBody, PageQuery, Paginated, method_not_allowed,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        list_tasks,
        create_task,
        get_task,
        update_task,
        partial_update_task,
        delete_task,
        assign_task,
        complete_task
    ),
    components(schemas(
        TaskDto,
        TaskStatusDto,
        PriorityDto,
        CreateTaskRequest,
        UpdateTaskRequest,
        AssignTaskRequest
    ))
)]
pub struct TasksApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tasks/")
            .route(web::get().to(list_tasks))
            .route(web::post().to(create_task))
            .default_service(method_not_allowed("GET, POST")),
    )
    .service(
        web::resource("/tasks/{id}/")
            .route(web::get().to(get_task))
            .route(web::put().to(update_task))
            .route(web::patch().to(partial_update_task))
            .route(web::delete().to(delete_task))
            .default_service(method_not_allowed("GET, PUT, PATCH, DELETE")),
    )
    .service(
        web::resource("/tasks/{id}/assign/")
            .route(web::post().to(assign_task))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/tasks/{id}/complete/")
            .route(web::post().to(complete_task))
            .default_service(method_not_allowed("POST")),
    );
}

/// The tasks of events where the caller is a going member (every task for staff).
#[utoipa::path(
    get, path = "/api/v1/tasks/", tag = "tasks", operation_id = "list_tasks",
    params(PageQuery, TaskFilterQuery),
    responses(
        (status = 200, description = "A page of tasks", body = Paginated<TaskDto>),
        (status = 400, description = "`validation_error`: a bad `page`/`page_size` or filter value (keyed by parameter)", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn list_tasks(
    app: web::Data<App>,
    user: AuthUser,
    req: HttpRequest,
    page: web::Query<PageQuery>,
    filters: web::Query<TaskFilterQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = page.to_request()?;
    let tasks = app
        .tasks
        .list(user.actor(), filters.into_inner().into_input(request))
        .await?;
    Ok(HttpResponse::Ok().json(Paginated::new(&req, request, tasks, TaskDto::from)))
}

/// Creates a task in an event where the caller is a going member.
#[utoipa::path(
    post, path = "/api/v1/tasks/", tag = "tasks", operation_id = "create_task",
    request_body = CreateTaskRequest,
    responses(
        (status = 201, description = "The new task (status `todo`)", body = TaskDto),
        (status = 400, description = "`validation_error` (e.g. `event` missing, not found or not visible; `title` blank; `assignee_id` not a going member) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller is not a going member of the event", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create_task(
    app: web::Data<App>,
    user: AuthUser,
    body: ApiJson<CreateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .tasks
        .create(user.actor(), body.into_inner().into_input())
        .await?;
    Ok(HttpResponse::Created().json(TaskDto::from(view)))
}

/// One task.
#[utoipa::path(
    get, path = "/api/v1/tasks/{id}/", tag = "tasks", operation_id = "get_task",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The task", body = TaskDto),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 404, description = "No such task, or the caller is not a going member of its event", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn get_task(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = app.tasks.get(user.actor(), TaskId(id.into_inner())).await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(view)))
}

/// Replaces a task's fields (`title` required). The organizer, the task's
/// creator and staff change any field; the assignee only `status`.
#[utoipa::path(
    put, path = "/api/v1/tasks/{id}/", tag = "tasks", operation_id = "update_task",
    params(("id" = i64, Path, description = "Task id")),
    request_body = UpdateTaskRequest,
    responses(
        (status = 200, description = "The updated task", body = TaskDto),
        (status = 400, description = "`validation_error` (e.g. `title` missing, bad `status`/`priority`, `assignee_id` not a going member) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither organizer, creator, staff nor assignee; or the assignee changing more than `status`", body = ErrorBody),
        (status = 404, description = "No such task, or not visible to the caller", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn update_task(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().into_input();
    let view = app
        .tasks
        .update(user.actor(), TaskId(id.into_inner()), input, false)
        .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(view)))
}

/// Changes some of a task's fields, with the same permissions as PUT.
#[utoipa::path(
    patch, path = "/api/v1/tasks/{id}/", tag = "tasks", operation_id = "partial_update_task",
    params(("id" = i64, Path, description = "Task id")),
    request_body = UpdateTaskRequest,
    responses(
        (status = 200, description = "The updated task", body = TaskDto),
        (status = 400, description = "`validation_error` (e.g. blank `title`, bad `status`/`priority`, `assignee_id` not a going member) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither organizer, creator, staff nor assignee; or the assignee changing more than `status`", body = ErrorBody),
        (status = 404, description = "No such task, or not visible to the caller", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn partial_update_task(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<UpdateTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().into_input();
    let view = app
        .tasks
        .update(user.actor(), TaskId(id.into_inner()), input, true)
        .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(view)))
}

/// Deletes a task: the organizer, the task's creator or staff.
#[utoipa::path(
    delete, path = "/api/v1/tasks/{id}/", tag = "tasks", operation_id = "delete_task",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 204, description = "The task is deleted"),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither organizer, creator nor staff", body = ErrorBody),
        (status = 404, description = "No such task, or not visible to the caller", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn delete_task(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    app.tasks
        .delete(user.actor(), TaskId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Assigns a task. The organizer, the task's creator and staff assign any
/// going member (`{"assignee_id": N}`) or nobody (`{"assignee_id": null}`);
/// any going member claims an unassigned task for themselves (`{}` or their
/// own id).
#[utoipa::path(
    post, path = "/api/v1/tasks/{id}/assign/", tag = "tasks", operation_id = "assign_task",
    params(("id" = i64, Path, description = "Task id")),
    request_body = AssignTaskRequest,
    responses(
        (status = 200, description = "The task with its new assignee", body = TaskDto),
        (status = 400, description = "`validation_error` (`assignee_id` is not a going member of the event) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: assigning someone else or unassigning without being organizer, creator or staff", body = ErrorBody),
        (status = 404, description = "No such task, or not visible to the caller", body = ErrorBody),
        (status = 409, description = "`conflict`: a member claims a task someone else holds (also when another member claimed it a moment earlier)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn assign_task(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<AssignTaskRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().into_input();
    let view = app
        .tasks
        .assign(user.actor(), TaskId(id.into_inner()), input)
        .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(view)))
}

/// Marks a task done (idempotent: a done task is returned unchanged, with
/// its original `completed_at`). No body.
#[utoipa::path(
    post, path = "/api/v1/tasks/{id}/complete/", tag = "tasks", operation_id = "complete_task",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "The done task", body = TaskDto),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither assignee, creator, organizer nor staff", body = ErrorBody),
        (status = 404, description = "No such task, or not visible to the caller", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn complete_task(
    app: web::Data<App>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let view = app
        .tasks
        .complete(user.actor(), TaskId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(view)))
}
