//! One `TestApp` method per REST endpoint, so that the tests name what they call instead of
//! spelling paths. Each returns the `reqwest::Response`, so a test can check any status and
//! problem body; an `_ok` variant asserts the success status and returns the parsed body.
//! Requests that are wrong on purpose (raw paths, wrong methods, odd headers) are built by
//! hand in the tests, with `TestApp::get` and friends or `TestApp::http`. The `_ok` variants
//! of the calls that `confab-client` has go through it (`TestApp::as_user`).

use crate::helpers::TestApp;
use confab_shared::{
    BotToken, Draft, DraftList, File, HookAccepted, Invite, MemberList, Message, MessageList, PresenceList, Room,
    RoomChanges, RoomList, SearchResults, ServerInfo, SessionList, SyncPage, TokenPair, User, UserList, Webhook,
};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The path of the WebSocket endpoint.
pub const WS_PATH: &str = "/api/v1/ws";

fn api(path: &str) -> String {
    format!("/api/v1{path}")
}

/// `path`, with `?query` when `query` is not empty.
fn with_query(path: String, query: &str) -> String {
    if query.is_empty() { path } else { format!("{path}?{query}") }
}

/// Asserts `status` and parses the body as `T`.
async fn parsed<T: DeserializeOwned>(res: Response, status: u16, what: &str) -> T {
    assert_eq!(res.status().as_u16(), status, "{what}");
    res.json().await.unwrap_or_else(|e| panic!("{what}: body: {e}"))
}

/// The result of a `confab-client` call that must succeed.
fn ok<T>(result: confab_client::Result<T>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what}: {e}"))
}

impl TestApp {
    /// A `confab-client` of this server, not signed in, on the tests' HTTP pool.
    pub fn anonymous(&self) -> confab_client::Client {
        confab_client::Client::new(&self.base).with_http(self.http.clone())
    }

    /// A `confab-client` of this server presenting `token`: the success paths of the calls
    /// below go through it, the crate the bots use.
    pub fn as_user(&self, token: &str) -> confab_client::Client {
        confab_client::Client::with_token(&self.base, token).with_http(self.http.clone())
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Response {
        let mut req = self.http.request(method.clone(), self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    // Accounts and sessions.

    /// `POST /auth/register` with any body (for validation tests; see `register`).
    pub async fn register_json(&self, body: &Value) -> Response {
        self.call(Method::POST, &api("/auth/register"), None, Some(body)).await
    }

    /// Registers `username` with the password `password123` and returns the response.
    pub async fn try_register(&self, username: &str) -> Response {
        self.register_json(&json!({"username": username, "password": "password123"})).await
    }

    /// Registers `username` (password `password123`) and returns its tokens.
    pub async fn register(&self, username: &str) -> TokenPair {
        let client = self.anonymous();
        client.register(username, "password123").await.unwrap_or_else(|e| panic!("register {username}: {e}"));
        client.tokens().expect("a session")
    }

    /// `POST /auth/login`.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.login_via(&self.http, username, password).await
    }

    /// `POST /auth/login` through another HTTP client (say, bound to another local address).
    pub async fn login_via(&self, client: &reqwest::Client, username: &str, password: &str) -> Response {
        client
            .post(self.url(&api("/auth/login")))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("POST /auth/login")
    }

    pub async fn login_ok(&self, username: &str, password: &str) -> TokenPair {
        let client = self.anonymous();
        client.login(username, password).await.unwrap_or_else(|e| panic!("login {username}: {e}"));
        client.tokens().expect("a session")
    }

    /// `POST /auth/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.call(Method::POST, &api("/auth/refresh"), None, Some(&json!({"refresh_token": refresh_token}))).await
    }

    pub async fn refresh_ok(&self, refresh_token: &str) -> TokenPair {
        parsed(self.refresh(refresh_token).await, 200, "refresh").await
    }

    /// `POST /auth/logout`: ends the session of `token`.
    pub async fn logout(&self, token: &str) -> Response {
        self.call(Method::POST, &api("/auth/logout"), Some(token), Some(&json!({}))).await
    }

    /// `GET /me`.
    pub async fn me(&self, token: &str) -> Response {
        self.call(Method::GET, &api("/me"), Some(token), None).await
    }

    pub async fn me_ok(&self, token: &str) -> User {
        ok(self.as_user(token).me().await, "me")
    }

    /// `PATCH /me` with any body (`display_name`, `status`).
    pub async fn update_profile(&self, token: &str, changes: &Value) -> Response {
        self.call(Method::PATCH, &api("/me"), Some(token), Some(changes)).await
    }

    pub async fn update_profile_ok(&self, token: &str, changes: &Value) -> User {
        parsed(self.update_profile(token, changes).await, 200, "update profile").await
    }

    /// `PUT /me/avatar` with `bytes` as the body.
    pub async fn set_avatar(&self, token: &str, content_type: &str, bytes: Vec<u8>) -> Response {
        self.http
            .put(self.url(&api("/me/avatar")))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .unwrap_or_else(|e| panic!("set avatar: {e}"))
    }

    /// `DELETE /me/avatar`.
    pub async fn remove_avatar(&self, token: &str) -> Response {
        self.call(Method::DELETE, &api("/me/avatar"), Some(token), None).await
    }

    /// `GET` of an `avatar_url` (a path with its query), with or without a token.
    pub async fn avatar(&self, token: Option<&str>, avatar_url: &str) -> Response {
        self.call(Method::GET, avatar_url, token, None).await
    }

    /// `PUT /me/password`.
    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        let body = json!({"current_password": current, "new_password": new});
        self.call(Method::PUT, &api("/me/password"), Some(token), Some(&body)).await
    }

