//! Avatars: an upload is checked by its content (JPEG, PNG or WebP, at most
//! [`AVATAR_MAX_BYTES`], at most [`AVATAR_MAX_SOURCE_EDGE`] pixels a side),
//! decoded, turned upright, shrunk to [`AVATAR_EDGE`] pixels a side, and
//! re-encoded, so that what is stored and served is always an image this
//! code wrote: no metadata (EXIF location), no polyglot files, no bombs.
//!
//! Decoding and encoding are CPU work and run on the `BlockingPool`; files go
//! through the `FileStorage` port under random names, and the old file is
//! removed only after the new URL is committed.

use std::io::Cursor;
use std::sync::Arc;

use gatherhub_domain::user::User;
use gatherhub_ports::{BlockingPool, FileStorage, RepoError, StorageError};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::error::ImageError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::{AuthService, Principal};
use crate::{AppError, AppResult};

/// The largest upload accepted, in bytes (2 MiB).
pub const AVATAR_MAX_BYTES: usize = 2 * 1024 * 1024;
/// The largest width and height of an upload, read from its header before
/// anything is decoded: a few bytes can declare a gigapixel image.
pub const AVATAR_MAX_SOURCE_EDGE: u32 = 4096;
/// The largest width and height of a stored avatar; larger images are shrunk.
pub const AVATAR_EDGE: u32 = 512;
/// What the decoder may allocate at once: a 4096×4096 image with 16-bit RGBA
/// channels (128 MiB) and some working room.
const DECODE_MAX_ALLOC: u64 = 192 * 1024 * 1024;
/// JPEG quality of stored avatars.
const JPEG_QUALITY: u8 = 85;

/// Where avatar URLs point: `/media/<storage key>`.
pub const MEDIA_URL_PREFIX: &str = "/media/";
/// The storage folder (and URL segment) of avatars.
pub const AVATAR_FOLDER: &str = "avatars";

/// The adapters avatars need: where files go, and where CPU work runs.
#[derive(Clone)]
pub struct AvatarMedia {
    pub storage: Arc<dyn FileStorage>,
    pub pool: Arc<dyn BlockingPool>,
}

/// The format of a stored avatar: PNG when the image has transparency,
/// JPEG otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvatarFormat {
    Png,
    Jpeg,
}

impl AvatarFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    /// The format of a stored file, by the extension this module gave it.
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "png" => Some(Self::Png),
            "jpg" => Some(Self::Jpeg),
            _ => None,
        }
    }
}

/// A re-encoded avatar, ready to store.
#[derive(Debug, Clone)]
pub struct EncodedAvatar {
    pub bytes: Vec<u8>,
    pub format: AvatarFormat,
    pub width: u32,
    pub height: u32,
}

/// Why an upload is refused; each is a field error on `avatar`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AvatarRejection {
    #[error("The submitted file is empty.")]
    Empty,
    #[error("The file is too large: avatars are limited to 2 MiB.")]
    TooLarge,
    #[error(
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
    )]
    NotAnImage,
    #[error("Unsupported image format: upload a JPEG, PNG or WebP image.")]
    UnsupportedFormat,
    #[error("The image is too large: avatars are limited to 4096×4096 pixels.")]
    DimensionsTooLarge,
}

