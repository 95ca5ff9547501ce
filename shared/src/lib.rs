//! Confab's wire types: the REST bodies ([`rest`]), the WebSocket events ([`events`]) and the
//! WebSocket close codes ([`close`]).
//!
//! This crate is what every Rust client (the server, its tests, the load generator) shares.
//! It holds no transport or storage code: serde types only, with `utoipa` schemas behind the
//! `schema` feature so the server can publish them in its OpenAPI document.

pub mod close;
pub mod events;
pub mod rest;

pub use close::CloseCode;
pub use events::{ClientEvent, ServerEvent};
pub use rest::*;
