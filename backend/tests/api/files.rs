//! Files: upload, attach, download (ranges, caching, safe types), images and thumbnails,
//! clean-up, limits, and the S3 backend shared by two nodes.

use crate::cluster::{Cluster, SHARED_REDIS, services_available};
use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{ClientEvent, File, ServerEvent};
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

both_stores!(
    upload_attach_download_round_trip,
    only_members_see_files,
    attachments_are_checked,
    uploads_over_the_limit_are_refused_unread,
    types_come_from_the_bytes_and_risky_ones_download,
    images_get_sizes_and_thumbnails,
    a_decompression_bomb_is_refused_from_its_header,
    ranges_and_revalidation,
    deleting_a_message_or_room_removes_its_files,
    unattached_uploads_are_removed,
);

/// Bytes that are no known type and not text.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8 | 0x80).collect()
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]))),
        ImageFormat::Png,
    )
}

/// A JPEG of `width` × `height` stored pixels whose EXIF says "rotate 90° clockwise to show".
fn jpeg_turned(width: u32, height: u32) -> Vec<u8> {
    let jpeg = encode(
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| image::Rgb([x as u8, 0, 0]))),
        ImageFormat::Jpeg,
    );
    // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112) = 6.
    let tiff: &[u8] =
        b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00";
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG whose header claims 50,000 × 50,000 pixels (10 GB of RGBA) in a few bytes.
fn png_bomb() -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        c.extend_from_slice(&body);
        c.extend_from_slice(&crc32(&body).to_be_bytes());
        c
    };
    let mut ihdr = 50_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]));
    out.extend(chunk(b"IEND", b""));
    out
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The files under the local store's directory.
fn stored_objects(data_dir: &Path) -> usize {
    walk(&data_dir.join("files"))
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}

/// Waits up to 10 s for `check` to hold.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn upload_attach_download_round_trip(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "private").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let mut bob_ws = app.ws(bob).await;
    bob_ws.subscribe(room, Some(0)).await;

    let bytes = binary(700_000);
    let file = app.upload_ok(alice, room, "dump.bin", "application/octet-stream", bytes.clone()).await;
    assert_eq!((file.room_id, file.name.as_str(), file.size), (room, "dump.bin", 700_000));
    assert_eq!((file.content_type.as_str(), file.width, file.height), ("application/octet-stream", None, None));
    let picture = app.upload_ok(alice, room, "pic.png", "image/png", png(64, 32)).await;

    // Over the WebSocket, with no text: the ack and Bob's copy carry both files, in order.
    let mut alice_ws = app.ws(alice).await;
    alice_ws
        .send(&ClientEvent::Send {
            room_id: room,
            client_id: "f1".into(),
            body: String::new(),
            attachments: vec![file.id, picture.id],
            reply_to: None,
            also_to_room: false,
        })
        .await;
    let acked = alice_ws.ack("f1").await;
    assert_eq!(acked.attachments, [file.clone(), picture.clone()]);
    assert_eq!(acked.body, "");
    let live = bob_ws.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    let Some(ServerEvent::Message { message, .. }) = live.last() else { panic!("no message") };
    assert_eq!(message.attachments, acked.attachments);

    // Over REST, with text; a repeat of the same client_id is the original, not a conflict.
    let third = app.upload_ok(alice, room, "notes.txt", "text/plain", b"hello\n".to_vec()).await;
    let body = serde_json::json!({"body": "see notes", "client_id": "r1", "attachments": [third.id]});
    let sent = app.send_message_json(alice, room, &body).await;
    assert_eq!(sent.status(), 201);
    let repeat = app.send_message_json(alice, room, &body).await;
    assert_eq!(repeat.status(), 200, "a retried send with the same files is the original");

    assert_eq!(app.download_ok(bob, file.id).await, bytes, "byte for byte");
    let history = app.history_ok(bob, room, "").await.messages;
    assert_eq!(history.iter().map(|m| m.attachments.len()).collect::<Vec<_>>(), [2, 1]);
    let mut again = app.ws(bob).await;
    let (replay, _) = again.subscribe(room, Some(0)).await;
    let replayed: Vec<Vec<File>> = replay
        .into_iter()
        .filter_map(|e| match e {
            ServerEvent::Message { message, .. } => Some(message.attachments),
            _ => None,
        })
        .collect();
    assert_eq!(replayed, history.iter().map(|m| m.attachments.clone()).collect::<Vec<_>>(), "replay as history");
    let found = app.search_ok(bob, &[("q", "has:file")]).await.results;
    assert_eq!(found.len(), 2, "has:file finds both messages with files");
    assert_eq!(app.search_ok(bob, &[("q", "see has:file")]).await.results.len(), 1);
}

