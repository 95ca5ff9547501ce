//! Rooms and memberships: creation, direct rooms, roles, read markers, and the per-viewer
//! data of a room listing (member counts, unread counts) loaded in a few batched queries.

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::{BTreeSet, HashMap};

use super::models::{MembershipRow, RoomRow, UserRow, role_str};
use super::schema::{memberships, messages, rooms, users};
use super::user_stream::{self, Entry};
use super::{Conflict, Db, Store, StoreError, StoreResult, now, read, write_tx};
use confab_shared::{Role, ServerEvent, User};

/// A room with what one viewer needs to render it.
#[derive(Debug, Clone)]
pub struct RoomData {
    pub row: RoomRow,
    pub membership: Option<MembershipRow>,
    pub member_count: i64,
    pub unread_count: i64,
    /// Of those, the ones that mention the viewer or `@room`.
    pub mention_count: i64,
    /// For a direct room: the other participants' names, in order, joined by ", ".
    pub peer_name: Option<String>,
}

fn name_taken(e: StoreError) -> StoreError {
    e.duplicate_as(Conflict::RoomNameTaken)
}

/// The unique name key of a room: public room names are unique ignoring case; private rooms
/// have none, so that a clash can never reveal that a private room exists.
fn name_key(name: &str, visibility: &str) -> Option<String> {
    (visibility == "public").then(|| name.to_lowercase())
}

/// Creates a room with `owner` as its owner.
pub async fn create(
    db: impl Into<Db<'_>>,
    name: &str,
    topic: &str,
    visibility: &str,
    owner: i64,
) -> StoreResult<RoomRow> {
    let key = name_key(name, visibility);
    let at = now();
    write_tx!(db, |c| {
        let room: RoomRow = diesel::insert_into(rooms::table)
            .values((
                rooms::name.eq(name),
                rooms::name_key.eq(&key),
                rooms::topic.eq(topic),
                rooms::visibility.eq(visibility),
                rooms::kind.eq("room"),
                rooms::created_at.eq(at),
            ))
            .returning(RoomRow::as_returning())
            .get_result(c)
            .await?;
        diesel::insert_into(memberships::table)
            .values((
                memberships::room_id.eq(room.id),
                memberships::user_id.eq(owner),
                memberships::role.eq("owner"),
                memberships::joined_at.eq(at),
            ))
            .execute(c)
            .await?;
        Ok(room)
    })
    .map_err(name_taken)
}

/// The direct room of exactly `people` (ids, the caller among them), created the first time;
/// the flag says whether it was. Its unique `direct_key` is the ids in order joined by `:`, so
/// concurrent first calls agree on one room; a single id is `id:id`, the user's notes-to-self
/// room. `name` is stored for the record (viewers see the others' names, see `with_viewer_data`).
/// Members of a direct room hear of every message (level `all`). Creating it is a
/// `member_joined` (of `creator`) entry in each member's user stream: those entries come back
/// when it was created.
pub async fn direct(
    store: &Store,
    people: &BTreeSet<i64>,
    name: &str,
    creator: &User,
) -> StoreResult<(RoomRow, Option<Vec<Entry>>)> {
    let ids: Vec<String> = people.iter().map(i64::to_string).collect();
    let key = if ids.len() == 1 { format!("{0}:{0}", ids[0]) } else { ids.join(":") };
    if let Some(room) = by_direct_key(store, &key).await? {
        return Ok((room, None));
    }
    let at = now();
    let created = write_tx!(store, |c| {
        let room: RoomRow = diesel::insert_into(rooms::table)
            .values((
                rooms::name.eq(name),
                rooms::direct_key.eq(Some(&key)),
                rooms::visibility.eq("private"),
                rooms::kind.eq("direct"),
                rooms::created_at.eq(at),
            ))
            .returning(RoomRow::as_returning())
            .get_result(c)
            .await?;
        for &user in people {
            diesel::insert_into(memberships::table)
                .values((
                    memberships::room_id.eq(room.id),
                    memberships::user_id.eq(user),
                    memberships::role.eq("member"),
                    memberships::joined_at.eq(at),
                    memberships::notify.eq("all"),
                ))
                .execute(c)
                .await?;
        }
        let event = ServerEvent::MemberJoined { room_id: room.id, user: creator.clone(), user_seq: None };
        let entries = user_stream::append(&mut *c, people.iter().copied(), &event).await?;
        Ok((room, entries))
    });
    match created {
        Ok((room, entries)) => Ok((room, Some(entries))),
        Err(StoreError::Conflict(Conflict::Duplicate)) => by_direct_key(store, &key)
            .await?
            .map(|r| (r, None))
            .ok_or_else(|| StoreError::other("direct room vanished")),
        Err(e) => Err(e),
    }
}

