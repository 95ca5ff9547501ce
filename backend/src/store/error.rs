//! `StoreError`: what a query can fail with, in the store's own terms. The HTTP layer turns it
//! into an `AppError` (`From<StoreError> for AppError`); the store itself knows nothing of HTTP.
//! The one distinction every caller relies on: [`StoreError::Unavailable`] (the database cannot
//! be reached: retry later) is never confused with a missing row or a refused write.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// What the query looked for does not exist: `"room"`, `"message"`, `"member"`, or
    /// `"row"` for a lookup that expected one.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A rule of the data refused the write.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The database cannot be reached (pool timeout, connection lost): try again shortly.
    #[error("the database is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// Anything else: a database fault or a bug.
    #[error("database error: {0:#}")]
    Other(anyhow::Error),
}

/// The rules a write can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A unique index refused an insert: a race lost to another writer, which the caller may
    /// resolve by reading the winner.
    Duplicate,
    UsernameTaken,
    RoomNameTaken,
    /// The last owner of a room cannot leave it or stop being owner.
    LastOwner,
    /// A `client_id` the author already used for a message of another room.
    ClientIdElsewhere,
    /// A send named a file that is not the author's upload to that room, or is attached already.
    Unattachable,
    /// A message has as many different emoji as it may.
    TooManyReactions,
    /// A reply to a message of another room, a deleted one, or none.
    NotRepliable,
    /// The server's last active admin cannot stop being one.
    LastAdmin,
    /// The user is banned from the room.
    Banned,
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// A lost race on a unique index becomes the conflict the caller names.
    pub fn duplicate_as(self, conflict: Conflict) -> Self {
        match self {
            StoreError::Conflict(Conflict::Duplicate) => StoreError::Conflict(conflict),
            other => other,
        }
    }

    pub fn other(message: &'static str) -> Self {
        StoreError::Other(anyhow::anyhow!(message))
    }
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => StoreError::NotFound("row"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                StoreError::Conflict(Conflict::Duplicate)
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => StoreError::Unavailable(err.into()),
            other => StoreError::Other(anyhow::Error::new(other).context("database query")),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        StoreError::Unavailable(anyhow::anyhow!("database pool: {err}"))
    }
}
