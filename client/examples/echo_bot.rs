//! An echo bot: answers every person's message, in every room it is in, with the same text.
//!
//! ```text
//! CONFAB_URL=http://127.0.0.1:8080 CONFAB_TOKEN=cfb_… cargo run -p confab-client --example echo_bot -- general
//! ```
//!
//! `CONFAB_TOKEN` is a bot's API token (Administration → Bots, or `POST /api/v1/bots`). The
//! names given are public rooms it joins first; it also follows rooms it is added to while it
//! runs. It never answers a bot (itself included), and answers each message once.

use confab_client::types::{ServerEvent, User};
use confab_client::{Client, EventStream};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let url = std::env::var("CONFAB_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
    let Ok(token) = std::env::var("CONFAB_TOKEN") else {
        eprintln!("echo_bot: set CONFAB_TOKEN to a bot's API token");
        return ExitCode::FAILURE;
    };
    let rooms: Vec<String> = std::env::args().skip(1).collect();
    match run(Client::with_token(&url, &token), &rooms).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_bot: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(client: Client, join: &[String]) -> confab_client::Result<()> {
    let me = client.me().await?;
    for name in join {
        match client.room_named(name).await? {
            Some(room) => drop(client.join(room.id).await?),
            None => eprintln!("echo_bot: no room named {name:?}"),
        }
    }
    let mut events = client.connect().await?;
    let rooms = client.joined_rooms().await?;
    for room in &rooms {
        events.subscribe(room.id, None).await;
    }
    println!("echo_bot: @{} listening in {} room(s)", me.username, rooms.len());
    loop {
        match events.next().await? {
            ServerEvent::Message { room_id, message, .. } if answers(&me, &message.author) => {
                // One answer per message, even if it is seen again after a restart.
                events.send_as(room_id, &format!("echo-{}", message.id), &message.body).await;
            }
            ServerEvent::MemberJoined { room_id, user, user_seq: Some(_) } if user.id == me.id => {
                follow(&mut events, room_id).await;
            }
            ServerEvent::Ack { message, .. } => println!("echo_bot: answered in room {}", message.room_id),
            ServerEvent::Error { code, message, .. } => eprintln!("echo_bot: refused ({code}): {message}"),
            _ => {}
        }
    }
}

/// Whether to answer a message by `author`: people only, never a bot (nor myself).
fn answers(me: &User, author: &User) -> bool {
    author.id != me.id && !author.bot
}

async fn follow(events: &mut EventStream, room_id: i64) {
    println!("echo_bot: added to room {room_id}");
    events.subscribe(room_id, None).await;
}
