#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Black-box tests: each starts the real `confab` binary on a random port with a fresh
//! database, on SQLite and on PostgreSQL.

mod helpers;

mod auth;
mod cluster;
mod fuzz;
mod group_commit;
mod messages;
mod ops;
mod outage;
mod realtime;
mod rooms;
