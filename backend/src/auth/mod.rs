//! Accounts and sessions: password hashing, access and refresh tokens, the `Auth` extractor,
//! and the `/auth` and `/me` handlers.

pub mod admission;
pub mod extract;
pub mod handlers;
pub mod password;
pub mod sessions;
pub mod tokens;

pub use extract::Auth;
