//! REST request and response bodies of the v1 API (`/api/v1`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A registered account as other users see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub created_at: DateTime<Utc>,
    /// The account's role on the server (the first account is its admin).
    #[serde(default)]
    pub role: ServerRole,
    /// The name to show instead of the username, if the person set one (`PATCH /me`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The path of the avatar image (fetched with the bearer token; the path changes whenever
    /// the image does, so it can be cached by it), or null.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// A short line: "on holiday until Monday".
    #[serde(default)]
    pub status: Option<String>,
    /// An integration's account (`POST /bots`), not a person's.
    #[serde(default)]
    pub bot: bool,
}

/// Body of `POST /bots`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewBot {
    /// As a person's: 3–32 characters of `A-Z a-z 0-9 _ . -`, unique ignoring case.
    #[cfg_attr(feature = "schema", schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub username: String,
    /// At most 64 characters; no control, bidi or zero-width characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schema(
            max_length = 64,
            pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$"
        )
    )]
    pub display_name: Option<String>,
}

/// Answer of `POST /bots` and `POST /bots/{user_id}/token`: the bot's API token, shown once.
/// Use it as `Authorization: Bearer <token>` on REST and in the WebSocket's `auth`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct BotToken {
    /// The bot (`POST /bots` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    pub token: String,
}

/// `GET /bots`: the server's bots that are not deleted, by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct BotList {
    pub bots: Vec<User>,
}

/// Body of `POST /rooms/{room_id}/webhooks`: an incoming webhook, posting to the room under its
/// name, or with `target_url` an outgoing one, to which every new message of the room is posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Shown as the sender of what it posts: 1–64 characters; no control, bidi or zero-width
    /// characters.
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*[^\s\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF][^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$"
        )
    )]
    pub name: String,
    /// An outgoing webhook's receiver: `http(s)://host[:port][/path]`, the host a name (not an
    /// address) of dot-separated labels of letters, digits and hyphens that start with a letter;
    /// at most 2000 characters. Refused when the name resolves to a private, loopback or
    /// link-local address, unless the server allows them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schema(
            max_length = 2000,
            pattern = r"^https?://[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)*(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/\S*)?$"
        )
    )]
    pub target_url: Option<String>,
    /// What an outgoing webhook is sent: `["message"]` (new messages, the default) is the one
    /// kind there is. Ignored without `target_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(min_items = 1, max_items = 1))]
    pub events: Option<Vec<WebhookEvent>>,
}

/// What an outgoing webhook is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// Each new message of the room, as the `message` event with its `seq`.
    Message,
}

/// A room's webhook. Each posts as its own account (`user`: a bot named after it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: i64,
    pub room_id: i64,
    pub name: String,
    /// The secret address to `POST` to (`/hooks/<token>` on this server): only in the answer
    /// that made it (creation or `POST …/token`); the server keeps only its hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What it carries: `["incoming"]` for an incoming webhook, `["message"]` for an outgoing one.
    pub events: Vec<String>,
    /// An outgoing webhook's receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    /// The key of an outgoing webhook's signatures (`X-Confab-Signature: sha256=<hex
    /// HMAC-SHA256 of the body>`): only in the answer that made it (creation or `POST …/token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// An outgoing webhook: the room seq of the last message its receiver took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_seq: Option<i64>,
    /// An outgoing webhook: deliveries that failed in a row, and the last one's error.
    #[serde(default)]
    pub failures: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Disabled after too many failures in a row: nothing is delivered until its secret is
    /// replaced (`POST …/token`), which enables it again from where it stopped.
    #[serde(default)]
    pub disabled: bool,
    /// The account its posts are sent as.
    pub user: User,
    /// Who made it (null once their account is gone).
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// `GET /rooms/{room_id}/webhooks`: the room's webhooks, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// Body of `POST /hooks/{token}`: Slack's incoming-webhook payload (`text`, or `attachments` and
/// `blocks` as Grafana, Alertmanager and most tools send them, in Slack's `mrkdwn`), or Confab's
/// own (`body` in Confab's markdown, with `client_id` to make a retry idempotent). Fields it
/// does not know are ignored, as Slack does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct HookPost {
    /// Confab's payload: the message in Confab's markdown: 1–4000 characters, not blank; no
    /// control characters but newline and tab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 4000,
            pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
        )
    )]
    pub body: Option<String>,
    /// With `body`: a repeat of a `client_id` posts nothing and answers with the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(pattern = r"^[!-~]{1,64}$"))]
    pub client_id: Option<String>,
    /// Slack's: the message in Slack's `mrkdwn` (`*bold*`, `<url|label>`, `<!here>`), turned
    /// into Confab's markdown; cut at 4000 characters. Control characters (but newline and tab)
    /// are dropped; something other than white space must be left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(min_length = 1, pattern = r"[^\s\x00-\x1F\x7F-\x9F]"))]
    pub text: Option<String>,
    /// Slack's: the name to show as the sender of this post instead of the webhook's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Slack's legacy attachments: the `pretext`, `title` (a link with `title_link`), `text`
    /// and `fields` (`title`, `value`) of each are added to the message, in order, or its
    /// `fallback` when it has none of them; fields that are not strings are ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    pub attachments: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Slack's Block Kit blocks: the text of `header`, `section` (and its fields) and `context`
    /// blocks is added to the message; other blocks are skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    pub blocks: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// Answer of `POST /hooks/{token}`: `ok` as Slack's API answers (what Alertmanager and Grafana
