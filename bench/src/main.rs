//! `confab-bench`: starts a fresh `confab` (release build) per scenario and store, drives it
//! with real WebSocket clients built on `confab-shared`, and prints one JSON line per run.

mod backup;
mod client;
mod files;
mod scenarios;
mod search;
mod server;
mod webhooks;

use scenarios::Traffic;

use clap::{Parser, ValueEnum};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Fanout,
    /// The latency target's shape: 100 rooms × 20 clients, 20 messages/s per room, 10 s.
    Latency,
    Ingest,
    Resume,
    /// `--resume-changes` entries of one user's stream, then one `sync {after_user_seq: 0}`.
    UserResume,
    Connections,
    Startup,
    /// 1 room × `--burst-clients`, each sending `--burst-each` messages as fast as it can.
    Burst,
    /// The burst at 1 room × 1,000 clients, 10 messages each.
    BurstWide,
    /// `--search-messages` of generated text over 100 rooms, then query latencies.
    Search,
    /// Upload and download of 25 MiB files, memory during ten at once, 12-megapixel thumbnails.
    Files,
    /// 1 room × 20 clients at 1,000 messages/s, without and with 1,000 reaction toggles/s.
    Reactions,
    /// `--search-messages` of generated text, then the time and size of a backup.
    Backup,
    /// 16 posters sending 20,000 posts to one incoming webhook.
    HookIngest,
    /// 1,000 messages at 100/s to a room with an outgoing webhook: commit-to-receiver lag.
    HookLag,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(about = "Load generator for Confab")]
struct Args {
    #[arg(long, value_enum, default_value = "all")]
    scenario: Scenario,
    #[arg(long, value_enum, default_value = "both")]
    store: StoreKind,
    /// The server binary.
    #[arg(long, default_value = "target/release/confab")]
    server: String,
    /// PostgreSQL server (a database is created per run and dropped after).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pg: String,
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    #[arg(long, default_value_t = 1000)]
    messages: usize,
    /// Messages per second per room (fanout).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    #[arg(long, default_value_t = 20_000)]
    ingest_messages: usize,
    #[arg(long, default_value_t = 16)]
    ingest_senders: usize,
    #[arg(long, default_value_t = 64)]
    ingest_window: usize,
    /// The text of every ingested message (say `"hi @ing1 @ing2"` to measure finding mentions).
    #[arg(long, default_value = "ingest")]
    ingest_body: String,
    #[arg(long, default_value_t = 10_000)]
    resume_changes: usize,
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    #[arg(long, default_value_t = 100)]
    burst_clients: usize,
    #[arg(long, default_value_t = 100)]
    burst_each: usize,
    #[arg(long, default_value_t = 1_000_000)]
    search_messages: usize,
}

fn psql(base: &str, sql: &str) -> bool {
    psql_url(&format!("{base}/postgres"), sql)
}

fn psql_url(url: &str, sql: &str) -> bool {
    std::process::Command::new("psql")
        .arg(url)
        .args(["-q", "-c", sql])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The size of a PostgreSQL database on disk (0 if it cannot be read).
pub fn postgres_bytes(url: &str) -> u64 {
    std::process::Command::new("psql")
        .arg(url)
        .args(["-tAq", "-c", "SELECT pg_database_size(current_database())"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scenarios = match args.scenario {
        Scenario::All => {
            use Scenario::*;
            vec![
                Startup,
                Ingest,
                Fanout,
                Latency,
                Resume,
                UserResume,
                Connections,
                Burst,
                BurstWide,
                Search,
                Files,
                Reactions,
                Backup,
                HookIngest,
                HookLag,
            ]
        }
        one => vec![one],
    };
    let stores = match args.store {
        StoreKind::Both => vec![StoreKind::Sqlite, StoreKind::Postgres],
        one => vec![one],
    };
    for store in stores {
        for scenario in &scenarios {
            let db = (store == StoreKind::Postgres).then(|| format!("confab_bench_{}", std::process::id()));
            if let Some(db) = &db {
                anyhow::ensure!(psql(&args.pg, &format!("CREATE DATABASE {db}")), "create database {db}");
            }
            let url = db.as_ref().map(|db| format!("{}/{db}", args.pg));
            let result = run(&args, *scenario, url.as_deref()).await;
            if let Some(db) = &db {
                psql(&args.pg, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
            let (ok, result) = match result {
                Ok(r) => (true, r),
                Err(e) => (false, json!({"error": e.to_string()})),
            };
            let store = format!("{store:?}").to_lowercase();
            let scenario = format!("{scenario:?}").to_lowercase();
            println!("{}", json!({"scenario": scenario, "store": store, "ok": ok, "result": result}));
        }
    }
    Ok(())
}

async fn run(args: &Args, scenario: Scenario, database_url: Option<&str>) -> anyhow::Result<serde_json::Value> {
    // The bursts run with the server's default queue (the bench otherwise raises it).
    let extra: &[&str] = match scenario {
        Scenario::Burst | Scenario::BurstWide => &["--outbound-queue", "1024"],
        Scenario::Files => files::OPTIONS,
        Scenario::HookIngest | Scenario::HookLag => webhooks::OPTIONS,
        Scenario::UserResume => &["--action-rate", "1000000", "--action-burst", "1000000"],
        _ => &[],
    };
    let server = server::Server::start(&args.server, database_url, extra)?;
    let api = client::Api::new(&server.addr);
    let cpu_before = server.cpu_seconds();
    let mut result = match scenario {
        Scenario::Fanout => {
            let (rooms, clients, messages, rate) = (args.rooms, args.clients, args.messages, args.rate);
            scenarios::fanout(&api, Traffic { rooms, clients, messages, rate, reactions: 0.0, prefix: "fan" }).await?
        }
        Scenario::Latency => {
            let traffic = Traffic { rooms: 100, clients: 20, messages: 200, rate: 20.0, reactions: 0.0, prefix: "fan" };
            scenarios::fanout(&api, traffic).await?
        }
        Scenario::Reactions => scenarios::reactions(&api).await?,
        Scenario::Ingest => {
            let body = &args.ingest_body;
            scenarios::ingest(&api, args.ingest_senders, args.ingest_messages, args.ingest_window, body).await?
        }
        Scenario::Resume => scenarios::resume(&api, args.resume_changes).await?,
        Scenario::UserResume => scenarios::user_resume(&api, args.resume_changes).await?,
        Scenario::Connections => scenarios::connections(&api, &server, args.connections).await?,
        Scenario::Startup => scenarios::startup(&api, &server).await?,
        Scenario::Burst => scenarios::burst(&api, &server, args.burst_clients, args.burst_each).await?,
        Scenario::BurstWide => scenarios::burst(&api, &server, 1000, 10).await?,
        Scenario::Search => {
            let size = || database_url.map_or_else(|| server.sqlite_bytes(), postgres_bytes);
            let analyze = || {
                if let Some(url) = database_url {
                    psql_url(url, "ANALYZE");
                }
            };
            search::search(&api, args.search_messages, size, analyze).await?
        }
        Scenario::Files => files::files(&api, &server).await?,
        Scenario::Backup => backup::backup(&api, &server, &args.server, database_url, args.search_messages).await?,
        Scenario::HookIngest => webhooks::incoming(&api, 16, 20_000).await?,
        Scenario::HookLag => webhooks::outgoing(&api, 100.0, 1000).await?,
        Scenario::All => unreachable!("expanded above"),
    };
    result["server_cpu_seconds"] = json!(server.cpu_seconds() - cpu_before);
    result["server_rss_kib"] = json!(server.rss_kib());
    Ok(result)
}
