//! Accounts and JWT authentication (`/api/v1/auth/`): registration, login,
//! rotating refresh, logout, the own profile and password changes. Avatars
//! are served elsewhere.
//!
//! The anonymous routes still read the `Authorization` header: the contract
//! answers any invalid, expired or revoked bearer token with 401, everywhere.

mod avatar;
mod dto;

use actix_web::{HttpResponse, web};
use gatherhub_app::App;
use utoipa::OpenApi;

pub use avatar::{AvatarUpload, UPLOAD_BODY_LIMIT};
pub use dto::{
    ChangePasswordRequest, LoginRequest, ProfileDto, ProfileRequest, RefreshRequest,
    RegisterRequest, SessionDto, TokensDto,
};

use crate::http::{ApiError, ApiJson, AuthUser, ErrorBody, MaybeUser, method_not_allowed};

#[derive(OpenApi)]
#[openapi(
    paths(
        register_user,
        login_user,
        refresh_token,
        logout_user,
        get_profile,
        update_profile,
        partial_update_profile,
        change_password,
        avatar::upload_avatar,
        avatar::delete_avatar,
        crate::routes::media::get_avatar_file
    ),
    components(schemas(
        RegisterRequest,
        LoginRequest,
        RefreshRequest,
        ProfileRequest,
        ChangePasswordRequest,
        ProfileDto,
        TokensDto,
        SessionDto,
        AvatarUpload
    ))
)]
pub struct AuthApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    avatar::configure(cfg);
    cfg.service(
        web::resource("/auth/register/")
            .route(web::post().to(register_user))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/auth/login/")
            .route(web::post().to(login_user))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/auth/refresh/")
            .route(web::post().to(refresh_token))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/auth/logout/")
            .route(web::post().to(logout_user))
            .default_service(method_not_allowed("POST")),
    )
    .service(
        web::resource("/auth/profile/")
            .route(web::get().to(get_profile))
            .route(web::put().to(update_profile))
            .route(web::patch().to(partial_update_profile))
            .default_service(method_not_allowed("GET, PUT, PATCH")),
    )
    .service(
        web::resource("/auth/change-password/")
            .route(web::post().to(change_password))
            .default_service(method_not_allowed("POST")),
    );
}

/// Creates an account and logs it in.
#[utoipa::path(
    post, path = "/api/v1/auth/register/", tag = "auth", operation_id = "register_user",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account with the tokens of its first session", body = SessionDto),
        (status = 400, description = "`validation_error` (e.g. username or email taken, weak password) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "An invalid, expired or revoked bearer token was sent", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn register_user(
    app: web::Data<App>,
    _caller: MaybeUser,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let done = app.auth.register(body.into_inner().into_input()).await?;
    Ok(HttpResponse::Created().json(SessionDto::from(done)))
}

/// Logs in with a username or email and a password.
#[utoipa::path(
    post, path = "/api/v1/auth/login/", tag = "auth", operation_id = "login_user",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "The tokens of a new session and the account", body = SessionDto),
        (status = 400, description = "`validation_error` (a field is missing) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: unknown user, wrong password or inactive account, indistinguishably; or an invalid bearer token was sent", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn login_user(
    app: web::Data<App>,
    _caller: MaybeUser,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let done = app.auth.login(body.into_inner().into_input()).await?;
    Ok(HttpResponse::Ok().json(SessionDto::from(done)))
}

/// Exchanges a refresh token for a new pair. Each refresh token works once;
/// presenting a spent one revokes its whole session.
#[utoipa::path(
    post, path = "/api/v1/auth/refresh/", tag = "auth", operation_id = "refresh_token",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair; the presented refresh token is spent", body = TokensDto),
        (status = 400, description = "`validation_error` (`refresh` missing) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`token_invalid` (also for an access token), `token_expired`, or `token_revoked` (spent token: the session is now revoked; or the session was logged out)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn refresh_token(
    app: web::Data<App>,
    _caller: MaybeUser,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let pair = app.auth.refresh(body.into_inner().refresh).await?;
    Ok(HttpResponse::Ok().json(TokensDto::from(pair)))
}

/// Ends the session of a refresh token: its refresh and access tokens stop
/// working and its WebSockets are closed.
#[utoipa::path(
    post, path = "/api/v1/auth/logout/", tag = "auth", operation_id = "logout_user",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The session is revoked"),
        (status = 400, description = "`validation_error` (`refresh` missing) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`token_invalid`, `token_expired`, or `token_revoked` (the session had ended already)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security((), ("bearer" = [])),
)]
pub async fn logout_user(
    app: web::Data<App>,
    _caller: MaybeUser,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    // The WebSocket layer closes the sockets of the returned session once it exists.
    let _session = app.auth.logout(body.into_inner().refresh).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own profile.
#[utoipa::path(
    get, path = "/api/v1/auth/profile/", tag = "auth", operation_id = "get_profile",
    responses(
        (status = 200, description = "The caller's profile", body = ProfileDto),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn get_profile(app: web::Data<App>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let profile = app.auth.profile(&user.0).await?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(profile)))
}

/// Replaces the editable profile fields. Every field is optional: an absent
/// one keeps its value (the same as PATCH).
#[utoipa::path(
    put, path = "/api/v1/auth/profile/", tag = "auth", operation_id = "update_profile",
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "The updated profile", body = ProfileDto),
        (status = 400, description = "`validation_error` (e.g. email taken, `current_password` missing or wrong when changing the email) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn update_profile(
    app: web::Data<App>,
    user: AuthUser,
    body: ApiJson<ProfileRequest>,
) -> Result<HttpResponse, ApiError> {
    let profile = app
        .auth
        .update_profile(&user.0, body.into_inner().into_input(), false)
        .await?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(profile)))
}

/// Changes some profile fields; absent ones keep their value.
#[utoipa::path(
    patch, path = "/api/v1/auth/profile/", tag = "auth", operation_id = "partial_update_profile",
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "The updated profile", body = ProfileDto),
        (status = 400, description = "`validation_error` (e.g. email taken, `current_password` missing or wrong when changing the email) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn partial_update_profile(
    app: web::Data<App>,
    user: AuthUser,
    body: ApiJson<ProfileRequest>,
) -> Result<HttpResponse, ApiError> {
    let profile = app
        .auth
        .update_profile(&user.0, body.into_inner().into_input(), true)
        .await?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(profile)))
}

/// Changes the password: every session of the user ends (this one too) and
/// the tokens of a fresh session are returned.
#[utoipa::path(
    post, path = "/api/v1/auth/change-password/", tag = "auth", operation_id = "change_password",
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "The tokens of a new session; every earlier session is revoked", body = TokensDto),
        (status = 400, description = "`validation_error` (`current_password` wrong or missing, `new_password` fails the policy) or `invalid_json`", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn change_password(
    app: web::Data<App>,
    user: AuthUser,
    body: ApiJson<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    // The WebSocket layer closes the sockets of `revoked_sessions` once it exists.
    let changed = app
        .auth
        .change_password(&user.0, body.into_inner().into_input())
        .await?;
    Ok(HttpResponse::Ok().json(TokensDto::from(changed.tokens)))
}
