//! Confab: a self-hostable real-time chat server.
//!
//! `startup::Application` assembles the server from: `auth` (accounts, sessions, tokens), `admin`,
//! `users`, `rooms`, `messages` (REST), `files`, `search`, `push` (Web Push), `realtime`
//! (WebSocket gateway, hub, broker, presence), and `store` (diesel on PostgreSQL or SQLite).

pub mod admin;
pub mod admin_cli;
pub mod auth;
pub mod backup;
pub mod bots;
pub mod config;
pub mod drafts;
pub mod error;
pub mod files;
pub mod invites;
pub mod json;
pub mod limits;
pub mod messages;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod profiles;
pub mod push;
pub mod realtime;
pub mod rooms;
pub mod search;
pub mod server;
pub mod startup;
pub mod state;
pub mod store;
pub mod sync;
pub mod users;
pub mod validate;
pub mod web;
pub mod webhooks;
