//! ReDoc at `/api/redoc/`, served from the binary (the ReDoc 2.5.4 standalone
//! bundle from npm, MIT) so the docs work without network access. Swagger UI
//! (`/api/docs/`) and the schema (`/api/schema/`) are mounted in `startup`.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
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
