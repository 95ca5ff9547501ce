//! `confab backup` and `confab export` on a running server's store.

use std::collections::HashSet;
use std::process::{Command, Stdio};

use crate::files::png;
use crate::helpers::{Backend, TestApp, both_stores, send_event};
use confab_shared::{Message, ServerEvent};

both_stores!(export_prints_the_room_as_json_lines, a_backup_copies_the_files_and_the_secret);

/// Sends kept in flight at once by the ingest below.
const WINDOW: usize = 32;

fn confab() -> Command {
    let mut command =
        Command::new(std::env::var("CONFAB_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confab").to_owned()));
    command.env_remove("CONFAB_DATABASE_URL");
    command
}

/// A backup taken while a client pipelines sends restores to a server that has every message
/// acknowledged before the backup began (and the files), while the ingest never stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_ingest_restores_every_acknowledged_message() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let anna = app.register("anna").await.access_token;
    let room = app.create_room(&anna, "ingest", "public").await;
    let file = app.upload_ok(&anna, room.id, "photo.png", "image/png", png(40, 30)).await;
    app.send_files_ok(&anna, room.id, "with a file", &[file.id]).await;
    let backup = tempfile::tempdir().expect("temp dir");
    let target = backup.path().join("backup");

    let mut ws = app.ws(&anna).await;
    let (mut sent, mut in_flight) = (0usize, 0usize);
    let mut acked: Vec<String> = Vec::new();
    let mut before: Option<HashSet<String>> = None;
    let mut running: Option<std::process::Child> = None;
    let mut during = 0;
    loop {
        while running.is_some() || before.is_none() {
            if in_flight >= WINDOW {
                break;
            }
            ws.send(&send_event(room.id, &format!("m{sent}"), &format!("message {sent}"))).await;
            sent += 1;
            in_flight += 1;
        }
        if in_flight == 0 {
            break;
        }
        if let ServerEvent::Ack { client_id, .. } = ws.recv().await {
            acked.push(client_id);
            in_flight -= 1;
            if running.is_some() {
                during += 1;
            }
        }
        if before.is_none() && acked.len() >= 300 {
            before = Some(acked.iter().cloned().collect());
            let child = confab()
                .args(["backup", &target.to_string_lossy(), "--data-dir", &app.data_dir().to_string_lossy()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start confab backup");
            running = Some(child);
        }
        if let Some(child) = running.as_mut()
            && child.try_wait().expect("wait").is_some()
        {
            let output = running.take().expect("running").wait_with_output().expect("backup output");
            let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
            assert!(output.status.success(), "{text}");
            assert!(text.contains("files: 1 objects"), "{text}");
            // Stop sending: drain what is in flight (the loop ends once nothing is).
        }
    }
    let before = before.expect("the backup began");
    assert!(during > 0, "the server kept acknowledging sends while the backup ran");
    assert!(sent > before.len(), "sends went on after the backup began");

    let restored = tempfile::tempdir().expect("temp dir");
    std::fs::copy(target.join("confab.db"), restored.path().join("confab.db")).expect("copy the database");
    std::fs::copy(target.join("jwt_secret"), restored.path().join("jwt_secret")).expect("copy the secret");
    copy_dir(&target.join("files"), &restored.path().join("files"));
    let again = TestApp::spawn_args(vec!["--data-dir".into(), restored.path().to_string_lossy().into_owned()]);
    let anna = again.login_ok("anna", "password123").await.access_token;
    let mut have = HashSet::new();
    let mut attached = None;
    let mut after = 0;
    loop {
        let page = again.history_ok(&anna, room.id, &format!("after_seq={after}&limit=200")).await;
        for message in &page.messages {
            have.insert(message.client_id.clone().unwrap_or_default());
            if let Some(file) = message.attachments.first() {
                attached = Some(file.id);
            }
            after = message.seq;
        }
        if !page.has_more {
            break;
        }
    }
    let missing: Vec<_> = before.iter().filter(|id| !have.contains(*id)).collect();
    assert!(missing.is_empty(), "{} acknowledged messages missing, such as {:?}", missing.len(), missing.first());
    let bytes = again.download_ok(&anna, attached.expect("the message with a file")).await;
    assert_eq!(bytes, png(40, 30), "the file came back too");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy file");
        }
    }
}

async fn export_prints_the_room_as_json_lines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let room = app.create_room(&anna, "team", "public").await;
    let file = app.upload_ok(&anna, room.id, "notes.txt", "text/plain", b"some notes".to_vec()).await;
    app.send_files_ok(&anna, room.id, "the notes", &[file.id]).await;
    for n in 0..1100 {
        app.send_message_ok(&anna, room.id, &format!("message {n}")).await;
    }
    let gone = app.send_message_ok(&anna, room.id, "a mistake").await;
    assert_eq!(app.delete_message(&anna, room.id, gone.id).await.status(), 204);

    let out = app.cli(&["export", "--room", &room.id.to_string()], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Message> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line a Message"))
        .collect();
    assert_eq!(lines.len(), 1102, "every message, across pages of the store");
    assert!(lines.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
    assert_eq!(lines[0].attachments[0].name, "notes.txt", "with its files' metadata");
    assert_eq!(lines[0].attachments[0].size, 10);
    assert_eq!(lines[1101].id, gone.id);
    assert!(lines[1101].deleted && lines[1101].body.is_empty(), "a deleted message keeps its place, not its text");

    let out = app.cli(&["export", "--room", "999999"], "");
    assert!(!out.status.success(), "an unknown room fails");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no room 999999"));
}

async fn a_backup_copies_the_files_and_the_secret(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let room = app.create_room(&anna, "team", "public").await;
    let file = app.upload_ok(&anna, room.id, "a.png", "image/png", png(20, 20)).await;
    app.send_files_ok(&anna, room.id, "a picture", &[file.id]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("b");
    let out = app.cli(&["backup", &target.to_string_lossy()], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("files: 1 objects"), "{text}");
    assert!(target.join("jwt_secret").exists());
    match backend {
        Backend::Sqlite => assert!(text.contains("database: 1 messages"), "{text}"),
        Backend::Postgres => {
            assert!(text.contains("pg_dump --format=custom"), "it says how to dump the database: {text}")
        }
    }
    let out = app.cli(&["backup", &target.to_string_lossy()], "");
    assert!(!out.status.success(), "a second backup does not mix into the first");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
}
