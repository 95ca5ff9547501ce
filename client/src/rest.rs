//! [`Client`]: the REST API, signed in as a person (access and refresh tokens, refreshed before
//! they expire and again on a 401) or as a bot (its API token).

use crate::error::{Error, Result};
use crate::stream::EventStream;
use confab_shared::{
    BotList, BotToken, CreateRoom, Credentials, HookAccepted, HookPost, Message, MessageList, NewBot, NewWebhook,
    Problem, RefreshRequest, Room, RoomChanges, RoomList, SearchResults, SendMessage, SyncPage, TokenPair, User,
    Visibility, Webhook, WebhookList,
};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Refresh an access token this long before it expires (or a fifth of its life, if shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A Confab server, as one account. Cheap to clone: clones share the session, so a refresh by
/// one is seen by all.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    auth: Arc<Mutex<Auth>>,
    /// Held while a refresh is under way, so that clones do not spend the refresh token twice.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone)]
enum Auth {
    None,
    Bot(String),
    Session { tokens: TokenPair, refresh_at: Instant },
}

impl Client {
    /// A client of the server at `base_url` (`http://127.0.0.1:8080`), not signed in yet.
    pub fn new(base_url: &str) -> Client {
        Client {
            base: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap_or_default(),
            auth: Arc::new(Mutex::new(Auth::None)),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// A client presenting `token` as it is: a bot's API token (`cfb_…`, from `POST /bots`),
    /// or an access token that the caller refreshes.
    pub fn with_token(base_url: &str, token: &str) -> Client {
        let client = Client::new(base_url);
        client.set_auth(Auth::Bot(token.to_owned()));
        client
    }

    /// A client signed in with tokens from an earlier login (see [`Client::tokens`]).
    pub fn with_tokens(base_url: &str, tokens: TokenPair) -> Client {
        let client = Client::new(base_url);
        client.set_session(tokens);
        client
    }

    /// The same client making its requests through `http` (to share one connection pool
    /// among many accounts, say, or to set a proxy or other timeouts).
    pub fn with_http(mut self, http: reqwest::Client) -> Client {
        self.http = http;
        self
    }

    /// The server's address, as given.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Creates an account and signs in as it.
    pub async fn register(&self, username: &str, password: &str) -> Result<User> {
        let body = Credentials { username: username.to_owned(), password: password.to_owned(), invite: None };
        let tokens: TokenPair = self.anonymous(Method::POST, "/auth/register", &body).await?;
        Ok(self.set_session(tokens))
    }

    /// Signs in with a username and password.
    pub async fn login(&self, username: &str, password: &str) -> Result<User> {
        let body = Credentials { username: username.to_owned(), password: password.to_owned(), invite: None };
        let tokens: TokenPair = self.anonymous(Method::POST, "/auth/login", &body).await?;
        Ok(self.set_session(tokens))
    }

    /// The current session's tokens (to keep them across runs), if signed in with a password.
    pub fn tokens(&self) -> Option<TokenPair> {
        match self.auth() {
            Auth::Session { tokens, .. } => Some(tokens),
            _ => None,
        }
    }

    /// The account signed in.
    pub async fn me(&self) -> Result<User> {
        self.get("/me").await
    }

    // Rooms and messages.

    /// Every room I can see (public rooms and those I joined), following the pages.
    pub async fn rooms(&self) -> Result<Vec<Room>> {
        self.all_rooms("").await
    }

    /// The rooms I am a member of.
    pub async fn joined_rooms(&self) -> Result<Vec<Room>> {
        self.all_rooms("&joined=true").await
    }

    /// The room of that name that I can see (names are unique ignoring case).
    pub async fn room_named(&self, name: &str) -> Result<Option<Room>> {
        Ok(self.rooms().await?.into_iter().find(|r| r.name.eq_ignore_ascii_case(name)))
    }

    async fn all_rooms(&self, filter: &str) -> Result<Vec<Room>> {
        let mut rooms = Vec::new();
        let mut after = 0;
        loop {
            let page: RoomList = self.get(&format!("/rooms?limit=100&after_id={after}{filter}")).await?;
            after = page.rooms.last().map_or(after, |r| r.id);
            rooms.extend(page.rooms);
            if !page.has_more {
                return Ok(rooms);
            }
        }
    }

    pub async fn create_room(&self, name: &str, visibility: Visibility) -> Result<Room> {
        let body = CreateRoom { name: name.to_owned(), topic: None, visibility: Some(visibility) };
        self.post("/rooms", &body).await
    }

    /// Joins a public room (a private room's owner or admins add members instead).
    pub async fn join(&self, room_id: i64) -> Result<Room> {
        self.call(Method::PUT, &format!("/rooms/{room_id}/members/me"), None::<&()>).await
    }

    /// Adds someone to a room I own or administer.
    pub async fn add_member(&self, room_id: i64, user_id: i64) -> Result<serde_json::Value> {
        self.call(Method::PUT, &format!("/rooms/{room_id}/members/{user_id}"), None::<&()>).await
    }

    /// Posts a message over REST. With `client_id`, posting again with the same id posts
    /// nothing and returns the original: retry a failed call with the same id.
    pub async fn send(&self, room_id: i64, body: &str, client_id: Option<&str>) -> Result<Message> {
        let send = SendMessage {
            body: body.to_owned(),
            client_id: client_id.map(str::to_owned),
            attachments: Vec::new(),
            reply_to: None,
            also_to_room: false,
        };
        self.post(&format!("/rooms/{room_id}/messages"), &send).await
    }

    /// A page of a room's messages, ascending by seq; `query` as `GET /rooms/{id}/messages`
    /// takes it (`before_seq=40&limit=50`, or empty for the newest).
    pub async fn history(&self, room_id: i64, query: &str) -> Result<MessageList> {
        self.get(&with_query(format!("/rooms/{room_id}/messages"), query)).await
    }

    /// The room's message changes after `after_seq` (at most 500; see `more`).
    pub async fn changes(&self, room_id: i64, after_seq: i64) -> Result<RoomChanges> {
        self.get(&format!("/rooms/{room_id}/changes?after_seq={after_seq}")).await
    }

    /// My user stream after `after_user_seq` (at most 500; see `more`).
    pub async fn sync(&self, after_user_seq: i64) -> Result<SyncPage> {
        self.get(&format!("/sync?after_user_seq={after_user_seq}")).await
    }

    /// Messages matching `q` in the rooms I am in, newest first (the first page).
    pub async fn search(&self, q: &str) -> Result<SearchResults> {
        let query = reqwest::Url::parse_with_params("http://x/", [("q", q)])
            .map(|url| url.query().unwrap_or_default().to_owned())
            .unwrap_or_default();
        self.get(&format!("/search?{query}")).await
    }

    // Integrations.

    /// Creates a bot (server admins): its account and API token, shown this once.
    pub async fn create_bot(&self, username: &str, display_name: Option<&str>) -> Result<BotToken> {
        let body = NewBot { username: username.to_owned(), display_name: display_name.map(str::to_owned) };
        self.post("/bots", &body).await
    }

    pub async fn bots(&self) -> Result<Vec<User>> {
        Ok(self.get::<BotList>("/bots").await?.bots)
    }

    /// A new API token for the bot; the old one stops working.
    pub async fn rotate_bot_token(&self, bot_id: i64) -> Result<BotToken> {
        self.call(Method::POST, &format!("/bots/{bot_id}/token"), None::<&()>).await
    }

    /// Deactivates the bot: its token stops working.
    pub async fn delete_bot(&self, bot_id: i64) -> Result<()> {
        self.call(Method::DELETE, &format!("/bots/{bot_id}"), None::<&()>).await
    }

    /// Creates an incoming webhook (its `url` is shown this once) or, with `target_url`, an
    /// outgoing one (its `secret` is).
    pub async fn create_webhook(&self, room_id: i64, webhook: &NewWebhook) -> Result<Webhook> {
        self.post(&format!("/rooms/{room_id}/webhooks"), webhook).await
    }

    pub async fn webhooks(&self, room_id: i64) -> Result<Vec<Webhook>> {
        Ok(self.get::<WebhookList>(&format!("/rooms/{room_id}/webhooks")).await?.webhooks)
    }

    /// Posts to an incoming webhook's secret address (needs no sign-in).
    pub async fn post_hook(&self, url: &str, post: &HookPost) -> Result<HookAccepted> {
        answer(self.http.post(url).json(post).send().await?).await
    }

    // Any other endpoint.

    /// `GET /api/v1{path}`, signed in.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST /api/v1{path}` with a JSON body, signed in.
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Any call to `/api/v1{path}`, signed in: refreshes the session first when its access
    /// token is about to expire, and once more if the server answers 401. A 204 parses as `()`.
    pub async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let token = self.bearer().await?;
        let res = self.request(method.clone(), path, body, Some(&token)).send().await?;
        if res.status() == reqwest::StatusCode::UNAUTHORIZED && self.refresh_after(&token).await? {
            let token = self.bearer().await?;
            return answer(self.request(method, path, body, Some(&token)).send().await?).await;
        }
        answer(res).await
    }

    async fn anonymous<B: Serialize, T: DeserializeOwned>(&self, method: Method, path: &str, body: &B) -> Result<T> {
        answer(self.request(method, path, Some(body), None).send().await?).await
    }

    fn request<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}/api/v1{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        req
    }

    // The session.

    /// The bearer token to present now: a bot's token, or the session's access token,
    /// refreshed first when it is about to expire.
    pub(crate) async fn bearer(&self) -> Result<String> {
        match self.auth() {
            Auth::None => Err(Error::NotAuthenticated),
            Auth::Bot(token) => Ok(token),
            Auth::Session { tokens, refresh_at } => {
                if Instant::now() >= refresh_at {
                    self.refresh_after(&tokens.access_token).await?;
                    return Ok(self.session_token().unwrap_or(tokens.access_token));
                }
                Ok(tokens.access_token)
            }
        }
    }

    /// Refreshes the session unless another clone already replaced `stale`. False for a bot
    /// (its token does not expire: a 401 means it was rotated or the bot deactivated).
    pub(crate) async fn refresh_after(&self, stale: &str) -> Result<bool> {
        let _turn = self.refreshing.lock().await;
        let Auth::Session { tokens, .. } = self.auth() else { return Ok(false) };
        if tokens.access_token != stale {
            return Ok(true);
        }
        let body = RefreshRequest { refresh_token: tokens.refresh_token };
        let fresh: TokenPair = self.anonymous(Method::POST, "/auth/refresh", &body).await?;
        self.set_session(fresh);
        Ok(true)
    }

    fn session_token(&self) -> Option<String> {
        self.tokens().map(|t| t.access_token)
    }

    fn set_session(&self, tokens: TokenPair) -> User {
        let life = Duration::from_secs(tokens.expires_in.max(0).unsigned_abs());
        let refresh_at = Instant::now() + life - REFRESH_MARGIN.min(life / 5);
        let user = tokens.user.clone();
        self.set_auth(Auth::Session { tokens, refresh_at });
        user
    }

    fn auth(&self) -> Auth {
        self.auth.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn set_auth(&self, auth: Auth) {
        *self.auth.lock().unwrap_or_else(PoisonError::into_inner) = auth;
    }

    /// The WebSocket address of the event stream.
    pub(crate) fn ws_url(&self) -> String {
        let rest = self.base.strip_prefix("http").unwrap_or(&self.base);
        format!("ws{rest}/api/v1/ws")
    }

    /// Opens the event stream (see [`EventStream`]): it reconnects and resumes by itself.
    pub async fn connect(&self) -> Result<EventStream> {
        EventStream::open(self.clone()).await
    }
}

fn with_query(path: String, query: &str) -> String {
    if query.is_empty() { path } else { format!("{path}?{query}") }
}

/// The parsed body of a 2xx answer (an empty one as JSON `null`, so `()` for a 204), or the
/// problem document of any other.
async fn answer<T: DeserializeOwned>(res: reqwest::Response) -> Result<T> {
    let status = res.status();
    let bytes = res.bytes().await?;
    if status.is_success() {
        let json: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(json).map_err(|e| Error::Api(Box::new(unreadable(status.as_u16(), e))));
    }
    Err(Error::Api(Box::new(serde_json::from_slice(&bytes).unwrap_or_else(|_| Problem {
        type_: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("error").to_owned(),
        status: status.as_u16(),
        detail: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
        code: format!("http_{}", status.as_u16()),
        errors: Vec::new(),
    }))))
}

/// A success whose body is not what the call expects (a server of another version).
fn unreadable(status: u16, e: serde_json::Error) -> Problem {
    Problem {
        type_: "about:blank".to_owned(),
        title: "Unexpected answer".to_owned(),
        status,
        detail: format!("the answer could not be read: {e}"),
        code: "unexpected_answer".to_owned(),
        errors: Vec::new(),
    }
}
