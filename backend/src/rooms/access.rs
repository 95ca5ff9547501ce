//! Who may see and act on a room. Private rooms do not exist for non-members (404, never
//! 403), so their names and ids leak nothing. The checks take a [`Db`], so a service can run
//! them in the transaction of the write they guard.

use confab_shared::Role;

use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::store::models::{MembershipRow, RoomRow};
use crate::store::{Db, bans, rooms};

pub struct RoomAccess {
    pub room: RoomRow,
    pub membership: Option<MembershipRow>,
}

impl RoomAccess {
    pub fn role(&self) -> Option<Role> {
        self.membership.as_ref().map(MembershipRow::role)
    }

    /// Requires at least role `min`; `forbidden` otherwise.
    pub fn require(&self, min: Role, action: &str) -> AppResult<()> {
        match self.role() {
            Some(role) if role >= min => Ok(()),
            _ => Err(AppError::forbidden(format!("only a room {} may {action}", role_name(min)))),
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "owner or admin",
        Role::Member => "member",
    }
}

/// The room, if `user_id` may read it: any public room they are not banned from, or a
/// private one they belong to.
pub async fn readable(db: impl Into<Db<'_>>, room_id: i64, user_id: i64) -> AppResult<RoomAccess> {
    let mut db = db.into();
    let room = rooms::by_id(db.reborrow(), room_id).await?.ok_or_else(|| AppError::not_found("room"))?;
    let membership = rooms::membership(db.reborrow(), room_id, user_id).await?;
    if membership.is_none() {
        if !room.is_public() {
            return Err(AppError::not_found("room"));
        }
        if bans::is_banned(db, room_id, user_id).await? {
            return Err(AppError::new(ErrorKind::Banned, "banned from this room"));
        }
    }
    Ok(RoomAccess { room, membership })
}

/// The room, if `user_id` may act on it as at least `min` (`forbidden` otherwise), or is a server
/// admin, who may in any room, private ones included; with their own role in it (`None` for a
/// server admin, who is not held to it).
pub async fn moderated(
    state: &AppState,
    room_id: i64,
    user_id: i64,
    min: Role,
    action: &str,
) -> AppResult<(RoomRow, Option<Role>)> {
    if crate::admin::server_admin(state, user_id).await?.is_some() {
        let room = rooms::by_id(&state.store, room_id).await?.ok_or_else(|| AppError::not_found("room"))?;
        return Ok((room, None));
    }
    let access = readable(&state.store, room_id, user_id).await?;
    access.require(min, action)?;
    let role = access.role();
    Ok((access.room, role))
}

/// The room, if `user_id` is a member of it (`not_a_member` for a public room they have not joined).
pub async fn member(db: impl Into<Db<'_>>, room_id: i64, user_id: i64) -> AppResult<RoomAccess> {
    let access = readable(db, room_id, user_id).await?;
    if access.membership.is_none() {
        return Err(AppError::new(ErrorKind::NotAMember, "join the room first"));
    }
    Ok(access)
}