/// The public room of that name, ignoring case.
pub async fn public_by_name(db: impl Into<Db<'_>>, name: &str) -> StoreResult<Option<RoomRow>> {
    let key = name.to_lowercase();
    read!(db, |c| Ok(rooms::table
        .filter(rooms::name_key.eq(&key))
        .filter(rooms::visibility.eq("public"))
        .select(RoomRow::as_select())
        .first(c)
        .await
        .optional()?))
}

async fn by_direct_key(db: impl Into<Db<'_>>, key: &str) -> StoreResult<Option<RoomRow>> {
    read!(db, |c| Ok(rooms::table
        .filter(rooms::direct_key.eq(key))
        .select(RoomRow::as_select())
        .first(c)
        .await
        .optional()?))
}

pub async fn by_id(db: impl Into<Db<'_>>, id: i64) -> StoreResult<Option<RoomRow>> {
    read!(db, |c| Ok(rooms::table.find(id).select(RoomRow::as_select()).first(c).await.optional()?))
}

pub async fn membership(db: impl Into<Db<'_>>, room_id: i64, user_id: i64) -> StoreResult<Option<MembershipRow>> {
    read!(db, |c| Ok(memberships::table
        .find((room_id, user_id))
        .select(MembershipRow::as_select())
        .first(c)
        .await
        .optional()?))
}

/// One page of a room listing, by id.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after_id: i64,
    pub limit: i64,
    /// `Some(true)`: the viewer's rooms only; `Some(false)`: public rooms they have not joined.
    pub joined: Option<bool>,
}

/// A page of the public rooms and the viewer's rooms, by id; true when more follow.
pub async fn visible_to(db: impl Into<Db<'_>>, viewer: i64, page: Page) -> StoreResult<(Vec<RoomRow>, bool)> {
    let mut rows: Vec<RoomRow> = read!(db, |c| {
        let mine = memberships::table.filter(memberships::user_id.eq(viewer)).select(memberships::room_id);
        let mut query = rooms::table.filter(rooms::id.gt(page.after_id)).into_boxed();
        query = match page.joined {
            Some(true) => query.filter(rooms::id.eq_any(mine)),
            Some(false) => query.filter(rooms::visibility.eq("public")).filter(rooms::id.ne_all(mine)),
            None => query.filter(rooms::visibility.eq("public").or(rooms::id.eq_any(mine))),
        };
        Ok(query.order(rooms::id).limit(page.limit + 1).select(RoomRow::as_select()).load(c).await?)
    })?;
    let has_more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    Ok((rows, has_more))
}

