//! Rooms: creation and settings, membership and roles, bans, direct rooms, read markers, typing.

pub mod access;
pub mod bans;
pub mod handlers;
pub mod members;
pub mod service;
pub mod view;
