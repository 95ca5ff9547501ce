//! Rooms: creation and settings, membership and roles, direct rooms, read markers, typing.

pub mod access;
pub mod handlers;
pub mod members;
pub mod service;
pub mod view;
