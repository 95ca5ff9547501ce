//! The `files` scenario, on the local store of the data dir: upload and download throughput of
//! a 25 MiB file (three of each, over loopback), the server's peak resident memory above its
//! idle level while ten 25 MiB uploads stream in at once (the kernel's high-water mark, reset
//! just before), and the time
//! of a first thumbnail request of a 12-megapixel photo-like JPEG (which decodes the photo and
//! makes the thumbnail; five photos, each thumbnailed once).

use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::{Value, json};
use std::io::Cursor;
use std::time::{Duration, Instant};

use crate::client::Api;
use crate::server::Server;

const SIZE: usize = 25 * 1024 * 1024;
const MB: f64 = 1024.0 * 1024.0;
const CONCURRENT: usize = 10;
const PHOTOS: usize = 5;

/// The options this scenario needs (uploads beyond the default per-minute limit).
pub const OPTIONS: &[&str] = &["--upload-rate-per-minute", "1000"];

/// Bytes no sniffer recognises, so the upload path does no image work.
fn payload() -> bytes::Bytes {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    (0..SIZE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8 | 0x80
        })
        .collect::<Vec<u8>>()
        .into()
}

/// A 4000 × 3000 JPEG with smooth gradients and grain, compressing like a photo.
fn photo(seed: u32) -> anyhow::Result<bytes::Bytes> {
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        let grain = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503) ^ seed) >> 28;
        image::Rgb([(x / 16) as u8 ^ grain as u8, (y / 12) as u8, ((x + y) / 28) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image).write_to(&mut out, ImageFormat::Jpeg)?;
    Ok(out.into_inner().into())
}

pub async fn files(api: &Api, server: &Server) -> anyhow::Result<Value> {
    let user = api.register("uploader").await?;
    let token = &user.access_token;
    let room = api.create_room(token, "files").await?;
    let bytes = payload();

    let mut upload_mbs = Vec::new();
    let mut download_mbs = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let id = api.upload(token, room, "big.bin", bytes.clone()).await?;
        upload_mbs.push(SIZE as f64 / MB / started.elapsed().as_secs_f64());
        let started = Instant::now();
        let got = api.download(token, id).await?;
        anyhow::ensure!(got == SIZE, "downloaded {got} of {SIZE} bytes");
        download_mbs.push(SIZE as f64 / MB / started.elapsed().as_secs_f64());
    }

    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = server.rss_kib();
    server.reset_peak_rss()?;
    let started = Instant::now();
    let uploads: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let (api, token, bytes) = (api.clone(), token.clone(), bytes.clone());
            tokio::spawn(async move { api.upload(&token, room, &format!("c{i}.bin"), bytes).await })
        })
        .collect();
    for upload in uploads {
        upload.await??;
    }
    let concurrent_secs = started.elapsed().as_secs_f64();
    let peak = server.peak_rss_kib();

    let mut thumbnail_ms = Vec::new();
    for seed in 0..PHOTOS as u32 {
        let id = api.upload(token, room, "photo.jpg", photo(seed)?).await?;
        let started = Instant::now();
        api.thumbnail(token, id).await?;
        thumbnail_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    thumbnail_ms.sort_by(f64::total_cmp);

    Ok(json!({
        "file_mib": SIZE / (1024 * 1024),
        "upload_mib_per_s": upload_mbs,
        "download_mib_per_s": download_mbs,
        "concurrent_uploads": CONCURRENT,
        "concurrent_secs": concurrent_secs,
        "idle_rss_kib": idle,
        "peak_rss_kib": peak,
        "rss_growth_mb": (peak.saturating_sub(idle)) as f64 / 1024.0,
        "thumbnail_12mp_ms": thumbnail_ms,
    }))
}