async fn only_members_see_files(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (secret, users) = app.room_with_members(&["alice"], "private").await;
    let alice = &users[0].access_token;
    let public = app.create_room(alice, "lobby", "public").await.id;
    let carol = app.register("carol").await.access_token;
    let hidden = app.upload_ok(alice, secret, "plan.txt", "text/plain", b"the plan".to_vec()).await;
    let shown = app.upload_ok(alice, public, "menu.txt", "text/plain", b"the menu".to_vec()).await;

    assert_problem(app.upload(&carol, secret, "x.txt", "text/plain", b"x".to_vec()).await, 404, "not_found").await;
    assert_problem(app.upload(&carol, public, "x.txt", "text/plain", b"x".to_vec()).await, 403, "not_a_member").await;
    for id in [hidden.id, shown.id, 999_999] {
        assert_problem(app.download(&carol, id, &[]).await, 404, "not_found").await;
        assert_problem(app.thumbnail(&carol, id).await, 404, "not_found").await;
    }
    assert_problem(app.download("not-a-token", hidden.id, &[]).await, 401, "unauthenticated").await;
    // Joining the public room shows its files; leaving hides them again.
    app.join(&carol, public).await;
    assert_eq!(app.download_ok(&carol, shown.id).await, b"the menu");
    assert_eq!(app.leave_room(&carol, public).await.status(), 204);
    assert_problem(app.download(&carol, shown.id, &[]).await, 404, "not_found").await;
}

async fn attachments_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let other = app.create_room(alice, "other", "public").await.id;
    let mine = app.upload_ok(alice, room, "a.txt", "text/plain", b"a".to_vec()).await.id;
    let bobs = app.upload_ok(bob, room, "b.txt", "text/plain", b"b".to_vec()).await.id;
    let elsewhere = app.upload_ok(alice, other, "c.txt", "text/plain", b"c".to_vec()).await.id;

    // Malformed lists are invalid input; files one may not attach conflict with what exists.
    for (files, why, status, code) in [
        ((0..11).collect(), "more than ten", 400, "validation_failed"),
        (vec![bobs], "another user's upload", 409, "conflict"),
        (vec![elsewhere], "an upload to another room", 409, "conflict"),
        (vec![987_654], "no such file", 409, "conflict"),
    ] {
        let res = app.send_files(alice, room, "x", &files).await;
        let problem = assert_problem(res, status, code).await;
        assert_eq!(problem["errors"][0]["field"], "attachments", "{why}");
    }
    assert_problem(app.send_files(alice, room, "", &[]).await, 400, "validation_failed").await;
    assert_problem(app.send_files(alice, room, "   ", &[]).await, 400, "validation_failed").await;
    let sent = app.send_files_ok(alice, room, "", &[mine, mine]).await;
    assert_eq!(sent.attachments.len(), 1, "a file named twice is attached once");
    let again = app.send_files(alice, room, "again", &[mine]).await;
    assert_eq!(assert_problem(again, 409, "conflict").await["errors"][0]["field"], "attachments");
    // Over the WebSocket the refusal is an `error` for that send; the connection goes on.
    let mut ws = app.ws(alice).await;
    ws.send(&ClientEvent::Send {
        room_id: room,
        client_id: "w".into(),
        body: String::new(),
        attachments: vec![bobs],
        reply_to: None,
        also_to_room: false,
    })
    .await;
    let events = ws.until(|e| matches!(e, ServerEvent::Error { .. })).await;
    assert!(
        matches!(events.last(), Some(ServerEvent::Error { code, client_id: Some(c), .. }) if code == "conflict" && c == "w")
    );
    // An edit may empty the text of a message with files, not of one without.
    assert_eq!(app.edit_message(alice, room, sent.id, "").await.status(), 200);
    let plain = app.send_message_ok(alice, room, "words").await;
    assert_problem(app.edit_message(alice, room, plain.id, "").await, 400, "validation_failed").await;
    assert_problem(app.upload(alice, room, "../", "text/plain", b"x".to_vec()).await, 400, "validation_failed").await;
    let empty = app.upload_ok(alice, room, "empty.txt", "text/plain", Vec::new()).await;
    assert_eq!((empty.size, app.download_ok(alice, empty.id).await.len()), (0, 0), "an empty file is a file");
}

