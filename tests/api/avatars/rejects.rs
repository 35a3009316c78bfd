//! Uploads that are refused, each in the contract's error shape, leaving the
//! profile and the media directory as they were.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gatherhub_e2e::{TestApp, expect_error, expect_status};
use image::ImageFormat;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{AVATAR, Part, form, picture, put_body, stored_avatars, upload};

/// Asserts a 400 `validation_error` on `avatar` whose message contains
/// `needle`, and returns the body.
async fn refused(response: reqwest::Response, needle: &str) -> Value {
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    let messages = body["details"]["avatar"]
        .as_array()
        .expect("details.avatar");
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().unwrap().contains(needle)),
        "{needle:?} in {body}"
    );
    body
}

async fn avatar_url(app: &TestApp, token: &str) -> Value {
    expect_status(
        app.get("/api/v1/auth/profile/", Some(token)).await,
        StatusCode::OK,
    )
    .await["avatar_url"]
        .clone()
}

#[tokio::test]
async fn a_non_image_with_an_image_name_and_type_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let kept = expect_status(
        upload(&app, &alice, "ok.png", &picture(ImageFormat::Png, 4, 4)).await,
        StatusCode::OK,
    )
    .await;
    for (filename, content_type, bytes) in [
        (
            "evil.png",
            "image/png",
            &b"<script>alert(1)</script> definitely a png"[..],
        ),
        ("evil.jpg", "image/jpeg", &b"%PDF-1.7 not a jpeg at all"[..]),
        (
            "evil.webp",
            "image/webp",
            &b"RIFF\x10\x00\x00\x00WEBPVP8 broken"[..],
        ),
    ] {
        let (content, body) = form(&[Part::file(filename, content_type, bytes)]);
        let response = put_body(&app, Some(&alice.access), Some(&content), body).await;
        refused(response, "Upload a valid image").await;
    }
    // A real image of another format, named and typed as a PNG.
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    refused(
        upload(&app, &alice, "cat.png", gif).await,
        "JPEG, PNG or WebP",
    )
    .await;
    // A truncated PNG.
    let mut truncated = picture(ImageFormat::Png, 64, 64);
    truncated.truncate(truncated.len() / 2);
    refused(
        upload(&app, &alice, "half.png", &truncated).await,
        "Upload a valid image",
    )
    .await;

    assert_eq!(
        avatar_url(&app, &alice.access).await,
        kept["avatar_url"],
        "unchanged"
    );
    assert_eq!(stored_avatars(&app).len(), 1, "no new file");
}

#[tokio::test]
async fn an_oversized_file_is_413() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    // A valid PNG padded past 2 MiB: the size is refused before the content.
    let mut big = picture(ImageFormat::Png, 8, 8);
    big.resize(2 * 1024 * 1024 + 1, 0);
    let response = upload(&app, &alice, "big.png", &big).await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(avatar_url(&app, &alice.access).await, Value::Null);
    assert!(stored_avatars(&app).is_empty());

    // Exactly 2 MiB is within the limit (and then judged by its content).
    let mut at_limit = picture(ImageFormat::Png, 8, 8);
    at_limit.resize(2 * 1024 * 1024, 0);
    let response = upload(&app, &alice, "limit.png", &at_limit).await;
    assert_ne!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// Without a Content-Length (chunked), the limit holds while the body
/// streams in: the server answers 413 as soon as the limit is crossed, long
/// before the client would have finished a 64 MiB body.
#[tokio::test]
async fn an_oversized_streamed_body_is_refused_as_it_arrives() {
    const TOTAL: usize = 64 * 1024 * 1024;
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let boundary = "chunked-boundary";
    let head = format!(
        "PUT {AVATAR} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n",
        alice.access
    );
    let preamble = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    );
    let chunk = |data: &[u8]| {
        let mut out = format!("{:x}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    };
    writer.write_all(head.as_bytes()).await.unwrap();
    writer.write_all(&chunk(preamble.as_bytes())).await.unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = tokio::spawn({
        let sent = sent.clone();
        let block = chunk(&vec![0u8; 64 * 1024]);
        async move {
            while sent.load(Ordering::SeqCst) < TOTAL {
                if writer.write_all(&block).await.is_err() {
                    break;
                }
                sent.fetch_add(block.len(), Ordering::SeqCst);
            }
        }
    });
    let mut response = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buffer = [0u8; 4096];
        while !response.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    let sent_when_answered = sent.load(Ordering::SeqCst);
    sender.abort();
    assert!(
        answered.is_ok(),
        "the server never answered (never-hangs bound)"
    );
    let text = String::from_utf8_lossy(&response).to_lowercase();
    assert!(text.starts_with("http/1.1 413"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    // Socket buffers let the client run some MiB ahead of what the server
    // read; a server that waited for the whole body would answer after 64.
    assert!(
        sent_when_answered < TOTAL / 2,
        "answered only after {sent_when_answered} bytes"
    );
    assert!(stored_avatars(&app).is_empty());
    assert_eq!(avatar_url(&app, &alice.access).await, Value::Null);
}

/// A valid PNG header declaring 50000×50000 pixels over a few bytes of data.
fn png_bomb() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut push = |kind: &[u8; 4], data: &[u8]| {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut header = 50_000u32.to_be_bytes().to_vec();
    header.extend_from_slice(&50_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    push(b"IHDR", &header);
    push(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    push(b"IEND", &[]);
    png
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_from_its_header() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let bomb = png_bomb();
    assert!(bomb.len() < 100, "a tiny file");
    let response = tokio::time::timeout(
        Duration::from_secs(60),
        upload(&app, &alice, "bomb.png", &bomb),
    )
    .await
    .expect("answered (never hangs bound)");
    refused(response, "4096×4096").await;
    // Just over the edge limit, with real pixels.
    let tall = picture(ImageFormat::Png, 1, 4097);
    refused(upload(&app, &alice, "tall.png", &tall).await, "4096×4096").await;
    assert!(stored_avatars(&app).is_empty());
}

#[tokio::test]
async fn a_missing_or_empty_field_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let png = picture(ImageFormat::Png, 4, 4);
    let (content, body) = form(&[Part {
        name: "picture",
        filename: Some("a.png"),
        content_type: "image/png",
        bytes: &png,
    }]);
    refused(
        put_body(&app, Some(&alice.access), Some(&content), body).await,
        "No file was submitted.",
    )
    .await;
    let (content, body) = form(&[]);
    refused(
        put_body(&app, Some(&alice.access), Some(&content), body).await,
        "No file was submitted.",
    )
    .await;
    let (content, body) = form(&[Part::file("a.png", "image/png", b"")]);
    refused(
        put_body(&app, Some(&alice.access), Some(&content), body).await,
        "empty",
    )
    .await;
    assert!(stored_avatars(&app).is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_multipart_is_415() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let png = picture(ImageFormat::Png, 4, 4);
    for content_type in [
        Some("image/png"),
        Some("application/json"),
        Some("text/plain"),
        None,
    ] {
        let response = put_body(&app, Some(&alice.access), content_type, png.clone()).await;
        expect_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    let response = app
        .put(
            AVATAR,
            &json!({"avatar": "data:image/png;base64,AAAA"}),
            Some(&alice.access),
        )
        .await;
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    // Multipart without its boundary is a malformed body.
    let response = put_body(&app, Some(&alice.access), Some("multipart/form-data"), png).await;
    expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert!(stored_avatars(&app).is_empty());
}