/// Processing failed: a bad upload, or (rarely) an encoder fault.
#[derive(Debug, thiserror::Error)]
pub enum AvatarError {
    #[error(transparent)]
    Rejected(#[from] AvatarRejection),
    #[error("encoding the avatar failed: {0}")]
    Encode(#[source] ImageError),
}

impl From<AvatarError> for AppError {
    fn from(error: AvatarError) -> Self {
        match error {
            AvatarError::Rejected(rejection) => AppError::field("avatar", rejection.to_string()),
            AvatarError::Encode(error) => AppError::Internal(Box::new(error)),
        }
    }
}

/// Validates and re-encodes an upload. Pure CPU work: call it off the async
/// workers.
///
/// The format is decided by the content alone (names and declared types are
/// ignored). The dimensions are read from the header and checked before a
/// single pixel is decoded; the decoder also runs with limits on dimensions
/// and allocation, in case a format declares more as it goes.
pub fn process_avatar(bytes: &[u8]) -> Result<EncodedAvatar, AvatarError> {
    if bytes.is_empty() {
        return Err(AvatarRejection::Empty.into());
    }
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(AvatarRejection::TooLarge.into());
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| AvatarRejection::NotAnImage)?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        Some(_) => return Err(AvatarRejection::UnsupportedFormat.into()),
        None => return Err(AvatarRejection::NotAnImage.into()),
    }
    reader.limits(decode_limits());
    let mut decoder = reader.into_decoder().map_err(rejection)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(AvatarRejection::NotAnImage.into());
    }
    if width > AVATAR_MAX_SOURCE_EDGE || height > AVATAR_MAX_SOURCE_EDGE {
        return Err(AvatarRejection::DimensionsTooLarge.into());
    }
    // A missing or unreadable orientation tag means "as stored".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(rejection)?;
    image.apply_orientation(orientation);
    if image.width() > AVATAR_EDGE || image.height() > AVATAR_EDGE {
        image = image.thumbnail(AVATAR_EDGE, AVATAR_EDGE);
    }
    encode(&image)
}

fn decode_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(AVATAR_MAX_SOURCE_EDGE);
    limits.max_image_height = Some(AVATAR_MAX_SOURCE_EDGE);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    limits
}

/// Limits hit while decoding are a too-large image; anything else the
/// decoder refuses is not a (valid) image.
fn rejection(error: ImageError) -> AvatarError {
    match error {
        ImageError::Limits(_) => AvatarRejection::DimensionsTooLarge.into(),
        ImageError::Unsupported(_) => AvatarRejection::UnsupportedFormat.into(),
        _ => AvatarRejection::NotAnImage.into(),
    }
}

fn encode(image: &DynamicImage) -> Result<EncodedAvatar, AvatarError> {
    let mut bytes = Vec::new();
    let format = if image.color().has_alpha() {
        image
            .to_rgba8()
            .write_with_encoder(PngEncoder::new(&mut bytes))
            .map_err(AvatarError::Encode)?;
        AvatarFormat::Png
    } else {
        image
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))
            .map_err(AvatarError::Encode)?;
        AvatarFormat::Jpeg
    };
    Ok(EncodedAvatar {
        bytes,
        format,
        width: image.width(),
        height: image.height(),
    })
}

/// A stored avatar, as served at its URL.
#[derive(Debug, Clone)]
pub struct AvatarFile {
    pub bytes: Vec<u8>,
    pub format: AvatarFormat,
}

/// The storage key behind an avatar URL this module made, or `None` for any
/// other URL (one imported from elsewhere is never ours to delete).
pub fn avatar_key(url: &str) -> Option<&str> {
    let key = url.strip_prefix(MEDIA_URL_PREFIX)?;
    let name = key.strip_prefix(AVATAR_FOLDER)?.strip_prefix('/')?;
    (gatherhub_ports::storage::validate_key(key).is_ok() && !name.contains('/')).then_some(key)
}

impl AuthService {
    /// Sets the adapters avatars are stored and processed with. Without
    /// them, the avatar use cases answer an internal error.
    pub fn with_avatar_media(mut self, media: AvatarMedia) -> Self {
        self.media = Some(media);
        self
    }

    fn media(&self) -> AppResult<&AvatarMedia> {
        self.media
            .as_ref()
            .ok_or_else(|| AppError::Internal("avatar storage is not configured".into()))
    }