    /// `GET /sessions`.
    pub async fn sessions(&self, token: &str) -> Response {
        self.call(Method::GET, &api("/sessions"), Some(token), None).await
    }

    pub async fn sessions_ok(&self, token: &str) -> SessionList {
        parsed(self.sessions(token).await, 200, "sessions").await
    }

    /// `DELETE /sessions/{id}`.
    pub async fn end_session(&self, token: &str, session_id: i64) -> Response {
        self.call(Method::DELETE, &api(&format!("/sessions/{session_id}")), Some(token), None).await
    }

    /// `DELETE /sessions`: logs out everywhere.
    pub async fn end_all_sessions(&self, token: &str) -> Response {
        self.call(Method::DELETE, &api("/sessions"), Some(token), None).await
    }

    // Users.

    /// `GET /users?q=…` (`q` is encoded here).
    pub async fn search_users(&self, token: &str, q: &str) -> Response {
        let req = self.http.get(self.url(&api("/users"))).bearer_auth(token).query(&[("q", q)]);
        req.send().await.expect("GET /users")
    }

    pub async fn search_users_ok(&self, token: &str, q: &str) -> UserList {
        parsed(self.search_users(token, q).await, 200, &format!("search {q}")).await
    }

    /// `GET /presence`.
    pub async fn presence(&self, token: &str) -> Response {
        self.call(Method::GET, &api("/presence"), Some(token), None).await
    }

    pub async fn presence_ok(&self, token: &str) -> PresenceList {
        parsed(self.presence(token).await, 200, "presence").await
    }

    // Rooms.

    /// `GET /rooms?query` (`query` as it goes on the wire, say `limit=2&after_id=5`, or "").
    pub async fn rooms(&self, token: &str, query: &str) -> Response {
        self.call(Method::GET, &with_query(api("/rooms"), query), Some(token), None).await
    }

    pub async fn rooms_ok(&self, token: &str, query: &str) -> RoomList {
        parsed(self.rooms(token, query).await, 200, &format!("rooms {query}")).await
    }

    /// `POST /rooms` with any body (see `create_room`).
    pub async fn create_room_json(&self, token: &str, body: &Value) -> Response {
        self.call(Method::POST, &api("/rooms"), Some(token), Some(body)).await
    }

