//! Avatars over HTTP (`PUT`/`DELETE /api/v1/auth/profile/avatar/`, served at
//! `/media/avatars/...`): accepted formats, replacement and removal with their
//! files; refusals in `rejects`, serving in `serving`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod rejects;
mod serving;

use std::io::Cursor;
use std::path::Path;

use gatherhub_e2e::{TestApp, TestUser, expect_error, expect_status};
use image::{ImageBuffer, ImageFormat, Rgb, Rgba};
use reqwest::StatusCode;
use serde_json::Value;

pub const AVATAR: &str = "/api/v1/auth/profile/avatar/";
const BOUNDARY: &str = "gatherhub-test-boundary-7MA4YWxkTrZu0gW";

/// One part of a multipart form.
pub struct Part<'a> {
    pub name: &'a str,
    pub filename: Option<&'a str>,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl<'a> Part<'a> {
    /// The `avatar` field carrying `bytes` as a file named `filename`.
    pub fn file(filename: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            name: "avatar",
            filename: Some(filename),
            content_type,
            bytes,
        }
    }
}

/// A `multipart/form-data` body of `parts`, and its content type.
pub fn form(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let filename = part
            .filename
            .map(|name| format!("; filename=\"{name}\""))
            .unwrap_or_default();
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{}\"{filename}\r\nContent-Type: {}\r\n\r\n",
                part.name, part.content_type
            )
            .as_bytes(),
        );
        body.extend_from_slice(part.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// `PUT` of a raw body with `content_type`.
pub async fn put_body(
    app: &TestApp,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = app.client.put(app.url(AVATAR)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request sent")
}

/// Uploads `bytes` as the `avatar` file of `user`.
pub async fn upload(
    app: &TestApp,
    user: &TestUser,
    filename: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let content_type = match filename.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    };
    let (form_type, body) = form(&[Part::file(filename, content_type, bytes)]);
    put_body(app, Some(&user.access), Some(&form_type), body).await
}

/// A `width`×`height` RGBA picture encoded as `format`.
pub fn picture(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let rgba = ImageBuffer::from_fn(width, height, |x, y| {
        Rgba([(x * 7 % 256) as u8, (y * 5 % 256) as u8, 120, 200])
    });
    let mut out = Cursor::new(Vec::new());
    if format == ImageFormat::Png {
        rgba.write_to(&mut out, format).unwrap();
    } else {
        // JPEG has no alpha channel; an opaque WebP tests the other branch.
        let rgb: ImageBuffer<Rgb<u8>, Vec<u8>> = ImageBuffer::from_fn(width, height, |x, y| {
            Rgb(rgba.get_pixel(x, y).0[..3].try_into().unwrap())
        });
        rgb.write_to(&mut out, format).unwrap();
    }
    out.into_inner()
}

/// The files under the app's `MEDIA_ROOT/avatars`, sorted.
pub fn stored_avatars(app: &TestApp) -> Vec<String> {
    let dir = app.media_root().join("avatars");
    let mut names: Vec<String> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The file name of an avatar URL, checking its form.
pub fn file_name(url: &Value) -> String {
    let url = url.as_str().expect("avatar_url is a string");
    let name = url
        .strip_prefix("/media/avatars/")
        .unwrap_or_else(|| panic!("avatar_url {url} is under /media/avatars/"));
    assert!(!name.is_empty() && !name.contains('/'), "{url}");
    name.to_owned()
}

fn exists(root: &Path, name: &str) -> bool {
    root.join("avatars").join(name).is_file()
}

#[tokio::test]
async fn jpeg_png_and_webp_are_accepted_and_served() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    for (filename, format, served_as) in [
        ("me.jpg", ImageFormat::Jpeg, "image/jpeg"),
        ("me.png", ImageFormat::Png, "image/png"),
        ("me.webp", ImageFormat::WebP, "image/jpeg"),
    ] {
        let bytes = picture(format, 48, 32);
        let profile =
            expect_status(upload(&app, &alice, filename, &bytes).await, StatusCode::OK).await;
        assert_eq!(profile["id"], alice.id, "{filename}: the caller's profile");
        assert_eq!(profile["username"], "alice");
        let name = file_name(&profile["avatar_url"]);
        assert!(
            exists(app.media_root(), &name),
            "{filename}: stored as {name}"
        );

        let read = expect_status(
            app.get("/api/v1/auth/profile/", Some(&alice.access)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            read["avatar_url"], profile["avatar_url"],
            "{filename}: kept"
        );

        let served = app.get(profile["avatar_url"].as_str().unwrap(), None).await;
        assert_eq!(served.status(), StatusCode::OK, "{filename}");
        assert_eq!(served.headers()["content-type"], served_as, "{filename}");
        let image = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
        assert_eq!((image.width(), image.height()), (48, 32), "{filename}");
    }
    assert_eq!(
        stored_avatars(&app).len(),
        1,
        "each upload replaced the last"
    );
}

#[tokio::test]
async fn large_pictures_are_shrunk() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let profile = expect_status(
        upload(
            &app,
            &alice,
            "big.jpg",
            &picture(ImageFormat::Jpeg, 1600, 800),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let served = app.get(profile["avatar_url"].as_str().unwrap(), None).await;
    let image = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (512, 256));
}

#[tokio::test]
async fn replacing_removes_the_old_file() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let bobs = expect_status(
        upload(&app, &bob, "bob.png", &picture(ImageFormat::Png, 8, 8)).await,
        StatusCode::OK,
    )
    .await;
    let first = expect_status(
        upload(&app, &alice, "a.png", &picture(ImageFormat::Png, 8, 8)).await,
        StatusCode::OK,
    )
    .await;
    let second = expect_status(
        upload(&app, &alice, "b.png", &picture(ImageFormat::Png, 9, 9)).await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(first["avatar_url"], second["avatar_url"], "a new name");

    let (old, new) = (
        file_name(&first["avatar_url"]),
        file_name(&second["avatar_url"]),
    );
    assert!(!exists(app.media_root(), &old), "the old file is removed");
    assert!(exists(app.media_root(), &new));
    let gone = app.get(first["avatar_url"].as_str().unwrap(), None).await;
    expect_error(gone, StatusCode::NOT_FOUND, "not_found").await;
    let mut expected = vec![file_name(&bobs["avatar_url"]), new];
    expected.sort();
    assert_eq!(stored_avatars(&app), expected, "other users keep theirs");
}

#[tokio::test]
async fn delete_clears_the_url_and_removes_the_file() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let set = expect_status(
        upload(&app, &alice, "a.jpg", &picture(ImageFormat::Jpeg, 8, 8)).await,
        StatusCode::OK,
    )
    .await;
    let url = set["avatar_url"].as_str().unwrap().to_owned();

    expect_status(
        app.delete(AVATAR, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let profile = expect_status(
        app.get("/api/v1/auth/profile/", Some(&alice.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(profile["avatar_url"], Value::Null);
    assert!(
        stored_avatars(&app).is_empty(),
        "{:?}",
        stored_avatars(&app)
    );
    expect_error(
        app.get(&url, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Nothing to remove is no error.
    expect_status(
        app.delete(AVATAR, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn anonymous_callers_are_refused() {
    let app = TestApp::spawn().await;
    let (content_type, body) = form(&[Part::file(
        "a.png",
        "image/png",
        &picture(ImageFormat::Png, 4, 4),
    )]);
    let response = put_body(&app, None, Some(&content_type), body).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_error(
        app.delete(AVATAR, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let response = put_body(&app, Some("not-a-token"), Some(&content_type), form(&[]).1).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
    assert!(stored_avatars(&app).is_empty());
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let response = app.get(AVATAR, Some(&alice.access)).await;
    assert_eq!(response.headers()["allow"], "PUT, DELETE");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}
