//! The caller's avatar (`/api/v1/auth/profile/avatar/`): upload as
//! `multipart/form-data` (field `avatar`), and removal. The body is streamed
//! with a hard cap, so an oversized upload is refused as it arrives and never
//! buffered whole; what the image is, the app decides from its content.

use actix_multipart::{Multipart, MultipartError};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use futures_util::StreamExt;
use gatherhub_app::App;
use gatherhub_app::auth::avatar::AVATAR_MAX_BYTES;
use gatherhub_domain::FieldErrors;
use serde::Deserialize;
use utoipa::ToSchema;

use super::ProfileDto;
use crate::http::{ApiError, AuthUser, ErrorBody, method_not_allowed};

/// Room for the multipart framing (boundaries, part headers, other small
/// fields) on top of the file itself.
const FRAMING_ALLOWANCE: usize = 16 * 1024;
/// The most bytes read from an upload's body.
pub const UPLOAD_BODY_LIMIT: usize = AVATAR_MAX_BYTES + FRAMING_ALLOWANCE;

/// The form of `PUT /auth/profile/avatar/`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AvatarUpload {
    /// The image: JPEG, PNG or WebP, at most 2 MiB and 4096×4096 pixels. Its
    /// file name and declared type are ignored; the content decides.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    pub avatar: String,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/auth/profile/avatar/")
            .route(web::put().to(upload_avatar))
            .route(web::delete().to(delete_avatar))
            .default_service(method_not_allowed("PUT, DELETE")),
    );
}

/// Replaces the caller's avatar. The image is re-encoded (PNG when it has
/// transparency, JPEG otherwise), shrunk to at most 512 pixels a side, and
/// stored under a new random name; the previous file is removed.
#[utoipa::path(
    put, path = "/api/v1/auth/profile/avatar/", tag = "auth", operation_id = "upload_avatar",
    request_body(content = AvatarUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The updated profile; `avatar_url` points at the new image", body = ProfileDto),
        (status = 400, description = "`validation_error` on `avatar`: missing, empty, not a JPEG/PNG/WebP image, corrupt, or over 4096×4096 pixels; or a malformed multipart body", body = ErrorBody),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the file is over 2 MiB", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not multipart/form-data", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn upload_avatar(
    app: web::Data<App>,
    user: AuthUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let file = match read_avatar_field(&req, payload).await {
        Ok(file) => file,
        Err(error) => {
            // The rest of the body may still be on its way: tell the client
            // to stop and not reuse the connection. (What still arrives of
            // a chunked body, actix reads and discards; it is never kept.)
            let mut response = error.error_response();
            response
                .head_mut()
                .set_connection_type(ConnectionType::Close);
            return Ok(response);
        }
    };
    let profile = app.auth.set_avatar(&user.0, file).await?;
    Ok(HttpResponse::Ok().json(ProfileDto::from(profile)))
}

/// Removes the caller's avatar (and its file). Removing an absent avatar is
/// no error.
#[utoipa::path(
    delete, path = "/api/v1/auth/profile/avatar/", tag = "auth", operation_id = "delete_avatar",
    responses(
        (status = 204, description = "`avatar_url` is null and the file is gone"),
        (status = 401, description = "`unauthorized` (no token), `token_invalid`, `token_expired` or `token_revoked`", body = ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn delete_avatar(app: web::Data<App>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    app.auth.remove_avatar(&user.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The file is too large: avatars are limited to 2 MiB.",
    )
}

fn not_multipart() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Unsupported media type: send multipart/form-data with the image in the `avatar` field.",
    )
}

fn malformed() -> ApiError {
    ApiError::from(FieldErrors::single(
        "non_field_errors",
        "The multipart body is malformed.",
    ))
}

/// The bytes of the `avatar` part. Refuses a body that is not
/// `multipart/form-data` (415), one that declares or turns out to be too long
/// (413, as soon as the limit is crossed), and a form without the field (400).
/// Other parts are read and dropped, within the same limit.
async fn read_avatar_field(req: &HttpRequest, payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|mime| mime.type_() == mime::MULTIPART && mime.subtype() == mime::FORM_DATA);
    if !is_form {
        return Err(not_multipart());
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > UPLOAD_BODY_LIMIT) {
        return Err(too_large());
    }

    // The cap on the raw body: whatever its framing, no more than this is
    // ever read, with or without a Content-Length.
    let mut read = 0usize;
    let capped = payload.map(move |chunk| {
        let chunk = chunk?;
        read += chunk.len();
        if read > UPLOAD_BODY_LIMIT {
            return Err(PayloadError::Overflow);
        }
        Ok(chunk)
    });
    let mut form = Multipart::new(req.headers(), capped);
    let mut avatar: Option<Vec<u8>> = None;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(multipart_error)?;
        let wanted = part.name() == Some("avatar") && avatar.is_none();
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if wanted {
                if bytes.len() + chunk.len() > AVATAR_MAX_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            avatar = Some(bytes);
        }
    }
    avatar.ok_or_else(|| ApiError::from(FieldErrors::single("avatar", "No file was submitted.")))
}

fn multipart_error(error: MultipartError) -> ApiError {
    match error {
        MultipartError::Payload(PayloadError::Overflow) => too_large(),
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => not_multipart(),
        _ => malformed(),
    }
}