/// check), and the message posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct HookAccepted {
    pub ok: bool,
    pub message: Message,
}

/// Body of `PATCH /me`: the fields to change; an empty string clears one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    /// At most 64 characters; no control, bidi or zero-width characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schema(
            max_length = 64,
            pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$"
        )
    )]
    pub display_name: Option<String>,
    /// At most 140 characters; no control, bidi or zero-width characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schema(
            max_length = 140,
            pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$"
        )
    )]
    pub status: Option<String>,
}

/// Body of `PATCH /admin/server`: the settings to change. They are kept in the store and win
/// over `--server-name` and `--registration` from then on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateServer {
    /// 1–64 characters (at most 64 as sent, at least 1 once trimmed); no control, bidi or zero-width characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*[^\s\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF][^\x00-\x1F\x7F-\x9F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
}

/// A role on the server, as opposed to a room's `Role`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServerRole {
    /// Manages the server: invitations (and, to come, accounts).
    Admin,
    #[default]
    Member,
}

/// `GET /server`: what a client shows before anyone signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ServerInfo {
    pub name: String,
    pub registration: Registration,
    pub version: String,
    /// No account exists yet: the first one may always register, and becomes the admin.
    pub setup: bool,
    /// The largest file `POST /rooms/{room_id}/files` takes, in bytes.
    pub max_upload_bytes: u64,
}

/// Who may create an account (`--registration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Anyone who can reach the server.
    Open,
    /// Only with an invite from an admin.
    Invite,
    /// Nobody (admins create accounts with `confab admin create-user`).
    Closed,
}

impl std::str::FromStr for Registration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Registration::Open),
            "invite" => Ok(Registration::Invite),
            "closed" => Ok(Registration::Closed),
            other => Err(format!("{other:?}: expected open, invite or closed")),
        }
    }
}

impl Registration {
    /// The name `FromStr` reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Open => "open",
            Registration::Invite => "invite",
            Registration::Closed => "closed",
        }
    }
}

/// Body of `POST /invites`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// How many accounts it may create (default: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_whole_number")]
    #[cfg_attr(feature = "schema", schema(minimum = 1))]
    pub max_uses: Option<i64>,
    /// Seconds until it expires (default: never): a minute to 366 days.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_whole_number")]
    #[cfg_attr(feature = "schema", schema(minimum = 60, maximum = 31622400))]
    pub expires_in: Option<i64>,
}

/// An invitation to create an account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Invite {
    pub code: String,
    /// The web app's join page for this invite.
    pub url: String,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: User,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct InviteList {
    /// Live invites (not revoked, expired or used up), newest first.
    pub invites: Vec<Invite>,
}

/// An account as a server admin sees it (`GET /admin/users`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AdminUser {
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub role: ServerRole,
    /// Deactivated: cannot log in; their messages stay.
    pub deactivated: bool,
    /// An integration's account (`POST /bots`).
    #[serde(default)]
    pub bot: bool,
    /// When one of their sessions was last used (a login or a token refresh), if ever.
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// `GET /admin/users`: a page of accounts in id order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AdminUserList {
    pub users: Vec<AdminUser>,
    /// More accounts follow: ask again with `after_id` = the last id.
    pub has_more: bool,
}

/// Body of `PATCH /admin/users/{user_id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<ServerRole>,
    /// `true` ends every session of the account at once and refuses its logins; `false` lets
    /// it log in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<bool>,
}