/// Loads the viewer's membership, the member count, the unread and mention counts and the
/// direct peers of each room, in five queries whatever the number of rooms.
///
/// The unread count is exact: messages after the viewer's read marker, not theirs, not
/// deleted. It is one grouped range scan of the `(room_id, seq)` index, which also carries
/// `author_id` and `deleted` (PostgreSQL `INCLUDE`, a covering index on SQLite), so its cost
/// grows with the number of unread messages only, never with the size of a room's history.
/// The mention count is the same scan, reading each unread message's `mentions` and
/// `mentions_room` too.
pub async fn with_viewer_data(db: impl Into<Db<'_>>, viewer: i64, rows: Vec<RoomRow>) -> StoreResult<Vec<RoomData>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let direct_ids: Vec<i64> = rows.iter().filter(|r| r.kind == "direct").map(|r| r.id).collect();
    let mentioned = format!("%,{viewer},%");
    let (mine, counts, unread, mentions, peers_of) = read!(db, |c| {
        let mine: Vec<MembershipRow> = memberships::table
            .filter(memberships::user_id.eq(viewer))
            .filter(memberships::room_id.eq_any(&ids))
            .select(MembershipRow::as_select())
            .load(c)
            .await?;
        let counts: Vec<(i64, i64)> = memberships::table
            .filter(memberships::room_id.eq_any(&ids))
            .group_by(memberships::room_id)
            .select((memberships::room_id, count_star()))
            .load(c)
            .await?;
        let unread_of_viewer = || {
            messages::table
                .inner_join(memberships::table.on(memberships::room_id.eq(messages::room_id)))
                .filter(memberships::user_id.eq(viewer))
                .filter(messages::room_id.eq_any(&ids))
                .filter(messages::seq.gt(memberships::last_read_seq))
                .filter(messages::author_id.ne(viewer))
                .filter(messages::deleted.eq(false))
                .group_by(messages::room_id)
                .select((messages::room_id, count_star()))
        };
        let unread: Vec<(i64, i64)> = unread_of_viewer().load(c).await?;
        let mentions: Vec<(i64, i64)> = unread_of_viewer()
            .filter(messages::mentions_room.eq(true).or(messages::mentions.like(&mentioned)))
            .load(c)
            .await?;
        let peers: Vec<(i64, String)> = if direct_ids.is_empty() {
            Vec::new()
        } else {
            memberships::table
                .inner_join(users::table)
                .filter(memberships::room_id.eq_any(&direct_ids))
                .filter(memberships::user_id.ne(viewer))
                .order(users::username_key)
                .select((memberships::room_id, users::username))
                .load(c)
                .await?
        };
        Ok::<_, StoreError>((mine, counts, unread, mentions, peers))
    })?;
    let mut mine: HashMap<i64, MembershipRow> = mine.into_iter().map(|m| (m.room_id, m)).collect();
    let counts: HashMap<i64, i64> = counts.into_iter().collect();
    let unread: HashMap<i64, i64> = unread.into_iter().collect();
    let mentions: HashMap<i64, i64> = mentions.into_iter().collect();
    let mut peers: HashMap<i64, Vec<String>> = HashMap::new();
    for (room_id, name) in peers_of {
        peers.entry(room_id).or_default().push(name);
    }
    Ok(rows
        .into_iter()
        .map(|row| RoomData {
            membership: mine.remove(&row.id),
            member_count: counts.get(&row.id).copied().unwrap_or(0),
            unread_count: unread.get(&row.id).copied().unwrap_or(0),
            mention_count: mentions.get(&row.id).copied().unwrap_or(0),
            peer_name: peers.remove(&row.id).map(|names| names.join(", ")),
            row,
        })
        .collect())
}

/// Renames the room and/or sets its topic.
pub async fn update(db: impl Into<Db<'_>>, id: i64, name: Option<&str>, topic: Option<&str>) -> StoreResult<RoomRow> {
    write_tx!(db, |c| {
        if let Some(name) = name {
            let visibility: String = rooms::table.find(id).select(rooms::visibility).first(c).await?;
            diesel::update(rooms::table.find(id))
                .set((rooms::name.eq(name), rooms::name_key.eq(name_key(name, &visibility))))
                .execute(c)
                .await?;
        }
        if let Some(topic) = topic {
            diesel::update(rooms::table.find(id)).set(rooms::topic.eq(topic)).execute(c).await?;
        }
        Ok(rooms::table.find(id).select(RoomRow::as_select()).first(c).await?)
    })
    .map_err(name_taken)
}

/// Deletes the room with its memberships and messages; its files are discarded (see `store::files`).
pub async fn delete(db: impl Into<Db<'_>>, id: i64) -> StoreResult<()> {
    write_tx!(db, |c| {
        super::files::discard_of_room(&mut *c, id).await?;
        diesel::delete(rooms::table.find(id)).execute(c).await?;
        Ok(())
    })
}