async fn uploads_over_the_limit_are_refused_unread(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--max-upload-bytes", "100000"]).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = &users[0].access_token;
    assert_eq!(app.server_ok().await.max_upload_bytes, 100_000);
    assert_eq!(app.upload_ok(alice, room, "fits.bin", "application/octet-stream", binary(100_000)).await.size, 100_000);
    assert_problem(
        app.upload(alice, room, "big.bin", "application/octet-stream", binary(100_001)).await,
        413,
        "payload_too_large",
    )
    .await;

    // A declared length over the limit is answered at once, without waiting for the body:
    // only the headers and a few bytes of 500 MB are ever sent.
    let mut tcp = std::net::TcpStream::connect(&app.addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let head = format!(
        "POST /api/v1/rooms/{room}/files?name=huge.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {alice}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 500000000\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).expect("headers");
    tcp.write_all(&binary(1000)).expect("a little body");
    let mut answer = [0u8; 64];
    let n = tcp.read(&mut answer).expect("an answer before the body");
    assert!(
        String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );

    // Without a declared length (chunked), the upload stops at the limit and nothing is kept.
    let chunks = futures_util::stream::iter((0..20).map(|_| Ok::<_, std::io::Error>(binary(10_000))));
    let res = app
        .http
        .post(app.url(&format!("/api/v1/rooms/{room}/files?name=stream.bin")))
        .bearer_auth(alice)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("chunked upload");
    assert_problem(res, 413, "payload_too_large").await;
    if backend == Backend::Sqlite {
        eventually("only the upload that fit is stored", async || stored_objects(app.data_dir()) == 1).await;
    }
}

async fn types_come_from_the_bytes_and_risky_ones_download(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = &users[0].access_token;
    let disguised = app.upload_ok(alice, room, "cat.txt", "text/plain", png(8, 8)).await;
    assert_eq!((disguised.content_type.as_str(), disguised.width), ("image/png", Some(8)));
    let words = app.upload_ok(alice, room, "fake.png", "image/png", b"just words".to_vec()).await;
    assert_eq!((words.content_type.as_str(), words.width), ("text/plain", None));
    assert_problem(app.thumbnail(alice, words.id).await, 404, "not_found").await;

    let page = b"<!DOCTYPE html><html><script>alert(document.domain)</script></html>".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    for (name, bytes, stored) in [("page.html", page, "text/html"), ("logo.svg", svg, "image/svg+xml")] {
        let file = app.upload_ok(alice, room, name, "image/png", bytes).await;
        assert_eq!(file.content_type, stored);
        let res = app.download(alice, file.id, &[]).await;
        assert_eq!(res.status(), 200);
        assert!(header(&res, "content-disposition").starts_with("attachment;"), "{name} downloads");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert!(header(&res, "content-security-policy").contains("sandbox"), "{name} is sandboxed");
    }
    let res = app.download(alice, disguised.id, &[]).await;
    assert!(header(&res, "content-disposition").starts_with("inline;"), "a PNG shows inline");
    assert_eq!(header(&res, "content-type"), "image/png");
    assert!(header(&res, "cache-control").contains("private"));
    // The name is stored without its path and invisible characters, and shown as given.
    let renamed =
        app.upload_ok(alice, room, "C:\\tmp\\r\u{e9}sum\u{e9}\u{202E}fdp.exe", "text/plain", b"x".to_vec()).await;
    assert_eq!(renamed.name, "r\u{e9}sum\u{e9}fdp.exe");
}

async fn images_get_sizes_and_thumbnails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = &users[0].access_token;
    let wide = app.upload_ok(alice, room, "wide.png", "image/png", png(1200, 600)).await;
    assert_eq!((wide.width, wide.height), (Some(1200), Some(600)));
    let res = app.thumbnail(alice, wide.id).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    let thumb = image::load_from_memory(&res.bytes().await.expect("thumbnail")).expect("decodes");
    assert_eq!((thumb.width(), thumb.height()), (400, 200));

    // EXIF orientation: stored 300 × 200, shown 200 × 300, and the thumbnail is turned.
    let turned = app.upload_ok(alice, room, "phone.jpg", "image/jpeg", jpeg_turned(300, 200)).await;
    assert_eq!((turned.content_type.as_str(), turned.width, turned.height), ("image/jpeg", Some(200), Some(300)));
    let bytes = app.thumbnail(alice, turned.id).await.bytes().await.expect("thumbnail");
    let thumb = image::load_from_memory(&bytes).expect("decodes");
    assert_eq!((thumb.width(), thumb.height()), (200, 300));
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "the thumbnail carries no metadata");

    // Transparency keeps a PNG thumbnail; a second request is the stored one.
    let clear =
        encode(DynamicImage::ImageRgba8(RgbaImage::from_pixel(500, 500, image::Rgba([0, 0, 0, 0]))), ImageFormat::Png);
    let clear = app.upload_ok(alice, room, "clear.png", "image/png", clear).await;
    let first = app.thumbnail(alice, clear.id).await;
    assert_eq!(header(&first, "content-type"), "image/png");
    let etag = header(&first, "etag");
    let first = first.bytes().await.expect("bytes");
    assert_eq!(app.thumbnail(alice, clear.id).await.bytes().await.expect("bytes"), first);
    let revalidated = app
        .http
        .get(app.url(&format!("/api/v1/files/{}/thumbnail", clear.id)))
        .bearer_auth(alice)
        .header("if-none-match", etag)
        .send()
        .await
        .expect("thumbnail");
    assert_eq!(revalidated.status(), 304);
}

