//! The `backup` scenario: fills the store as `search` does (`--search-messages` of generated
//! text over 100 rooms), then times a backup of the idle server and measures what it wrote:
//! `confab backup DIR` on SQLite (a `VACUUM INTO` snapshot and the files), `pg_dump
//! --format=custom` on PostgreSQL (what `confab backup` tells an operator to run).

use serde_json::{Value, json};
use std::process::Command;
use std::time::Instant;

use crate::client::Api;
use crate::server::Server;

pub async fn backup(
    api: &Api,
    server: &Server,
    binary: &str,
    database_url: Option<&str>,
    messages: usize,
) -> anyhow::Result<Value> {
    let (_, mut result) = crate::search::fill(api, messages).await?;
    let out = tempfile::tempdir()?;
    let target = out.path().join("backup");
    let started = Instant::now();
    let status = match database_url {
        None => Command::new(binary).arg("backup").arg(&target).arg("--data-dir").arg(server.data_dir()).status()?,
        Some(url) => {
            std::fs::create_dir_all(&target)?;
            Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(target.join("confab.pgdump"))
                .arg(url)
                .status()?
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "the backup failed: {status}");
    result["backup_seconds"] = json!(seconds);
    result["backup_bytes"] = json!(dir_bytes(&target));
    result["store_bytes"] = json!(database_url.map_or_else(|| server.sqlite_bytes(), crate::postgres_bytes));
    Ok(result)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}
