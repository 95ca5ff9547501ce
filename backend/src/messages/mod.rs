//! Messages: the one write path (REST and WebSocket alike) and the history endpoints.

pub mod handlers;
pub mod mentions;
pub mod service;
pub mod writer;