async fn a_decompression_bomb_is_refused_from_its_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = &users[0].access_token;
    let before = app.rss_kib();
    let res = app.upload(alice, room, "bomb.png", "image/png", png_bomb()).await;
    let problem = assert_problem(res, 400, "image_too_large").await;
    assert!(problem["detail"].as_str().unwrap_or_default().contains("50000 × 50000"), "{problem}");
    // Decoding it would take 10 GB: the server neither grew by that nor died.
    assert!(app.rss_kib() < before + 50_000, "RSS grew from {before} to {} KiB", app.rss_kib());
    assert_eq!(app.healthz().await.status(), 200);
}

async fn ranges_and_revalidation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = &users[0].access_token;
    let bytes = binary(10_000);
    let file = app.upload_ok(alice, room, "song.bin", "audio/ogg", bytes.clone()).await;
    for (range, expected, content_range) in [
        ("bytes=100-199", &bytes[100..200], "bytes 100-199/10000"),
        ("bytes=9990-", &bytes[9990..], "bytes 9990-9999/10000"),
        ("bytes=-5", &bytes[9995..], "bytes 9995-9999/10000"),
    ] {
        let res = app.download(alice, file.id, &[("range", range)]).await;
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(header(&res, "content-range"), content_range);
        assert_eq!(res.bytes().await.expect("bytes"), expected, "{range}");
    }
    let res = app.download(alice, file.id, &[("range", "bytes=10000-")]).await;
    assert_eq!(header(&res, "content-range"), "bytes */10000");
    assert_problem(res, 416, "range_not_satisfiable").await;
    let full = app.download(alice, file.id, &[]).await;
    let etag = header(&full, "etag");
    assert_eq!(
        (header(&full, "content-length"), header(&full, "accept-ranges")),
        ("10000".to_owned(), "bytes".to_owned())
    );
    assert_eq!(app.download(alice, file.id, &[("if-none-match", &etag)]).await.status(), 304);
    assert_eq!(app.download(alice, file.id, &[("if-none-match", "\"other\"")]).await.status(), 200);
}

async fn deleting_a_message_or_room_removes_its_files(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let picture = app.upload_ok(alice, room, "p.png", "image/png", png(500, 500)).await;
    let kept = app.upload_ok(alice, room, "k.txt", "text/plain", b"kept".to_vec()).await;
    let message = app.send_files_ok(alice, room, "pic", &[picture.id]).await;
    app.send_files_ok(alice, room, "keep", &[kept.id]).await;
    assert_eq!(app.thumbnail(bob, picture.id).await.status(), 200);
    let mut ws = app.ws(bob).await;
    ws.subscribe(room, None).await;
    assert_eq!(app.delete_message(alice, room, message.id).await.status(), 204);
    let events = ws.until(|e| matches!(e, ServerEvent::MessageDeleted { .. })).await;
    assert!(matches!(events.last(), Some(ServerEvent::MessageDeleted { message_id, .. }) if *message_id == message.id));
    assert_problem(app.download(bob, picture.id, &[]).await, 404, "not_found").await;
    let history = app.history_ok(bob, room, "").await.messages;
    assert!(history[0].deleted && history[0].attachments.is_empty(), "a tombstone keeps no files");
    assert_eq!(app.download_ok(bob, kept.id).await, b"kept");
    if backend == Backend::Sqlite {
        // The original and its thumbnail are gone from storage; the other file stays.
        eventually("the deleted message's objects are removed", async || stored_objects(app.data_dir()) == 1).await;
    }
    assert_eq!(app.delete_room(alice, room).await.status(), 204);
    if backend == Backend::Sqlite {
        eventually("the room's files are removed", async || stored_objects(app.data_dir()) == 0).await;
    }
}

