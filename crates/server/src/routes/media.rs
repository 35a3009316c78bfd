//! Uploaded media, served at `/media/avatars/<name>` from `MEDIA_ROOT`
//! through the storage port: only names the avatar use case makes, only
//! image types, no listing, and headers that keep a browser from reading an
//! image as anything else.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use gatherhub_app::App;

use crate::http::{ApiError, ErrorBody, method_not_allowed};

/// Avatar names are random and never reused, so a file never changes.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// Should a browser open the file as a page, it runs nothing and loads nothing.
const LOCKED_DOWN: &str = "default-src 'none'; sandbox";

/// The bytes of an image file (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageFile(pub Vec<u8>);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/media/avatars/{name}")
            .route(web::get().to(get_avatar_file))
            .route(web::head().to(get_avatar_file))
            .default_service(method_not_allowed("GET, HEAD")),
    );
}

/// An avatar image (the `avatar_url` of a profile). Public, like the URL.
#[utoipa::path(
    get, path = "/media/avatars/{name}", tag = "auth", operation_id = "get_avatar_file",
    params(("name" = String, Path, description = "The file name from `avatar_url`")),
    responses(
        (status = 200, description = "The image, `image/png` or `image/jpeg`, cacheable for a year", content(
            (inline(ImageFile) = "image/png"),
            (inline(ImageFile) = "image/jpeg"),
        )),
        (status = 404, description = "No such avatar", body = ErrorBody),
    ),
    security(()),
)]
pub async fn get_avatar_file(
    app: web::Data<App>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let file = app
        .auth
        .avatar_file(&name)
        .await?
        .ok_or_else(|| ApiError::not_found("Not found."))?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.format.content_type()),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_DOWN),
        ))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_FOREVER),
        ))
        .body(file.bytes))
}
