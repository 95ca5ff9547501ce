//! Images: their size from the header alone, and thumbnails made on the blocking pool under
//! decoder limits, so an image that would decode to gigabytes (a "decompression bomb") is
//! refused from its header before a pixel is decoded.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL: u32 = 400;
/// Side of an avatar, in pixels.
pub const AVATAR: u32 = 256;
/// The largest image accepted: 16,384 pixels a side and 50 megapixels (a modern camera's
/// photo fits; a 50,000 × 50,000 PNG of a few kilobytes does not).
pub const MAX_SIDE: u32 = 16_384;
pub const MAX_PIXELS: u64 = 50_000_000;
/// What decoding one image may allocate (50 megapixels of RGBA, with room to spare).
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

use crate::error::{AppError, ErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the image is {0} × {1} pixels; at most {MAX_SIDE} a side and 50 megapixels are accepted")]
    TooLarge(u32, u32),
    #[error("the image cannot be read: {0}")]
    Unreadable(#[from] image::ImageError),
}

impl ImageError {
    /// The answer to the request whose `field` held the image.
    pub fn problem(self, field: &str) -> AppError {
        match self {
            ImageError::TooLarge(..) => AppError::new(ErrorKind::ImageTooLarge, self.to_string()),
            ImageError::Unreadable(_) => AppError::invalid(field, self.to_string()),
        }
    }
}

impl From<ImageError> for AppError {
    fn from(err: ImageError) -> Self {
        err.problem("file")
    }
}

/// The image's size as shown (EXIF orientation applied) from its first bytes, or `None` when
/// they do not hold a readable header.
pub fn dimensions(head: &[u8]) -> Result<Option<(u32, u32)>, ImageError> {
    // Only the header is read here, so no size limit applies yet: `check` says what is too large.
    let Ok(mut decoder) = decoder(head, Limits::default()) else { return Ok(None) };
    let (width, height) = decoder.dimensions();
    check(width, height)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    Ok(Some(if turns(orientation) { (height, width) } else { (width, height) }))
}

/// A thumbnail of the whole image: longest side at most [`THUMBNAIL`], orientation applied,
/// no metadata; JPEG, or PNG when the image has transparency (its bytes say which). CPU-bound:
/// run it on the blocking pool.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let image = decode(bytes)?;
    let small =
        if image.width().max(image.height()) > THUMBNAIL { image.thumbnail(THUMBNAIL, THUMBNAIL) } else { image };
    encode(&small)
}

/// An avatar: the middle square of the image, at most [`AVATAR`] pixels a side, encoded like a
/// thumbnail. CPU-bound: run it on the blocking pool.
pub fn avatar(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut image = decode(bytes)?;
    let side = image.width().min(image.height());
    let square = image.crop((image.width() - side) / 2, (image.height() - side) / 2, side, side);
    let small = if side > AVATAR { square.thumbnail(AVATAR, AVATAR) } else { square };
    encode(&small)
}

/// The whole image, under the decoder limits, turned as its EXIF orientation says.
fn decode(bytes: &[u8]) -> Result<DynamicImage, ImageError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut decoder = decoder(bytes, limits)?;
    let (width, height) = decoder.dimensions();
    check(width, height)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// PNG when the image has transparency, else JPEG; no metadata.
fn encode(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Cursor::new(Vec::new());
    if image.color().has_alpha() {
        image.write_to(&mut out, image::ImageFormat::Png)?;
    } else {
        JpegEncoder::new_with_quality(&mut out, 82).encode_image(&image.to_rgb8())?;
    }
    Ok(out.into_inner())
}

fn decoder(bytes: &[u8], limits: Limits) -> image::ImageResult<Box<dyn ImageDecoder + '_>> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    reader.limits(limits);
    Ok(Box::new(reader.into_decoder()?))
}

fn check(width: u32, height: u32) -> Result<(), ImageError> {
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge(width, height));
    }
    Ok(())
}

/// Whether the orientation turns the image a quarter, swapping width and height.
fn turns(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
}
