//! `confab backup DIR` and `confab export --room ID`: taking the server's data away, also while
//! it runs.
//!
//! A backup is the database and the files. On SQLite, `VACUUM INTO` writes a consistent
//! snapshot of the store as of one moment (a read transaction: the server keeps writing beside
//! it) into `DIR/confab.db`; then every object of the file storage is copied into `DIR/files`.
//! Files are copied after the snapshot, so every file a message of the snapshot names is there,
//! but for one whose message was deleted (and the file purged) in between. On PostgreSQL the
//! database is `pg_dump`'s to take (printed: the same consistent snapshot, by the tool that
//! restores it); the files are copied the same way.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::config::Config;
use crate::files::Storage;
use crate::store::{self, Store, messages::Scope};

/// Messages read per page of an export.
const EXPORT_PAGE: i64 = 1000;

/// Writes a backup of the configured store and files into `dir` (new, or empty), and says on
/// stdout what it holds and how to restore it.
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<()> {
    prepare(dir)?;
    let started = Instant::now();
    let url = config.database_url();
    let database = if store::is_postgres(&url) {
        println!("PostgreSQL: take the database with pg_dump, which reads one consistent snapshot while");
        println!("the server keeps serving, and restore it into an empty database with pg_restore:");
        println!(
            "  pg_dump --format=custom --file {} '{}'",
            dir.join("confab.pgdump").display(),
            without_password(&url)
        );
        println!("  pg_restore --dbname <empty database URL> {}", dir.join("confab.pgdump").display());
        None
    } else {
        let snapshot = dir.join("confab.db");
        let messages = snapshot_sqlite(&url, &snapshot).await?;
        Some((messages, std::fs::metadata(&snapshot)?.len()))
    };
    // Access tokens and the VAPID key (unless given) come from it: a restore without it signs
    // everyone out and loses every push subscription.
    let secret = config.data_dir.join("jwt_secret");
    if secret.exists() {
        std::fs::copy(&secret, dir.join("jwt_secret")).with_context(|| format!("copying {}", secret.display()))?;
        println!("secret: {} (keep this backup private)", dir.join("jwt_secret").display());
    }
    let from = Storage::open(&config.files_url, &config.data_dir)?;
    let to = Storage::open("", dir)?;
    let (objects, bytes) = from.copy_all(&to).await.context("copying the files")?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some((messages, size)) = database {
        println!("database: {messages} messages, {} in {}", mib(size), dir.join("confab.db").display());
    }
    println!("files: {objects} objects, {} in {}", mib(bytes), dir.join("files").display());
    println!("took {seconds:.1} s");
    println!(
        "restore: stop the server, then copy what is here (confab.db, jwt_secret, files/) into its data directory"
    );
    Ok(())
}

/// `dir` exists and is empty, so a backup never mixes with an older one.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    anyhow::ensure!(entries.next().is_none(), "{} is not empty: back up into a new directory", dir.display());
    Ok(())
}

/// `VACUUM INTO` the SQLite store at `path`: returns the snapshot's number of messages.
async fn snapshot_sqlite(path: &str, snapshot: &Path) -> anyhow::Result<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let (path, snapshot): (String, PathBuf) = (path.to_owned(), snapshot.to_owned());
    tokio::task::spawn_blocking(move || -> anyhow::Result<i64> {
        anyhow::ensure!(Path::new(&path).exists(), "no SQLite store at {path}");
        let mut source = SqliteConnection::establish(&path).with_context(|| format!("opening {path}"))?;
        diesel::sql_query("PRAGMA busy_timeout = 10000").execute(&mut source)?;
        diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(snapshot.to_string_lossy().into_owned())
            .execute(&mut source)
            .context("VACUUM INTO")?;
        let mut copy = SqliteConnection::establish(&snapshot.to_string_lossy())?;
        let counted: Count = diesel::sql_query("SELECT count(*) AS n FROM messages").get_result(&mut copy)?;
        Ok(counted.n)
    })
    .await?
}

fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Prints the room's messages as JSON lines, oldest first: each a `Message` as the API gives it
/// (deleted ones keep their place), with its attachments' metadata.
pub async fn export(store: &Store, room_id: i64) -> anyhow::Result<()> {
    store::rooms::by_id(store, room_id).await?.with_context(|| format!("no room {room_id}"))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut after, mut count) = (0, 0u64);
    loop {
        let (rows, more) =
            store::messages::history(store, room_id, Scope::Room, None, Some(after), EXPORT_PAGE).await?;
        for (message, author) in rows {
            after = message.seq;
            serde_json::to_writer(&mut out, &message.into_message(author))?;
            out.write_all(b"\n")?;
            count += 1;
        }
        if !more {
            break;
        }
    }
    out.flush()?;
    eprintln!("exported {count} messages of room {room_id}");
    Ok(())
}
