//! Small pictures of image files for the listings, made on demand from the
//! object and never written to the bucket. Memory is bounded three ways:
//! only files up to [`MAX_SOURCE_BYTES`] are read, each decode is held to
//! [`MAX_DECODED_BYTES`] by the decoder's own limits, and at most
//! `at_once` are made at the same time (the others wait their turn).
//! Browsers keep them: their addresses carry the file's version.

use crate::CoreError;
use crate::access::{BucketGrant, Viewer};
use crate::files::check_file;
use crate::s3_clients::S3Clients;
use bucketdesk_domain::Scope;
use bucketdesk_domain::object::file_name;
use bucketdesk_storage::objects;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The largest image file a thumbnail is made of.
pub const MAX_SOURCE_BYTES: i64 = 30_000_000;
/// The most memory one decoded image may take (a 24-megapixel photo as RGB
/// is 72 MB).
pub const MAX_DECODED_BYTES: u64 = 160 * 1024 * 1024;
/// The longest side of a thumbnail, in pixels (sharp at 160 px on screens of
/// twice the density).
pub const SIDE: u32 = 320;

/// Whether a file of this name and size gets a thumbnail: JPEG, PNG, GIF
/// and WebP files up to [`MAX_SOURCE_BYTES`].
pub fn can_make(name: &str, size: i64) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "jpg" | "jpeg" | "png" | "gif" | "webp")
        && (1..=MAX_SOURCE_BYTES).contains(&size)
}

/// A thumbnail: its bytes and their content type.
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// How many thumbnails are made at once.
#[derive(Clone)]
pub struct Thumbnails {
    permits: Arc<Semaphore>,
}

impl Thumbnails {
    pub fn new(at_once: usize) -> Thumbnails {
        Thumbnails {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
        }
    }

    /// The thumbnail of `key`, for anyone who may view the bucket (the read
    /// scope). A file that is not an image, too large or damaged is
    /// [`CoreError::Invalid`].
    pub async fn make(
        &self,
        s3: &S3Clients,
        grant: &BucketGrant,
        key: &str,
    ) -> Result<Thumbnail, CoreError> {
        grant.may(Scope::Read)?;
        check_file(grant, key)?;
        let can = grant.at::<Viewer>(key)?;
        if !can_make(file_name(key), 1) {
            return Err(not_an_image(
                "Thumbnails are made of JPEG, PNG, GIF and WebP files.",
            ));
        }
        let _turn = self
            .permits
            .acquire()
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let client = s3.client(&can).await?;
        let bytes = objects::read_start(
            &client,
            &can.bucket().bucket_name,
            key,
            MAX_SOURCE_BYTES as u64 + 1,
            s3.options(),
        )
        .await
        .map_err(CoreError::Storage)?;
        if bytes.len() as i64 > MAX_SOURCE_BYTES {
            return Err(not_an_image("This image is too large for a thumbnail."));
        }
        tokio::task::spawn_blocking(move || shrink(&bytes))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
    }
}

fn not_an_image(message: &str) -> CoreError {
    CoreError::invalid("key", "no_thumbnail", message)
}

/// The picture at most [`SIDE`] pixels on its longest side: a JPEG, or a
/// PNG when it has transparency.
pub fn shrink(bytes: &[u8]) -> Result<Thumbnail, CoreError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_an_image("This file could not be read as an image."))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| {
        not_an_image("This file could not be read as an image, or it is too large.")
    })?;
    // never made larger than it is
    let small = if image.width() > SIDE || image.height() > SIDE {
        image.thumbnail(SIDE, SIDE)
    } else {
        image
    };
    let mut out = Cursor::new(Vec::new());
    if small.color().has_alpha() {
        small
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(Thumbnail {
            bytes: out.into_inner(),
            content_type: "image/png",
        })
    } else {
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
        small
            .to_rgb8()
            .write_with_encoder(encoder)
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        Ok(Thumbnail {
            bytes: out.into_inner(),
            content_type: "image/jpeg",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
        let picture = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_photo_becomes_a_jpeg_at_most_320_pixels_on_its_longest_side() {
        let thumbnail = shrink(&encoded(1200, 800, ImageFormat::Jpeg)).unwrap();
        assert_eq!(thumbnail.content_type, "image/jpeg");
        let back = image::load_from_memory(&thumbnail.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (320, 213));
    }

    #[test]
    fn a_picture_with_transparency_stays_transparent() {
        let picture = image::RgbaImage::from_pixel(50, 40, image::Rgba([10, 20, 30, 0]));
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Png).unwrap();
        let thumbnail = shrink(&out.into_inner()).unwrap();
        assert_eq!(thumbnail.content_type, "image/png");
        let back = image::load_from_memory(&thumbnail.bytes).unwrap();
        assert_eq!((back.width(), back.height()), (50, 40), "never made larger");
        assert!(back.color().has_alpha());
    }

    #[test]
    fn what_is_not_an_image_or_too_large_to_decode_is_refused_not_decoded() {
        assert!(matches!(
            shrink(b"%PDF-1.7 not a picture"),
            Err(CoreError::Invalid(_))
        ));
        // a PNG header announcing 30,000 x 30,000 pixels: refused before any allocation
        let huge = encoded(30_000, 1, ImageFormat::Png);
        assert!(matches!(shrink(&huge), Err(CoreError::Invalid(_))));
    }

    #[test]
    fn only_pictures_up_to_the_size_limit_get_thumbnails() {
        assert!(can_make("Photo.JPG", 4_000_000));
        assert!(can_make("a.webp", 1));
        assert!(!can_make("logo.svg", 1_000), "SVG can carry script");
        assert!(!can_make("big.png", MAX_SOURCE_BYTES + 1));
        assert!(!can_make("empty.png", 0));
    }
}