    pub async fn create_room(&self, token: &str, name: &str, visibility: &str) -> Room {
        let visibility = serde_json::from_value(json!(visibility)).expect("public or private");
        ok(self.as_user(token).create_room(name, visibility).await, &format!("create room {name}"))
    }

    /// `GET /rooms/{id}`.
    pub async fn room(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::GET, &api(&format!("/rooms/{room_id}")), Some(token), None).await
    }

    pub async fn room_ok(&self, token: &str, room_id: i64) -> Room {
        parsed(self.room(token, room_id).await, 200, &format!("room {room_id}")).await
    }

    /// `PATCH /rooms/{id}` with `changes` (`name`, `topic`).
    pub async fn update_room(&self, token: &str, room_id: i64, changes: &Value) -> Response {
        self.call(Method::PATCH, &api(&format!("/rooms/{room_id}")), Some(token), Some(changes)).await
    }

    /// `DELETE /rooms/{id}`.
    pub async fn delete_room(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::DELETE, &api(&format!("/rooms/{room_id}")), Some(token), None).await
    }

    /// `POST /dms`: the direct room with `user_id`.
    pub async fn dm(&self, token: &str, user_id: i64) -> Response {
        self.call(Method::POST, &api("/dms"), Some(token), Some(&json!({"user_id": user_id}))).await
    }

    /// `POST /dms` with any body.
    pub async fn dm_json(&self, token: &str, body: &Value) -> Response {
        self.call(Method::POST, &api("/dms"), Some(token), Some(body)).await
    }

    /// `POST /dms` with `{"user_ids": …}`: the direct room of a group.
    pub async fn group_dm(&self, token: &str, user_ids: &[i64]) -> Response {
        self.dm_json(token, &json!({"user_ids": user_ids})).await
    }

    /// `PUT /rooms/{id}/notifications` with `{"level": level}`.
    pub async fn set_notify(&self, token: &str, room_id: i64, level: &str) -> Response {
        let path = api(&format!("/rooms/{room_id}/notifications"));
        self.call(Method::PUT, &path, Some(token), Some(&json!({"level": level}))).await
    }

    // Membership.

    /// `PUT /rooms/{id}/members/me`.
    pub async fn join_room(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::PUT, &api(&format!("/rooms/{room_id}/members/me")), Some(token), None).await
    }

    /// Joins, asserting success.
    pub async fn join(&self, token: &str, room_id: i64) {
        let res = self.join_room(token, room_id).await;
        assert_eq!(res.status(), 200, "join room {room_id}");
    }

    /// `DELETE /rooms/{id}/members/me`.
    pub async fn leave_room(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::DELETE, &api(&format!("/rooms/{room_id}/members/me")), Some(token), None).await
    }

    /// `GET /rooms/{id}/members`.
    pub async fn members(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::GET, &api(&format!("/rooms/{room_id}/members")), Some(token), None).await
    }

    pub async fn members_ok(&self, token: &str, room_id: i64) -> MemberList {
        parsed(self.members(token, room_id).await, 200, &format!("members of {room_id}")).await
    }

    /// `PUT /rooms/{id}/members/{user_id}`.
    pub async fn add_member(&self, token: &str, room_id: i64, user_id: i64) -> Response {
        self.call(Method::PUT, &api(&format!("/rooms/{room_id}/members/{user_id}")), Some(token), None).await
    }

    /// `DELETE /rooms/{id}/members/{user_id}`.
    pub async fn remove_member(&self, token: &str, room_id: i64, user_id: i64) -> Response {
        self.call(Method::DELETE, &api(&format!("/rooms/{room_id}/members/{user_id}")), Some(token), None).await
    }

    /// `PUT /rooms/{id}/members/{user_id}/role` with `role` (`owner`, `admin`, `member`).
    pub async fn set_role(&self, token: &str, room_id: i64, user_id: i64, role: &str) -> Response {
        let path = api(&format!("/rooms/{room_id}/members/{user_id}/role"));
        self.call(Method::PUT, &path, Some(token), Some(&json!({"role": role}))).await
    }

    // Messages.

    /// `GET /rooms/{id}/messages?query` (`query` as on the wire, say `limit=3&before_seq=5`).
    pub async fn history(&self, token: &str, room_id: i64, query: &str) -> Response {
        let path = with_query(api(&format!("/rooms/{room_id}/messages")), query);
        self.call(Method::GET, &path, Some(token), None).await
    }

    pub async fn history_ok(&self, token: &str, room_id: i64, query: &str) -> MessageList {
        ok(self.as_user(token).history(room_id, query).await, &format!("history {query}"))
    }

    /// `POST /rooms/{id}/messages` with any body (`body`, `client_id`).
    pub async fn send_message_json(&self, token: &str, room_id: i64, body: &Value) -> Response {
        self.call(Method::POST, &api(&format!("/rooms/{room_id}/messages")), Some(token), Some(body)).await
    }

    /// `POST /rooms/{id}/messages` with `{"body": body}`.
    pub async fn send_message(&self, token: &str, room_id: i64, body: &str) -> Response {
        self.send_message_json(token, room_id, &json!({"body": body})).await
    }

    pub async fn send_message_ok(&self, token: &str, room_id: i64, body: &str) -> Message {
        ok(self.as_user(token).send(room_id, body, None).await, &format!("send {body}"))
    }

    /// `POST /rooms/{id}/messages` with `{"body": body, "reply_to": root}`.
    pub async fn reply(&self, token: &str, room_id: i64, reply_to: i64, body: &str) -> Response {
        self.send_message_json(token, room_id, &json!({"body": body, "reply_to": reply_to})).await
    }

    pub async fn reply_ok(&self, token: &str, room_id: i64, reply_to: i64, body: &str) -> Message {
        parsed(self.reply(token, room_id, reply_to, body).await, 201, &format!("reply {body}")).await
    }

    /// `PATCH /rooms/{id}/messages/{message_id}` with `{"body": body}`.
    pub async fn edit_message(&self, token: &str, room_id: i64, message_id: i64, body: &str) -> Response {
        let path = api(&format!("/rooms/{room_id}/messages/{message_id}"));
        self.call(Method::PATCH, &path, Some(token), Some(&json!({"body": body}))).await
    }

    /// `DELETE /rooms/{id}/messages/{message_id}`.
    pub async fn delete_message(&self, token: &str, room_id: i64, message_id: i64) -> Response {
        self.call(Method::DELETE, &api(&format!("/rooms/{room_id}/messages/{message_id}")), Some(token), None).await
    }

    /// `PUT /rooms/{id}/read`: moves the read marker to `seq`.
    pub async fn mark_read(&self, token: &str, room_id: i64, seq: i64) -> Response {
        self.call(Method::PUT, &api(&format!("/rooms/{room_id}/read")), Some(token), Some(&json!({"seq": seq}))).await
    }

    // Staying in step.

    /// `GET /sync?after_user_seq=N`.
    pub async fn sync(&self, token: &str, after_user_seq: i64) -> Response {
        self.call(Method::GET, &api(&format!("/sync?after_user_seq={after_user_seq}")), Some(token), None).await
    }

    pub async fn sync_ok(&self, token: &str, after_user_seq: i64) -> SyncPage {
        ok(self.as_user(token).sync(after_user_seq).await, "sync")
    }

    /// `GET /rooms/{id}/changes?after_seq=N`.
    pub async fn room_changes(&self, token: &str, room_id: i64, after_seq: i64) -> Response {
        let path = api(&format!("/rooms/{room_id}/changes?after_seq={after_seq}"));
        self.call(Method::GET, &path, Some(token), None).await
    }

    pub async fn room_changes_ok(&self, token: &str, room_id: i64, after_seq: i64) -> RoomChanges {
        ok(self.as_user(token).changes(room_id, after_seq).await, "room changes")
    }

    /// `PUT /rooms/{id}/draft` with `body` and `base_seq`.
    pub async fn put_draft(&self, token: &str, room_id: i64, body: &str, base_seq: i64) -> Response {
        let draft = json!({"body": body, "base_seq": base_seq});
        self.call(Method::PUT, &api(&format!("/rooms/{room_id}/draft")), Some(token), Some(&draft)).await
    }

    pub async fn put_draft_ok(&self, token: &str, room_id: i64, body: &str, base_seq: i64) -> Draft {
        parsed(self.put_draft(token, room_id, body, base_seq).await, 200, "put draft").await
    }

    /// `GET /drafts`.
    pub async fn drafts_ok(&self, token: &str) -> DraftList {
        parsed(self.call(Method::GET, &api("/drafts"), Some(token), None).await, 200, "drafts").await
    }

    // The server and invites.

    /// `GET /server` (no authentication).
    pub async fn server_ok(&self) -> ServerInfo {
        parsed(self.call(Method::GET, &api("/server"), None, None).await, 200, "server").await
    }

    // Bots.

    /// `POST /bots` with any body (`username`, `display_name`).
    pub async fn create_bot(&self, token: &str, body: &Value) -> Response {
        self.call(Method::POST, &api("/bots"), Some(token), Some(body)).await
    }

    pub async fn create_bot_ok(&self, token: &str, username: &str) -> BotToken {
        ok(self.as_user(token).create_bot(username, None).await, "create bot")
    }

    /// `GET /bots`.
    pub async fn bots(&self, token: &str) -> Response {
        self.call(Method::GET, &api("/bots"), Some(token), None).await
    }

    /// `POST /bots/{user_id}/token`.
    pub async fn rotate_bot_token(&self, token: &str, bot_id: i64) -> Response {
        self.call(Method::POST, &api(&format!("/bots/{bot_id}/token")), Some(token), None).await
    }

    /// `DELETE /bots/{user_id}`.
    pub async fn delete_bot(&self, token: &str, bot_id: i64) -> Response {
        self.call(Method::DELETE, &api(&format!("/bots/{bot_id}")), Some(token), None).await
    }

    // Webhooks.

    /// `POST /rooms/{room_id}/webhooks` with any body (`name`).
    pub async fn create_webhook(&self, token: &str, room_id: i64, body: &Value) -> Response {
        self.call(Method::POST, &api(&format!("/rooms/{room_id}/webhooks")), Some(token), Some(body)).await
    }

    pub async fn create_webhook_ok(&self, token: &str, room_id: i64, name: &str) -> Webhook {
        parsed(self.create_webhook(token, room_id, &json!({"name": name})).await, 201, "create webhook").await
    }

    /// `GET /rooms/{room_id}/webhooks`.
    pub async fn webhooks(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::GET, &api(&format!("/rooms/{room_id}/webhooks")), Some(token), None).await
    }

    /// `POST /rooms/{room_id}/webhooks/{webhook_id}/token`.
    pub async fn rotate_webhook(&self, token: &str, room_id: i64, webhook_id: i64) -> Response {
        let path = api(&format!("/rooms/{room_id}/webhooks/{webhook_id}/token"));
        self.call(Method::POST, &path, Some(token), None).await
    }

    /// `DELETE /rooms/{room_id}/webhooks/{webhook_id}`.
    pub async fn delete_webhook(&self, token: &str, room_id: i64, webhook_id: i64) -> Response {
        let path = api(&format!("/rooms/{room_id}/webhooks/{webhook_id}"));
        self.call(Method::DELETE, &path, Some(token), None).await
    }

    /// `POST` a payload to a webhook's address (as a tool does: no token, the URL is the secret).
    pub async fn post_hook(&self, url: &str, payload: &Value) -> Response {
        self.http.post(url).json(payload).send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"))
    }

    pub async fn post_hook_ok(&self, url: &str, payload: &Value) -> HookAccepted {
        parsed(self.post_hook(url, payload).await, 200, "post to the webhook").await
    }

    /// `PATCH /admin/server` with any body (`name`, `registration`).
    pub async fn update_server(&self, token: Option<&str>, changes: &Value) -> Response {
        self.call(Method::PATCH, &api("/admin/server"), token, Some(changes)).await
    }

    /// `POST /auth/register` with an invite code.
    pub async fn register_with_invite(&self, username: &str, invite: &str) -> Response {
        self.register_json(&json!({"username": username, "password": "password123", "invite": invite})).await
    }

    /// `POST /invites` with any body (`max_uses`, `expires_in`).
    pub async fn create_invite(&self, token: &str, body: &Value) -> Response {
        self.call(Method::POST, &api("/invites"), Some(token), Some(body)).await
    }

    pub async fn create_invite_ok(&self, token: &str, body: &Value) -> Invite {
        parsed(self.create_invite(token, body).await, 201, "create invite").await
    }

    /// `GET /invites`.
    pub async fn invites(&self, token: &str) -> Response {
        self.call(Method::GET, &api("/invites"), Some(token), None).await
    }

    /// `DELETE /invites/{code}`.
    pub async fn revoke_invite(&self, token: &str, code: &str) -> Response {
        self.call(Method::DELETE, &api(&format!("/invites/{code}")), Some(token), None).await
    }

    /// `PUT` (`on`) or `DELETE` `/rooms/{room_id}/messages/{message_id}/reactions/{emoji}`.
    pub async fn react(&self, token: &str, room_id: i64, message_id: i64, emoji: &str, on: bool) -> Response {
        let emoji: String = emoji
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let path = api(&format!("/rooms/{room_id}/messages/{message_id}/reactions/{emoji}"));
        self.call(if on { Method::PUT } else { Method::DELETE }, &path, Some(token), None).await
    }

    pub async fn react_ok(&self, token: &str, room_id: i64, message_id: i64, emoji: &str, on: bool) {
        let res = self.react(token, room_id, message_id, emoji, on).await;
        assert_eq!(res.status().as_u16(), 204, "react {emoji} {on}: {}", res.text().await.unwrap_or_default());
    }

    // Files.

    /// `POST /rooms/{room_id}/files?name=…` with `bytes` as the body and `content_type` as its
    /// claimed type.
    pub async fn upload(&self, token: &str, room_id: i64, name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
        self.http
            .post(self.url(&api(&format!("/rooms/{room_id}/files"))))
            .query(&[("name", name)])
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload {name}: {e}"))
    }

    pub async fn upload_ok(&self, token: &str, room_id: i64, name: &str, content_type: &str, bytes: Vec<u8>) -> File {
        parsed(self.upload(token, room_id, name, content_type, bytes).await, 201, &format!("upload {name}")).await
    }

    /// `GET /files/{file_id}` with extra request headers (`Range`, `If-None-Match`).
    pub async fn download(&self, token: &str, file_id: i64, headers: &[(&str, &str)]) -> Response {
        let mut req = self.http.get(self.url(&api(&format!("/files/{file_id}")))).bearer_auth(token);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.unwrap_or_else(|e| panic!("download {file_id}: {e}"))
    }

    /// The file's bytes (asserting 200).
    pub async fn download_ok(&self, token: &str, file_id: i64) -> Vec<u8> {
        let res = self.download(token, file_id, &[]).await;
        assert_eq!(res.status().as_u16(), 200, "download {file_id}");
        res.bytes().await.expect("file bytes").to_vec()
    }

    /// `GET /files/{file_id}/thumbnail`.
    pub async fn thumbnail(&self, token: &str, file_id: i64) -> Response {
        self.call(Method::GET, &api(&format!("/files/{file_id}/thumbnail")), Some(token), None).await
    }

    /// Sends a message with attachments over REST.
    pub async fn send_files(&self, token: &str, room_id: i64, body: &str, files: &[i64]) -> Response {
        self.send_message_json(token, room_id, &json!({"body": body, "attachments": files})).await
    }

    pub async fn send_files_ok(&self, token: &str, room_id: i64, body: &str, files: &[i64]) -> Message {
        parsed(self.send_files(token, room_id, body, files).await, 201, "send with files").await
    }

    // Search.

    /// `GET /search` with these query parameters (`q`, `room_id`, `limit`, …).
    pub async fn search(&self, token: &str, params: &[(&str, &str)]) -> Response {
        let req = self.http.get(self.url(&api("/search"))).query(params).bearer_auth(token);
        req.send().await.unwrap_or_else(|e| panic!("GET /search: {e}"))
    }

    pub async fn search_ok(&self, token: &str, params: &[(&str, &str)]) -> SearchResults {
        parsed(self.search(token, params).await, 200, &format!("search {params:?}")).await
    }

    // Operations (no authentication).

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Response {
        self.call(Method::GET, "/healthz", None, None).await
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> Response {
        self.call(Method::GET, "/readyz", None, None).await
    }

    /// `GET /readyz`, which may fail to get an answer at all.
    pub async fn try_readyz(&self) -> reqwest::Result<Response> {
        self.http.get(self.url("/readyz")).send().await
    }

    /// `GET /metrics`.
    pub async fn metrics(&self) -> Response {
        self.call(Method::GET, "/metrics", None, None).await
    }

    /// The `/metrics` text.
    pub async fn metrics_text(&self) -> String {
        let res = self.metrics().await;
        assert_eq!(res.status(), 200, "metrics");
        res.text().await.expect("metrics text")
    }

    /// The value of an unlabelled metric from `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics_text().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("metric {name} missing"))
    }

    /// `GET /api/openapi.json`.
    pub async fn openapi_json(&self) -> Response {
        self.call(Method::GET, "/api/openapi.json", None, None).await
    }

    // Administration and moderation.

    /// `GET /admin/users?query`.
    pub async fn admin_users(&self, token: &str, query: &str) -> Response {
        self.call(Method::GET, &with_query(api("/admin/users"), query), Some(token), None).await
    }

    /// `PATCH /admin/users/{id}` with `changes` (`role`, `deactivated`).
    pub async fn admin_update_user(&self, token: &str, user_id: i64, changes: &Value) -> Response {
        self.call(Method::PATCH, &api(&format!("/admin/users/{user_id}")), Some(token), Some(changes)).await
    }

    /// `POST /admin/users/{id}/password-reset`.
    pub async fn admin_password_reset(&self, token: &str, user_id: i64) -> Response {
        self.call(Method::POST, &api(&format!("/admin/users/{user_id}/password-reset")), Some(token), None).await
    }

    /// `POST /auth/password-reset` with `{token, password}`.
    pub async fn reset_password(&self, reset_token: &str, password: &str) -> Response {
        let body = json!({"token": reset_token, "password": password});
        self.call(Method::POST, &api("/auth/password-reset"), None, Some(&body)).await
    }

    /// `GET /admin/audit?query`.
    pub async fn audit(&self, token: &str, query: &str) -> Response {
        self.call(Method::GET, &with_query(api("/admin/audit"), query), Some(token), None).await
    }

    /// `PUT` (`on`) or `DELETE /rooms/{id}/bans/{user_id}`.
    pub async fn ban(&self, token: &str, room_id: i64, user_id: i64, on: bool) -> Response {
        let method = if on { Method::PUT } else { Method::DELETE };
        self.call(method, &api(&format!("/rooms/{room_id}/bans/{user_id}")), Some(token), None).await
    }

    /// `GET /rooms/{id}/bans`.
    pub async fn bans(&self, token: &str, room_id: i64) -> Response {
        self.call(Method::GET, &api(&format!("/rooms/{room_id}/bans")), Some(token), None).await
    }

    /// `GET /docs/`: the API docs UI.
    pub async fn docs(&self) -> Response {
        self.call(Method::GET, "/docs/", None, None).await
    }
}
