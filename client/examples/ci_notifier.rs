//! A CI notifier: posts a build's result to a room, once, however often the job is retried.
//!
//! ```text
//! CONFAB_URL=http://127.0.0.1:8080 CONFAB_TOKEN=cfb_… \
//!     cargo run -p confab-client --example ci_notifier -- builds 812 passed https://ci.example/812
//! ```
//!
//! Arguments: the room's name (a public room, joined first, or a room the bot was added to),
//! the build's id, `passed` or `failed`, and optionally a link to the build. The message's
//! `client_id` is made of the room, build and result, so a rerun of the same step posts
//! nothing new. Transient failures (the server restarting, a rate limit) are retried.

use confab_client::Client;
use std::process::ExitCode;
use std::time::Duration;

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::var("CONFAB_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
    let Ok(token) = std::env::var("CONFAB_TOKEN") else {
        eprintln!("ci_notifier: set CONFAB_TOKEN to a bot's API token");
        return ExitCode::FAILURE;
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (room, build, passed, link) = match args.as_slice() {
        [room, build, result, rest @ ..] if rest.len() <= 1 && (result == "passed" || result == "failed") => {
            (room, build, result == "passed", rest.first())
        }
        _ => {
            eprintln!("usage: ci_notifier <room> <build> passed|failed [link]");
            return ExitCode::from(2);
        }
    };
    let client = Client::with_token(&url, &token);
    let body = match (passed, link) {
        (true, Some(link)) => format!("✅ **Build {build} passed** ([details]({link}))"),
        (true, None) => format!("✅ **Build {build} passed**"),
        (false, Some(link)) => format!("❌ **Build {build} failed** ([details]({link}))"),
        (false, None) => format!("❌ **Build {build} failed**"),
    };
    let client_id = format!("ci-{room}-{build}-{}", if passed { "passed" } else { "failed" });
    for attempt in 1..=5 {
        match post(&client, room, &body, &client_id).await {
            Ok(Some(seq)) => {
                println!("ci_notifier: posted build {build} to {room} (seq {seq})");
                return ExitCode::SUCCESS;
            }
            Ok(None) => {
                eprintln!("ci_notifier: no room named {room:?} that this bot can see");
                return ExitCode::FAILURE;
            }
            Err(e) if e.is_transient() && attempt < 5 => {
                eprintln!("ci_notifier: {e}; retrying");
                tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
            }
            Err(e) => {
                eprintln!("ci_notifier: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::FAILURE
}

/// Posts the message (once: the same `client_id` answers with the original); its seq, or
/// `None` when the bot sees no room of that name.
async fn post(client: &Client, room: &str, body: &str, client_id: &str) -> confab_client::Result<Option<i64>> {
    let Some(room) = client.room_named(room).await? else { return Ok(None) };
    let room = if room.joined { room } else { client.join(room.id).await? };
    Ok(Some(client.send(room.id, body, Some(client_id)).await?.seq))
}
