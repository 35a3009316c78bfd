//! Unit tests of avatar processing (format by content, size and dimension
//! limits, re-encoding) and of the use cases' file bookkeeping.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::collections::HashMap;
use std::sync::Mutex;

use gatherhub_domain::access::Actor;
use gatherhub_memory::MemoryStore;
use gatherhub_ports::{BlockingError, NewUser, Repositories, StorageResult, SystemClock, UserRepo};
use image::{ImageBuffer, Rgb, Rgba};

use super::*;
use crate::Deps;

fn png_rgba(width: u32, height: u32) -> Vec<u8> {
    let image = ImageBuffer::from_fn(width, height, |x, y| {
        Rgba([(x % 256) as u8, (y % 256) as u8, 90, 128])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg_rgb(width: u32, height: u32) -> Vec<u8> {
    let image = ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 200])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn webp_rgb(width: u32, height: u32) -> Vec<u8> {
    let image = ImageBuffer::from_fn(width, height, |x, _| Rgba([(x % 256) as u8, 10, 20, 255]));
    let image = DynamicImage::ImageRgba8(image).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::WebP).unwrap();
    out.into_inner()
}

/// A valid PNG header declaring `width`×`height`, with a few bytes of data:
/// a decompression bomb's calling card.
pub(crate) fn png_declaring(width: u32, height: u32) -> Vec<u8> {
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
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &header);
    // A zlib stream of a few zero bytes: scanlines that go on "forever".
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn rejected(bytes: &[u8]) -> AvatarRejection {
    match process_avatar(bytes) {
        Err(AvatarError::Rejected(rejection)) => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn accepts_png_jpeg_and_webp_by_content() {
    let png = process_avatar(&png_rgba(40, 30)).unwrap();
    assert_eq!(png.format, AvatarFormat::Png, "transparency stays PNG");
    assert_eq!((png.width, png.height), (40, 30));
    assert_eq!(
        image::guess_format(&png.bytes).unwrap(),
        ImageFormat::Png,
        "re-encoded"
    );

    let jpeg = process_avatar(&jpeg_rgb(64, 48)).unwrap();
    assert_eq!(jpeg.format, AvatarFormat::Jpeg);
    assert_eq!(image::guess_format(&jpeg.bytes).unwrap(), ImageFormat::Jpeg);

    let webp = process_avatar(&webp_rgb(20, 20)).unwrap();
    assert_eq!(webp.format, AvatarFormat::Jpeg, "opaque images become JPEG");
    assert_eq!((webp.width, webp.height), (20, 20));
}

/// `jpeg` with an EXIF block saying "rotate 90° clockwise to display".
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn photos_are_turned_upright_and_lose_their_metadata() {
    let rotated = with_exif_orientation(&jpeg_rgb(40, 20), 6);
    let encoded = process_avatar(&rotated).unwrap();
    assert_eq!((encoded.width, encoded.height), (20, 40), "turned upright");
    assert!(
        !encoded.bytes.windows(4).any(|w| w == b"Exif"),
        "no metadata is kept"
    );
}

#[test]
fn shrinks_large_images_keeping_the_aspect_ratio() {
    let encoded = process_avatar(&jpeg_rgb(1200, 600)).unwrap();
    assert_eq!(
        (encoded.width, encoded.height),
        (AVATAR_EDGE, AVATAR_EDGE / 2)
    );
    let decoded = image::load_from_memory(&encoded.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (512, 256));
}

#[test]
fn rejects_what_is_not_a_supported_image() {
    assert_eq!(rejected(b""), AvatarRejection::Empty);
    assert_eq!(
        rejected(b"<?php echo 'hello'; ?> pretending to be a png"),
        AvatarRejection::NotAnImage
    );
    let mut truncated = png_rgba(64, 64);
    truncated.truncate(truncated.len() / 2);
    assert_eq!(rejected(&truncated), AvatarRejection::NotAnImage);
    let mut corrupt = jpeg_rgb(32, 32);
    corrupt.truncate(200);
    assert_eq!(rejected(&corrupt), AvatarRejection::NotAnImage);
    assert_eq!(
        rejected(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        AvatarRejection::UnsupportedFormat
    );
    assert_eq!(
        rejected(b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"),
        AvatarRejection::UnsupportedFormat,
        "BMP is an image, but not one of ours"
    );
}

#[test]
fn size_and_dimension_limits() {
    let mut big = png_rgba(8, 8);
    big.resize(AVATAR_MAX_BYTES + 1, 0);
    assert_eq!(rejected(&big), AvatarRejection::TooLarge);

    assert_eq!(
        rejected(&png_declaring(50_000, 50_000)),
        AvatarRejection::DimensionsTooLarge
    );
    assert_eq!(
        rejected(&png_declaring(AVATAR_MAX_SOURCE_EDGE + 1, 1)),
        AvatarRejection::DimensionsTooLarge
    );
    assert_eq!(
        rejected(&png_rgba(1, AVATAR_MAX_SOURCE_EDGE + 1)),
        AvatarRejection::DimensionsTooLarge
    );
    let edge = process_avatar(&png_rgba(AVATAR_MAX_SOURCE_EDGE, 1)).unwrap();
    assert_eq!((edge.width, edge.height), (AVATAR_EDGE, 1));
}

#[test]
fn only_our_own_urls_name_a_file() {
    assert_eq!(
        avatar_key("/media/avatars/abc.png"),
        Some("avatars/abc.png")
    );
    for other in [
        "https://cdn.example.com/media/avatars/abc.png",
        "/media/avatars/../secret.png",
        "/media/avatars/a/b.png",
        "/media/other/abc.png",
        "/media/avatars/",
        "",
    ] {
        assert_eq!(avatar_key(other), None, "{other}");
    }
}

/// Files in a map; puts can be made to fail.
#[derive(Default)]
struct Files {
    stored: Mutex<HashMap<String, Vec<u8>>>,
}

#[async_trait::async_trait]
impl FileStorage for Files {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> StorageResult<()> {
        self.stored.lock().unwrap().insert(key.to_owned(), bytes);
        Ok(())
    }
    async fn get(&self, key: &str) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.stored.lock().unwrap().get(key).cloned())
    }
    async fn delete(&self, key: &str) -> StorageResult<bool> {
        Ok(self.stored.lock().unwrap().remove(key).is_some())
    }
}

/// Runs jobs in place.
struct Inline;

#[async_trait::async_trait]
impl BlockingPool for Inline {
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>) -> Result<(), BlockingError> {
        job();
        Ok(())
    }
}

struct World {
    auth: AuthService,
    files: Arc<Files>,
    store: Arc<MemoryStore>,
}

fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let files = Arc::new(Files::default());
    let deps = Deps {
        repos: Repositories::from_store(store.clone()),
        hasher: Arc::new(
            gatherhub_security::Argon2Hasher::new(gatherhub_security::HashParams {
                m_cost_kib: 64,
                t_cost: 1,
                p_cost: 1,
            })
            .unwrap(),
        ),
        tokens: Arc::new(
            gatherhub_security::JwtIssuer::new(gatherhub_security::JwtConfig::new(
                b"a test secret key of at least 32 bytes",
            ))
            .unwrap(),
        ),
        clock: Arc::new(SystemClock),
        realtime: gatherhub_ports::Realtime::disabled(),
    };
    let auth = AuthService::new(deps).with_avatar_media(AvatarMedia {
        storage: files.clone(),
        pool: Arc::new(Inline),
    });
    World { auth, files, store }
}

async fn principal(store: &MemoryStore, username: &str) -> Principal {
    let user = store
        .create(NewUser {
            username: username.into(),
            email: format!("{username}@example.com"),
            password_hash: "x".into(),
            first_name: String::new(),
            last_name: String::new(),
            is_staff: false,
            date_joined: chrono::Utc::now(),
        })
        .await
        .unwrap();
    Principal {
        actor: Actor {
            user_id: user.id,
            is_staff: false,
        },
        session_id: "s".into(),
        user,
    }
}

fn keys(files: &Files) -> Vec<String> {
    let mut keys: Vec<String> = files.stored.lock().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn replacing_and_removing_keep_exactly_the_current_file() {
    let World { auth, files, store } = world();
    let alice = principal(&store, "alice").await;

    let first = auth.set_avatar(&alice, png_rgba(10, 10)).await.unwrap();
    let first_url = first.avatar_url.clone().unwrap();
    assert!(first_url.starts_with("/media/avatars/") && first_url.ends_with(".png"));
    assert_eq!(keys(&files), [avatar_key(&first_url).unwrap()]);

    let second = auth.set_avatar(&alice, jpeg_rgb(10, 10)).await.unwrap();
    let second_url = second.avatar_url.clone().unwrap();
    assert_ne!(first_url, second_url, "a new random name");
    assert!(second_url.ends_with(".jpg"));
    assert_eq!(
        keys(&files),
        [avatar_key(&second_url).unwrap()],
        "the old file is gone"
    );

    let error = auth.set_avatar(&alice, b"not an image".to_vec()).await;
    assert!(matches!(error, Err(AppError::Validation(_))), "{error:?}");
    assert_eq!(
        store.get(alice.user.id).await.unwrap().unwrap().avatar_url,
        Some(second_url.clone()),
        "a refused upload changes nothing"
    );

    auth.remove_avatar(&alice).await.unwrap();
    assert!(keys(&files).is_empty());
    let stored = store.get(alice.user.id).await.unwrap().unwrap();
    assert_eq!(stored.avatar_url, None);
    auth.remove_avatar(&alice).await.unwrap();
}

#[tokio::test]
async fn a_failed_profile_update_removes_the_new_file() {
    let World { auth, files, store } = world();
    let mut ghost = principal(&store, "ghost").await;
    ghost.user.id = gatherhub_domain::UserId(9_999);
    let error = auth.set_avatar(&ghost, png_rgba(4, 4)).await;
    assert!(matches!(error, Err(AppError::NotFound(_))), "{error:?}");
    assert!(keys(&files).is_empty(), "{:?}", keys(&files));
}

#[tokio::test]
async fn a_foreign_previous_url_is_left_alone() {
    let World { auth, files, store } = world();
    let alice = principal(&store, "alice").await;
    files
        .put("avatars/imported.png", b"kept".to_vec())
        .await
        .unwrap();
    store
        .set_avatar(
            alice.user.id,
            Some("https://cdn.example.com/avatars/imported.png"),
        )
        .await
        .unwrap();
    auth.set_avatar(&alice, png_rgba(4, 4)).await.unwrap();
    assert!(keys(&files).contains(&"avatars/imported.png".to_owned()));
}

#[tokio::test]
async fn without_media_the_use_cases_fail_cleanly() {
    let World { auth, store, .. } = world();
    let auth = AuthService {
        media: None,
        ..auth
    };
    let alice = principal(&store, "alice").await;
    assert!(matches!(
        auth.set_avatar(&alice, png_rgba(4, 4)).await,
        Err(AppError::Internal(_))
    ));
}
