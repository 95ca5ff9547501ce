//! A typed async client for Confab, the self-hostable chat server: its
//! REST API and a WebSocket event stream that resumes by itself.
//!
//! - [`Client`] signs in (a person's username and password, refreshing the session as it
//!   expires, or a bot's API token from `POST /api/v1/bots`) and makes REST calls with the
//!   wire types of [`confab_shared`] (re-exported as [`types`]).
//! - [`EventStream`] ([`Client::connect`]) follows rooms and the account's user stream. When
//!   the connection drops, it reconnects with backoff, asks for every change after the last one
//!   it handed out, and sends again, under their `client_id`, the sends not acknowledged yet.
//!   Each change reaches the caller once and in order, and each send is stored once: a bot
//!   written with it neither loses nor repeats a message.
//!
//! # Example
//!
//! An echo bot: it answers every message of a room with the same text. Create the bot as a
//! server admin (Administration → Bots in the web app, or `POST /api/v1/bots`), then run it with
//! the server's address, the bot's token and a public room's name:
//!
//! ```no_run
//! use confab_client::{Client, types::ServerEvent};
//!
//! # async fn run() -> confab_client::Result<()> {
//! let client = Client::with_token("http://127.0.0.1:8080", "cfb_…");
//! let me = client.me().await?;
//! let room = client.room_named("general").await?.expect("a room named general");
//! client.join(room.id).await?;
//!
//! let mut events = client.connect().await?;
//! events.subscribe(room.id, None).await;
//! loop {
//!     if let ServerEvent::Message { room_id, message, .. } = events.next().await? {
//!         if message.author.id != me.id && !message.author.bot {
//!             // One reply per message, even if the bot restarts and sees it again.
//!             let id = format!("echo-{}", message.id);
//!             events.send_as(room_id, &id, &message.body).await;
//!         }
//!     }
//! }
//! # }
//! ```
//!
//! The crate's examples run against a live server: `examples/echo_bot.rs` (the above, in every
//! room the bot is in) and `examples/ci_notifier.rs` (posts a build's result once, however often
//! the CI job retries). See the README's "Integrations" section.
//!
//! # Errors
//!
//! A refused call is [`Error::Api`] with the server's problem document (its stable `code`,
//! such as `validation_failed` or `rate_limited`, and the invalid fields);
//! [`Error::is_transient`] tells whether retrying as it is could help.

mod error;
mod rest;
mod stream;

pub use confab_shared as types;
pub use error::{Error, Result};
pub use rest::Client;
pub use stream::EventStream;