/// Adds a member whose read marker starts at the room's head: what was written before they
/// joined is history to read, not unread messages. False if they already were one.
pub async fn add_member(db: impl Into<Db<'_>>, room_id: i64, user_id: i64, role: Role) -> StoreResult<bool> {
    let at = now();
    write_tx!(db, |c| {
        if super::bans::is_banned(&mut *c, room_id, user_id).await? {
            return Err(StoreError::Conflict(Conflict::Banned));
        }
        let head: i64 = rooms::table.find(room_id).select(rooms::last_seq).first(c).await?;
        Ok(diesel::insert_into(memberships::table)
            .values((
                memberships::room_id.eq(room_id),
                memberships::user_id.eq(user_id),
                memberships::role.eq(role_str(role)),
                memberships::joined_at.eq(at),
                memberships::last_read_seq.eq(head),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?
            == 1)
    })
}

/// Removes a member, refusing to remove the last owner. False when they were not a member.
pub async fn remove_member(db: impl Into<Db<'_>>, room_id: i64, user_id: i64) -> StoreResult<bool> {
    write_tx!(db, |c| {
        let role: Option<String> =
            memberships::table.find((room_id, user_id)).select(memberships::role).first(c).await.optional()?;
        match role.as_deref() {
            None => return Ok(false),
            Some("owner") => {
                let owners: i64 = memberships::table
                    .filter(memberships::room_id.eq(room_id))
                    .filter(memberships::role.eq("owner"))
                    .count()
                    .get_result(c)
                    .await?;
                if owners <= 1 {
                    return Err(last_owner());
                }
            }
            Some(_) => {}
        }
        diesel::delete(memberships::table.find((room_id, user_id))).execute(c).await?;
        Ok(true)
    })
}

fn last_owner() -> StoreError {
    StoreError::Conflict(Conflict::LastOwner)
}

/// Sets a member's role, refusing to demote the last owner.
pub async fn set_role(db: impl Into<Db<'_>>, room_id: i64, user_id: i64, role: Role) -> StoreResult<()> {
    write_tx!(db, |c| {
        let current: Option<String> =
            memberships::table.find((room_id, user_id)).select(memberships::role).first(c).await.optional()?;
        let Some(current) = current else {
            return Err(StoreError::NotFound("member"));
        };
        if current == "owner" && role != Role::Owner {
            let owners: i64 = memberships::table
                .filter(memberships::room_id.eq(room_id))
                .filter(memberships::role.eq("owner"))
                .count()
                .get_result(c)
                .await?;
            if owners <= 1 {
                return Err(last_owner());
            }
        }
        diesel::update(memberships::table.find((room_id, user_id)))
            .set(memberships::role.eq(role_str(role)))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Members with their role, by name.
pub async fn members(db: impl Into<Db<'_>>, room_id: i64) -> StoreResult<Vec<(UserRow, String)>> {
    read!(db, |c| Ok(memberships::table
        .inner_join(users::table)
        .filter(memberships::room_id.eq(room_id))
        .order(users::username_key)
        .select((UserRow::as_select(), memberships::role))
        .load(c)
        .await?))
}

pub async fn member_ids(db: impl Into<Db<'_>>, room_id: i64) -> StoreResult<Vec<i64>> {
    read!(db, |c| Ok(memberships::table
        .filter(memberships::room_id.eq(room_id))
        .select(memberships::user_id)
        .load(c)
        .await?))
}

/// The ids of `user_id`'s rooms named `name`, ignoring case (private rooms may share a name).
pub async fn member_room_ids_named(db: impl Into<Db<'_>>, user_id: i64, name: &str) -> StoreResult<Vec<i64>> {
    let wanted = name.to_lowercase();
    let rooms: Vec<(i64, String)> = read!(db, |c| Ok(memberships::table
        .inner_join(rooms::table)
        .filter(memberships::user_id.eq(user_id))
        .select((rooms::id, rooms::name))
        .load(c)
        .await?))?;
    Ok(rooms.into_iter().filter(|(_, n)| n.to_lowercase() == wanted).map(|(id, _)| id).collect())
}

/// Users who share at least one room with `user_id` (themselves included).
pub async fn co_member_ids(db: impl Into<Db<'_>>, user_id: i64) -> StoreResult<Vec<i64>> {
    read!(db, |c| {
        let rooms_of_user: Vec<i64> =
            memberships::table.filter(memberships::user_id.eq(user_id)).select(memberships::room_id).load(c).await?;
        Ok(memberships::table
            .filter(memberships::room_id.eq_any(rooms_of_user))
            .select(memberships::user_id)
            .distinct()
            .load(c)
            .await?)
    })
}

/// Moves the read marker forward to `seq` (never backwards, never past the room's head).
/// Returns the marker after the call, and whether it moved.
pub async fn mark_read(db: impl Into<Db<'_>>, room_id: i64, user_id: i64, seq: i64) -> StoreResult<(i64, bool)> {
    write_tx!(db, |c| {
        let head: i64 = rooms::table.find(room_id).select(rooms::last_seq).first(c).await?;
        let target = seq.min(head);
        let moved = diesel::update(
            memberships::table
                .filter(memberships::room_id.eq(room_id))
                .filter(memberships::user_id.eq(user_id))
                .filter(memberships::last_read_seq.lt(target)),
        )
        .set(memberships::last_read_seq.eq(target))
        .execute(c)
        .await?;
        let marker = memberships::table.find((room_id, user_id)).select(memberships::last_read_seq).first(c).await?;
        Ok((marker, moved == 1))
    })
}

/// Sets a member's notification level for the room. False when they are not a member.
pub async fn set_notify(db: impl Into<Db<'_>>, room_id: i64, user_id: i64, level: &str) -> StoreResult<bool> {
    write_tx!(db, |c| Ok(diesel::update(memberships::table.find((room_id, user_id)))
        .set(memberships::notify.eq(level))
        .execute(c)
        .await?
        == 1))
}
