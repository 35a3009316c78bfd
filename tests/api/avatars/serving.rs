//! Serving `/media/avatars/...`: the stored image with its type and safe
//! headers, and nothing else from the media directory.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use gatherhub_e2e::{TestApp, expect_error, expect_status};
use image::ImageFormat;
use reqwest::StatusCode;

use super::{picture, upload};

#[tokio::test]
async fn the_served_file_has_its_type_and_safe_headers() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let profile = expect_status(
        upload(&app, &alice, "a.png", &picture(ImageFormat::Png, 6, 6)).await,
        StatusCode::OK,
    )
    .await;
    let url = profile["avatar_url"].as_str().unwrap();
    assert!(url.ends_with(".png"), "{url}");
    // Public: no token needed, like the URL in a profile.
    let response = app.get(url, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Png);
    let on_disk = std::fs::read(app.media_root().join(url.trim_start_matches("/media/"))).unwrap();
    assert_eq!(bytes.as_ref(), on_disk.as_slice());

    let head = app.client.head(app.url(url)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn nothing_else_is_served_from_the_media_directory() {
    let app = TestApp::spawn().await;
    let root = app.media_root();
    std::fs::create_dir_all(root.join("avatars")).unwrap();
    std::fs::write(root.join("secret.txt"), b"secret").unwrap();
    std::fs::write(root.join("avatars").join("notes.txt"), b"notes").unwrap();
    std::fs::write(root.join("avatars").join(".tmp-1.png"), b"partial").unwrap();
    std::fs::create_dir_all(root.join("avatars").join("dir.png")).unwrap();
    for path in [
        "/media/avatars/",
        "/media/avatars",
        "/media/",
        "/media/secret.txt",
        "/media/avatars/notes.txt",
        "/media/avatars/.tmp-1.png",
        "/media/avatars/dir.png",
        "/media/avatars/..%2Fsecret.txt",
        "/media/avatars/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/media/avatars/missing.png",
        "/media/avatars/missing.jpg",
    ] {
        let response = app.get(path, None).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}