    /// Replaces the caller's avatar with `upload` (the file's bytes) and
    /// returns the updated profile. The old file is removed once the new URL
    /// is stored; should storing the URL fail, the new file is removed
    /// instead, so nothing is left unreferenced either way.
    pub async fn set_avatar(&self, principal: &Principal, upload: Vec<u8>) -> AppResult<User> {
        let media = self.media()?;
        let encoded = run_on_pool(media.pool.as_ref(), move || process_avatar(&upload)).await??;
        let key = format!(
            "{AVATAR_FOLDER}/{}.{}",
            uuid::Uuid::new_v4().simple(),
            encoded.format.extension()
        );
        media
            .storage
            .put(&key, encoded.bytes)
            .await
            .map_err(storage_error)?;
        let url = format!("{MEDIA_URL_PREFIX}{key}");
        let change = match self
            .deps
            .repos
            .users
            .set_avatar(principal.user.id, Some(&url))
            .await
        {
            Ok(change) => change,
            Err(error) => {
                self.discard(media, &key).await;
                return Err(user_error(error));
            }
        };
        if let Some(old) = change.previous.as_deref().and_then(avatar_key) {
            self.discard(media, old).await;
        }
        tracing::info!(user_id = %change.user.id, width = encoded.width, height = encoded.height, "avatar updated");
        Ok(change.user)
    }

    /// Clears the caller's avatar and removes its file. Clearing an absent
    /// avatar is no error.
    pub async fn remove_avatar(&self, principal: &Principal) -> AppResult<()> {
        let media = self.media()?;
        let change = self
            .deps
            .repos
            .users
            .set_avatar(principal.user.id, None)
            .await
            .map_err(user_error)?;
        if let Some(old) = change.previous.as_deref().and_then(avatar_key) {
            self.discard(media, old).await;
            tracing::info!(user_id = %change.user.id, "avatar removed");
        }
        Ok(())
    }

    /// The avatar file `name` (the last segment of an avatar URL), or
    /// `None` when there is none, including for any name this module would
    /// not have made (another extension, a path, a hidden file). Avatars are
    /// public, like the profiles' URLs that lead to them.
    pub async fn avatar_file(&self, name: &str) -> AppResult<Option<AvatarFile>> {
        let media = self.media()?;
        let key = format!("{AVATAR_FOLDER}/{name}");
        let format = name
            .rsplit_once('.')
            .and_then(|(_, extension)| AvatarFormat::from_extension(extension));
        let (Some(format), Some(_)) = (format, avatar_key(&format!("{MEDIA_URL_PREFIX}{key}")))
        else {
            return Ok(None);
        };
        match media.storage.get(&key).await {
            Ok(Some(bytes)) => Ok(Some(AvatarFile { bytes, format })),
            Ok(None) | Err(StorageError::InvalidKey) => Ok(None),
            Err(error) => Err(storage_error(error)),
        }
    }

    /// Removes a file no profile points to any more. A failure only leaves
    /// an unreferenced file behind, so it is logged, not returned.
    async fn discard(&self, media: &AvatarMedia, key: &str) {
        match media.storage.delete(key).await {
            Ok(_) => {}
            Err(error) => tracing::warn!(%key, %error, "could not remove an old avatar file"),
        }
    }
}

/// Runs `work` on the pool and hands back its result.
async fn run_on_pool<T, F>(pool: &dyn BlockingPool, work: F) -> AppResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    pool.run(Box::new(move || {
        // The receiver outlives the job: `run` resolves only after it ends.
        let _ = sender.send(work());
    }))
    .await
    .map_err(|error| AppError::Internal(Box::new(error)))?;
    receiver
        .try_recv()
        .map_err(|_| AppError::Internal("a blocking job ended without a result".into()))
}

fn user_error(error: RepoError) -> AppError {
    match error {
        RepoError::NotFound => AppError::NotFound("User"),
        other => other.into(),
    }
}

fn storage_error(error: StorageError) -> AppError {
    match error {
        StorageError::Unavailable(reason) => AppError::Unavailable(reason),
        other => AppError::Internal(Box::new(other)),
    }
}

#[cfg(test)]
#[path = "avatar_tests.rs"]
mod tests;
