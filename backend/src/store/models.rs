//! Rows as diesel loads them, and their conversion to the wire types of `confab-shared`.

use chrono::{DateTime, NaiveDateTime, Utc};
use confab_shared::{File, Message, NotifyLevel, Role, RoomKind, ServerRole, User, Visibility};
use diesel::prelude::*;

use super::schema::{files, invites, memberships, messages, rooms, sessions, users};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub created_at: NaiveDateTime,
    pub role: String,
    /// Set while the account is deactivated.
    pub deactivated_at: Option<NaiveDateTime>,
    pub display_name: Option<String>,
    pub status: Option<String>,
    /// Where the resized avatar is in the file storage (`avatars/{user_id}/{digest}.{ext}`).
    pub avatar_key: Option<String>,
    /// An integration's account (`POST /bots`), not a person's.
    pub bot: bool,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        let role = if row.role == "admin" { ServerRole::Admin } else { ServerRole::Member };
        let avatar_url = row.avatar_key.as_deref().map(|key| crate::profiles::avatar_url(row.id, key));
        User {
            id: row.id,
            username: row.username,
            created_at: utc(row.created_at),
            role,
            display_name: row.display_name,
            avatar_url,
            status: row.status,
            bot: row.bot,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invites)]
pub struct InviteRow {
    pub code: String,
    pub created_by: i64,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub refresh_hash: String,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// The hash of the token the last rotation replaced, and when it did.
    pub previous_hash: Option<String>,
    pub rotated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    pub id: i64,
    pub name: String,
    pub topic: String,
    pub visibility: String,
    pub kind: String,
    pub last_seq: i64,
    pub created_at: NaiveDateTime,
}

impl RoomRow {
    pub fn visibility(&self) -> Visibility {
        if self.visibility == "private" { Visibility::Private } else { Visibility::Public }
    }

    pub fn kind(&self) -> RoomKind {
        if self.kind == "direct" { RoomKind::Direct } else { RoomKind::Room }
    }

    pub fn is_public(&self) -> bool {
        self.visibility() == Visibility::Public
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub room_id: i64,
    pub user_id: i64,
    pub role: String,
    pub last_read_seq: i64,
    pub notify: String,
}

impl MembershipRow {
    pub fn role(&self) -> Role {
        parse_role(&self.role)
    }

    pub fn notify(&self) -> NotifyLevel {
        parse_notify(&self.notify)
    }
}

pub fn parse_notify(level: &str) -> NotifyLevel {
    match level {
        "all" => NotifyLevel::All,
        "none" => NotifyLevel::None,
        _ => NotifyLevel::Mentions,
    }
}

pub fn notify_str(level: NotifyLevel) -> &'static str {
    match level {
        NotifyLevel::All => "all",
        NotifyLevel::Mentions => "mentions",
        NotifyLevel::None => "none",
    }
}

pub fn parse_role(role: &str) -> Role {
    match role {
        "owner" => Role::Owner,
        "admin" => Role::Admin,
        _ => Role::Member,
    }
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::Member => "member",
    }
}

pub fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Private => "private",
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: i64,
    pub room_id: i64,
    pub seq: i64,
    pub updated_seq: i64,
    pub author_id: i64,
    pub body: String,
    pub client_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted: bool,
    /// `[File]` as JSON, or NULL for none (see `store::files`).
    pub attachments: Option<String>,
    /// `[Reaction]` as JSON, or NULL for none (see `store::reactions`).
    pub reactions: Option<String>,
    /// A reply's thread root.
    pub reply_to: Option<i64>,
    pub reply_count: i64,
    pub last_reply_at: Option<NaiveDateTime>,
    /// The mentioned members' ids as `,3,17,`, or NULL for none (see [`mention_list`]).
    pub mentions: Option<String>,
    pub mentions_room: bool,
    pub also_to_room: bool,
    /// The name a webhook post asked to be shown under.
    pub posted_as: Option<String>,
}

/// How a message's mentioned ids are stored: `,3,17,` (so `LIKE '%,3,%'` finds one), NULL for none.
pub fn mention_list(ids: &[i64]) -> Option<String> {
    (!ids.is_empty()).then(|| ids.iter().fold(String::from(","), |s, id| format!("{s}{id},")))
}

/// The ids of a stored mention list.
pub fn mentioned_ids(list: Option<&str>) -> Vec<i64> {
    list.map(|l| l.split(',').filter_map(|id| id.parse().ok()).collect()).unwrap_or_default()
}

impl MessageRow {
    pub fn into_message(self, author: UserRow) -> Message {
        Message {
            id: self.id,
            room_id: self.room_id,
            seq: self.seq,
            author: author.into(),
            body: if self.deleted { String::new() } else { self.body },
            client_id: self.client_id,
            created_at: utc(self.created_at),
            edited_at: self.edited_at.map(utc),
            deleted: self.deleted,
            // Both are written by the store from the wire types, so they always parse.
            attachments: self.attachments.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default(),
            reactions: self.reactions.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default(),
            reply_to: self.reply_to,
            reply_count: self.reply_count,
            last_reply_at: self.last_reply_at.map(utc),
            mentions: if self.deleted { Vec::new() } else { mentioned_ids(self.mentions.as_deref()) },
            mentions_room: self.mentions_room && !self.deleted,
            also_to_room: self.also_to_room,
            posted_as: self.posted_as,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = files)]
pub struct FileRow {
    pub id: i64,
    pub room_id: i64,
    pub uploader_id: i64,
    pub message_id: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: NaiveDateTime,
}

impl From<&FileRow> for File {
    fn from(row: &FileRow) -> Self {
        File {
            id: row.id,
            room_id: row.room_id,
            name: row.name.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            width: row.width,
            height: row.height,
            created_at: utc(row.created_at),
        }
    }
}

/// What a change of the room's change log did to its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created = 0,
    Edited = 1,
    Deleted = 2,
}

impl ChangeKind {
    pub fn from_i16(v: i16) -> Self {
        match v {
            1 => ChangeKind::Edited,
            2 => ChangeKind::Deleted,
            _ => ChangeKind::Created,
        }
    }
}

/// One entry of a room's change log with the message's current state.
#[derive(Debug, Clone)]
pub struct Change {
    pub seq: i64,
    pub kind: ChangeKind,
    pub message: Message,
}