/// Answer of `POST /admin/users/{user_id}/password-reset`: a link that sets a new password once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PasswordResetLink {
    /// The web app's page for it (the token is the last part).
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Body of `POST /auth/password-reset`: the token of a reset link and the new password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    #[cfg_attr(feature = "schema", schema(max_length = 64))]
    pub token: String,
    /// 8–128 characters.
    #[cfg_attr(feature = "schema", schema(min_length = 8, max_length = 128))]
    pub password: String,
}

/// One admin or moderation action.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// Who did it; null for the command line (`confab admin`).
    pub actor: Option<User>,
    /// `user.role`, `user.deactivated`, `user.reactivated`, `user.password_reset`,
    /// `user.password_reset_used`, `user.password_set`, `user.created`, `invite.created`,
    /// `invite.revoked`, `room.ban`, `room.unban`.
    pub action: String,
    /// The account it was done to, if any.
    pub target: Option<User>,
    pub room_id: Option<i64>,
    /// More about it (a new role, an invite code's first characters).
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// `GET /admin/audit`: the newest entries first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// Older entries follow: ask again with `before_id` = the last id.
    pub has_more: bool,
}

/// `GET /rooms/{room_id}/bans`: who is banned from the room.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct BanList {
    pub users: Vec<User>,
}

/// Body of `POST /auth/register` and `POST /auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 3–32 characters of `A-Z a-z 0-9 _ . -`, unique ignoring case.
    #[cfg_attr(feature = "schema", schema(min_length = 3, max_length = 32, pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub username: String,
    /// 8–128 characters.
    #[cfg_attr(feature = "schema", schema(min_length = 8, max_length = 128))]
    pub password: String,
    /// Registration only: an invite code (needed when the server's policy is `invite`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(max_length = 64))]
    pub invite: Option<String>,
}

/// Body of `POST /auth/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// What register, login and refresh return.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TokenPair {
    pub user: User,
    /// A short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; single use: every refresh returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: i64,
}

/// Body of `PUT /me/password`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    #[cfg_attr(feature = "schema", schema(min_length = 8, max_length = 128))]
    pub new_password: String,
}

/// A login session of the current user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The `User-Agent` of the login, if it sent one.
    pub user_agent: Option<String>,
    /// The session of the token making this request.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UserList {
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PresenceList {
    pub online: Vec<User>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Room,
    Direct,
}

/// A member's role in a room: owner > admin > member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

/// A room as the requesting user sees it (`joined`, `role` and `unread_count` are theirs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Room {
    pub id: i64,
    /// For a direct room: the other participant's username.
    pub name: String,
    pub topic: String,
    pub visibility: Visibility,
    pub kind: RoomKind,
    pub member_count: i64,
    pub joined: bool,
    pub role: Option<Role>,
    /// The room's change counter: the `seq` of its latest message change.
    pub last_seq: i64,
    /// Messages after my read marker, not mine, not deleted.
    pub unread_count: i64,
    /// My read marker: the `seq` up to which I have read (0 when not a member).
    #[serde(default)]
    pub last_read_seq: i64,
    /// Of my unread messages (as `unread_count` counts them), those that mention me or `@room`.
    #[serde(default)]
    pub mention_count: i64,
    /// When I am notified of this room's messages (`PUT /rooms/{room_id}/notifications`):
    /// by default `all` for direct rooms, `mentions` for others.
    #[serde(default)]
    pub notify: NotifyLevel,
    pub created_at: DateTime<Utc>,
}

/// Which of a room's messages notify a member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifyLevel {
    /// Every message (the default of direct rooms).
    All,
    /// Messages that mention me or `@room` (the default of other rooms).
    #[default]
    Mentions,
    /// None.
    None,
}

/// Body of `PUT /rooms/{room_id}/notifications`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetNotifications {
    pub level: NotifyLevel,
}

/// Answer of `GET /push/vapid-key`: the server's VAPID public key, for
/// `pushManager.subscribe({applicationServerKey})`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct VapidKey {
    /// The uncompressed P-256 point (65 bytes), base64url without padding.
    pub public_key: String,
}

/// Body of `POST /push/subscriptions`: a browser's `PushSubscription.toJSON()` (other fields
/// it may carry, such as `expirationTime`, are ignored).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PushSubscription {
    /// The push service's URL for this browser: https, a host name (not an address), no user
    /// or password.
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 2048,
            pattern = r"^https://[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?(/\S*)?$"
        )
    )]
    pub endpoint: String,
    pub keys: PushKeys,
}

