#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Black-box tests: each starts the real `confab` binary on a random port with a fresh
//! database, on SQLite and on PostgreSQL.

mod client;
mod helpers;
mod proxy;

mod administration;
mod auth;
mod backpressure;
mod backup;
mod bots;
mod churn;
mod cluster;
mod cluster_trust;
mod conversations;
mod files;
mod fuzz;
mod group_commit;
mod invites;
mod messages;
mod ops;
mod outage;
mod outgoing;
mod profiles;
mod push;
mod raw_ws;
mod reactions;
mod realtime;
mod rooms;
mod search;
mod security;
mod sync;
mod webhooks;