async fn unattached_uploads_are_removed(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--unattached-file-ttl-secs", "1"]).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = &users[0].access_token;
    let forgotten = app.upload_ok(alice, room, "left.txt", "text/plain", b"left".to_vec()).await;
    let sent = app.upload_ok(alice, room, "sent.txt", "text/plain", b"sent".to_vec()).await;
    app.send_files_ok(alice, room, "", &[sent.id]).await;
    eventually("the unattached upload is removed", async || {
        app.download(alice, forgotten.id, &[]).await.status() == 404
    })
    .await;
    let late = app.send_files(alice, room, "too late", &[forgotten.id]).await;
    assert_problem(late, 409, "conflict").await;
    assert_eq!(app.download_ok(alice, sent.id).await, b"sent", "an attached file stays");
}

/// An S3 server (s3s-fs) on a free port over a temporary directory, with one bucket.
struct S3 {
    child: Child,
    endpoint: String,
    root: tempfile::TempDir,
}

const S3_KEY: &str = "confab-test-key";
const S3_SECRET: &str = "confab-test-secret-0123456789";
const BUCKET: &str = "confab";

impl S3 {
    /// `None` (and a note) when s3s-fs is not installed; in CI it must be.
    fn start() -> Option<S3> {
        let installed =
            Command::new("s3s-fs").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
        if !installed {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
            assert!(!ci, "s3s-fs is required in CI (`.ci/run` installs it)");
            eprintln!("SKIPPED: s3s-fs is not installed; the S3 test did not run");
            return None;
        }
        let root = tempfile::tempdir().expect("s3 root");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let child = Command::new("s3s-fs")
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--access-key",
                S3_KEY,
                "--secret-key",
                S3_SECRET,
            ])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start s3s-fs");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(S3 { child, endpoint: format!("http://127.0.0.1:{port}"), root })
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", S3_KEY),
            ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ALLOW_HTTP", "true"),
        ]
    }

    fn objects(&self) -> usize {
        walk(&self.root.path().join(BUCKET).join("uploads"))
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two nodes on one S3 bucket: a file uploaded through A (several multipart parts) downloads
/// from B, B makes its thumbnail, and a delete through B removes the objects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_is_shared_by_two_nodes() {
    if !services_available() {
        return;
    }
    let Some(s3) = S3::start() else { return };
    let files_url = format!("s3://{BUCKET}/uploads");
    let cluster = Cluster::start_with_env(2, SHARED_REDIS, &["--files-url", &files_url], &s3.env());
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob"], "private").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);

    let big = binary(12 * 1024 * 1024 + 123);
    let file = a.upload_ok(alice, room, "big.bin", "application/octet-stream", big.clone()).await;
    let picture = a.upload_ok(alice, room, "p.png", "image/png", png(800, 400)).await;
    let message = a.send_files_ok(alice, room, "both", &[file.id, picture.id]).await;
    assert_eq!(b.download_ok(bob, file.id).await, big, "node B serves node A's upload");
    let range = b.download(bob, file.id, &[("range", "bytes=5242880-5242889")]).await;
    assert_eq!(range.bytes().await.expect("range").as_ref(), &big[5_242_880..5_242_890], "a range across parts");
    let thumb = b.thumbnail(bob, picture.id).await.bytes().await.expect("thumbnail");
    assert_eq!(image::load_from_memory(&thumb).expect("decodes").width(), 400);
    assert_eq!(s3.objects(), 3, "two originals and a thumbnail");
    let empty = a.upload_ok(alice, room, "empty.txt", "text/plain", Vec::new()).await;
    assert!(b.download_ok(bob, empty.id).await.is_empty(), "an empty file (no multipart parts) works on S3");

    assert_eq!(b.delete_message(alice, room, message.id).await.status(), 204);
    assert_problem(a.download(bob, file.id, &[]).await, 404, "not_found").await;
    eventually("the message's objects are removed from the bucket", async || s3.objects() == 1).await;
}