/// A push subscription's encryption keys (RFC 8291), base64url.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PushKeys {
    /// The browser's P-256 public key (65 bytes, uncompressed), base64url.
    #[cfg_attr(feature = "schema", schema(pattern = r"^[A-Za-z0-9_-]{87}=?$"))]
    pub p256dh: String,
    /// The browser's authentication secret (16 bytes), base64url.
    #[cfg_attr(feature = "schema", schema(pattern = r"^[A-Za-z0-9_-]{22}(==)?$"))]
    pub auth: String,
}

/// What a Web Push message carries, encrypted (RFC 8291): a `notification` for a user with no
/// open connection, made short for the system's notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PushPayload {
    /// Always `"notification"`.
    #[serde(rename = "type")]
    pub kind: String,
    pub room_id: i64,
    pub message_id: i64,
    pub seq: i64,
    pub reason: NotificationReason,
    /// Who wrote, and where: `"alice in #general"`, or `"alice"` in a direct room.
    pub title: String,
    /// The start of the text (at most 200 characters), or what was attached.
    pub body: String,
}

/// Why a `notification` event was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationReason {
    /// The message mentions me, or `@room`.
    Mention,
    /// A message in a direct room (level `all`).
    Direct,
    /// A message in a room whose level I set to `all`.
    All,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RoomList {
    pub rooms: Vec<Room>,
    /// More rooms follow: ask again with `after_id` = the last room's id.
    #[serde(default)]
    pub has_more: bool,
}

/// Body of `POST /rooms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// 1–64 characters (at most 64 as sent, at least 1 once trimmed), unique ignoring case; no control characters.
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: String,
    /// Up to 512 characters; no control characters.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"))]
    pub topic: Option<String>,
    /// `public` when omitted.
    #[serde(default)]
    pub visibility: Option<Visibility>,
}

/// Body of `PATCH /rooms/{room_id}`: the fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateRoom {
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 64,
            pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(max_length = 512, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$"))]
    pub topic: Option<String>,
}

/// Body of `PUT /rooms/{room_id}/members/{user_id}/role`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub online: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MemberList {
    pub members: Vec<Member>,
}

/// Body of `POST /dms`: one other person (`user_id`) or a group (`user_ids`, 1–8 others).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateDm {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_whole_number")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_whole_numbers")]
    pub user_ids: Option<Vec<i64>>,
}

/// The schema of [`CreateDm`]: one of its two shapes.
#[cfg(feature = "schema")]
mod create_dm_schema {
    use utoipa::openapi::{RefOr, Schema, schema::OneOfBuilder};
    use utoipa::{PartialSchema, ToSchema};

    /// A direct room with one other person.
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // a schema only
    struct DmWithUser {
        user_id: i64,
    }

    /// A direct room of a group: 1–8 other people (the caller is added; repeats count once).
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // a schema only
    struct DmWithUsers {
        #[schema(min_items = 1, max_items = 8)]
        user_ids: Vec<i64>,
    }

    impl PartialSchema for super::CreateDm {
        fn schema() -> RefOr<Schema> {
            OneOfBuilder::new().item(DmWithUser::schema()).item(DmWithUsers::schema()).into()
        }
    }

    impl ToSchema for super::CreateDm {}
}

/// A chat message. A deleted one keeps its place: empty `body`, `deleted: true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: i64,
    pub room_id: i64,
    /// The room change counter value the message was created at.
    pub seq: i64,
    pub author: User,
    pub body: String,
    pub client_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    /// The files sent with the message, in the order given (empty once it is deleted).
    #[serde(default)]
    pub attachments: Vec<File>,
    /// Who reacted with what, each emoji in the order it was first used (empty once deleted).
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// A reply: the id of its thread's root (a reply to a reply joins that root). Null for
    /// messages of the room's timeline.
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// A root: how many replies its thread has (deleted ones not counted) …
    #[serde(default)]
    pub reply_count: i64,
    /// … and when the latest was sent.
    #[serde(default)]
    pub last_reply_at: Option<DateTime<Utc>>,
    /// The room members the text mentions as `@username`, in order of first mention.
    #[serde(default)]
    pub mentions: Vec<i64>,
    /// The text mentions `@room`: everyone in it.
    #[serde(default)]
    pub mentions_room: bool,
    /// A reply also shown in the room's timeline (sent with "also send to room").
    #[serde(default)]
    pub also_to_room: bool,
    /// The name a webhook post asked to be shown under (Slack's `username`) instead of its
    /// author's; `author` is still the webhook's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_as: Option<String>,
}

