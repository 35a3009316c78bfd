//! The OpenAPI document at `/api/schema/` (serialised once at startup) and
//! ReDoc at `/api/redoc/`, served from the binary (the ReDoc 2.5.4 standalone
//! bundle from npm, MIT) so the docs work without network access. Swagger UI
//! (`/api/docs/`, pointed at the schema's URL) is mounted in `startup`.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};

use crate::http::method_not_allowed;

const REDOC_JS: &[u8] = include_bytes!("../../assets/redoc.standalone.js");

const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>GatherHub API - ReDoc</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <div id="redoc"></div>
    <script src="/api/redoc/redoc.standalone.js"></script>
    <script>Redoc.init("/api/schema/", { hideDownloadButton: false }, document.getElementById("redoc"));</script>
  </body>
</html>
"#;

/// Where the OpenAPI document is served.
pub const SCHEMA: &str = "/api/schema/";

/// The OpenAPI document as JSON, rendered once and shared by every worker
/// (app data of the server).
#[derive(Clone)]
pub struct Schema(Bytes);

impl Schema {
    pub fn of(document: &utoipa::openapi::OpenApi) -> Result<web::Data<Self>, serde_json::Error> {
        Ok(web::Data::new(Self(Bytes::from(serde_json::to_vec(
            document,
        )?))))
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(SCHEMA)
            .route(web::get().to(schema))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource(["/api/redoc", "/api/redoc/"])
            .route(web::get().to(redoc_page))
            .default_service(method_not_allowed("GET")),
    )
    .service(
        web::resource("/api/redoc/redoc.standalone.js")
            .route(web::get().to(redoc_script))
            .default_service(method_not_allowed("GET")),
    );
}

async fn schema(schema: web::Data<Schema>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .body(schema.0.clone())
}

async fn redoc_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(REDOC_HTML)
}

async fn redoc_script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/javascript; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
        .body(REDOC_JS)
}