/// One emoji's reactions to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Reaction {
    pub emoji: String,
    /// How many people reacted with it (the length of `user_ids`).
    pub count: i64,
    /// Who, in the order they reacted.
    pub user_ids: Vec<i64>,
}

/// A file uploaded to a room (`POST /rooms/{room_id}/files`), attached to at most one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct File {
    pub id: i64,
    pub room_id: i64,
    /// The name given at upload, without any path, control or bidi characters.
    pub name: String,
    /// What the bytes are (sniffed by the server), not what the uploader claimed.
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// Images only (png, jpeg, gif, webp): the size as shown, EXIF orientation applied.
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MessageList {
    /// Ascending by `seq`.
    pub messages: Vec<Message>,
    /// More messages exist beyond this page in the direction paged (with `around_seq`: older
    /// ones, before the first).
    pub has_more: bool,
    /// With `around_seq` only: newer messages exist after the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more_after: Option<bool>,
}

/// One message found by `GET /search`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub message: Message,
    /// `[start, end)` ranges of the matched words, in code points (Unicode scalar values) of
    /// `message.body`, ascending and not overlapping. Mark them as text: no HTML is sent.
    pub highlights: Vec<[usize; 2]>,
}

/// The answer of `GET /search`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// Newest first (by id), or best match first with `order=relevance`.
    pub results: Vec<SearchHit>,
    /// More results exist: with `order=recent`, page on with `before_id` = the last result's id.
    pub has_more: bool,
}

/// Body of `POST /rooms/{room_id}/messages`: text (`body`), files (`attachments`), or both.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// Up to 4000 characters, not blank (it may be empty when files are attached); no control
    /// characters but newline and tab.
    #[serde(default)]
    pub body: String,
    /// Idempotency key chosen by the client (1–64 printable ASCII characters): a repeat
    /// returns the original.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Up to 10 files the sender uploaded to this room and has not attached yet.
    #[serde(default, deserialize_with = "whole_numbers")]
    pub attachments: Vec<i64>,
    /// A reply in the thread of this message of the same room.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "optional_whole_number")]
    pub reply_to: Option<i64>,
    /// A reply also shown in the room's timeline (ignored without `reply_to`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub also_to_room: bool,
}

/// The schema of [`SendMessage`]: one of its two shapes, since which fields are required
/// depends on the others (text is required unless files are attached).
#[cfg(feature = "schema")]
mod send_message_schema {
    use utoipa::openapi::{RefOr, Schema, schema::AnyOfBuilder};
    use utoipa::{PartialSchema, ToSchema};

    /// A message with text, and maybe files.
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // a schema only
    struct MessageWithText {
        /// 1–4000 characters, not blank; no control characters but newline and tab.
        #[schema(
            min_length = 1,
            max_length = 4000,
            pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
        )]
        body: String,
        #[schema(pattern = r"^[!-~]{1,64}$")]
        client_id: Option<String>,
        #[schema(max_items = 10)]
        #[serde(default)]
        attachments: Vec<i64>,
        /// A reply in the thread of this message of the same room.
        reply_to: Option<i64>,
        /// A reply also shown in the room's timeline (ignored without `reply_to`).
        #[serde(default)]
        also_to_room: bool,
    }

    /// A message with files, and maybe text.
    #[derive(ToSchema, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // a schema only
    struct MessageWithFiles {
        /// Empty, or as for a message with text.
        #[schema(
            max_length = 4000,
            pattern = r"^$|^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
        )]
        #[serde(default)]
        body: String,
        #[schema(pattern = r"^[!-~]{1,64}$")]
        client_id: Option<String>,
        /// 1–10 ids of files the sender uploaded to this room and has not attached yet.
        #[schema(min_items = 1, max_items = 10)]
        attachments: Vec<i64>,
        /// A reply in the thread of this message of the same room.
        reply_to: Option<i64>,
        /// A reply also shown in the room's timeline (ignored without `reply_to`).
        #[serde(default)]
        also_to_room: bool,
    }

    impl PartialSchema for super::SendMessage {
        fn schema() -> RefOr<Schema> {
            AnyOfBuilder::new().item(MessageWithText::schema()).item(MessageWithFiles::schema()).into()
        }
    }

    impl ToSchema for super::SendMessage {}
}

/// Body of `PATCH /rooms/{room_id}/messages/{message_id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditMessage {
    #[cfg_attr(
        feature = "schema",
        schema(
            min_length = 1,
            max_length = 4000,
            pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
        )
    )]
    pub body: String,
}

/// Body of `PUT /rooms/{room_id}/read`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadMarker {
    #[serde(deserialize_with = "whole_number")]
    #[cfg_attr(feature = "schema", schema(minimum = 0))]
    pub seq: i64,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable, snake_case.
    pub code: String,
    /// The invalid fields, for `validation_failed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An integer field that also accepts a JSON number written with a fraction of zero (`7.0`),
/// which JSON Schema's `integer` includes.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(deserializer)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!("invalid type: {n} is not a 64-bit integer"))),
    }
}

/// [`whole_number`] for each item of a list.
pub(crate) fn whole_numbers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Vec::<Whole>::deserialize(deserializer)?.into_iter().map(|w| w.0).collect())
}

/// [`whole_number`] for an optional field.
fn optional_whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Option::<Whole>::deserialize(deserializer)?.map(|w| w.0))
}

/// [`whole_numbers`] for an optional field.
fn optional_whole_numbers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<i64>>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_numbers")] Vec<i64>);
    Ok(Option::<Whole>::deserialize(deserializer)?.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_be_written_as_floats() {
        let m: ReadMarker = serde_json::from_str(r#"{"seq": 7.0}"#).expect("7.0");
        assert_eq!(m.seq, 7);
        let m: ReadMarker = serde_json::from_str(r#"{"seq": 2251799813685247.0}"#).expect("exact");
        assert_eq!(m.seq, 2_251_799_813_685_247);
        assert!(serde_json::from_str::<ReadMarker>(r#"{"seq": 7.5}"#).is_err());
        assert!(serde_json::from_str::<ReadMarker>(r#"{"seq": 1e300}"#).is_err());
        assert!(serde_json::from_str::<ReadMarker>(r#"{"seq": "7"}"#).is_err());
    }
}

/// Answer of `GET /sync`: my user stream's events after `after_user_seq`, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SyncPage {
    /// User-stream events (each with its `user_seq`), at most 500 a page.
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    pub events: Vec<crate::ServerEvent>,
    /// The stream's head when the page was read.
    pub head_user_seq: i64,
    /// The gap was larger than the server keeps: `events` is empty; reload the room list and
    /// drafts, then continue from `head_user_seq`.
    pub replay_truncated: bool,
    /// More events follow: ask again after the last one's `user_seq`.
    pub more: bool,
}

/// Answer of `GET /rooms/{room_id}/changes`: the room's message changes after `after_seq`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RoomChanges {
    /// `message`, `message_updated` and `message_deleted` events in `seq` order, at most 500.
    #[cfg_attr(feature = "schema", schema(value_type = Vec<Object>))]
    pub events: Vec<crate::ServerEvent>,
    /// The room's head when the page was read.
    pub head_seq: i64,
    /// The gap was larger than a replay carries: `events` is empty; page history instead.
    pub replay_truncated: bool,
    /// More changes follow: ask again after the last one's `seq`.
    pub more: bool,
}

/// My unsent text for a room, kept by the server so that my devices share it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Draft {
    pub room_id: i64,
    pub body: String,
    /// The `user_seq` of the draft's latest change: the `base_seq` of the next edit.
    pub user_seq: i64,
}

/// Answer of `GET /drafts`: my non-empty drafts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DraftList {
    pub drafts: Vec<Draft>,
    /// My user stream's head when the list was read.
    pub user_seq: i64,
}

/// Body of `PUT /rooms/{room_id}/draft`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutDraft {
    /// The whole draft, up to 4000 characters (empty clears it); no control characters but
    /// newline and tab.
    #[cfg_attr(feature = "schema", schema(max_length = 4000, pattern = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"))]
    pub body: String,
    /// The `user_seq` of the draft this edit started from (0 when none was seen): a draft
    /// changed since (on another device, or cleared by a send) is not overwritten (409).
    #[serde(deserialize_with = "whole_number")]
    #[cfg_attr(feature = "schema", schema(minimum = 0))]
    pub base_seq: i64,
}

/// The 409 answer of `PUT /rooms/{room_id}/draft`: the problem, and the newer draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DraftConflict {
    #[serde(flatten)]
    pub problem: Problem,
    pub draft: Draft,
}
