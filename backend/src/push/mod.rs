//! Web Push (RFC 8030) for people with no open connection: when a committed message should
//! notify someone (their level, a mention; see `store::messages::Hearers`) and no node has a
//! connection of theirs, each browser they subscribed gets the notification, encrypted for it
//! (RFC 8291, `aes128gcm`, by `web-push-native`) and signed with the server's VAPID key
//! (RFC 8292, [`vapid`]).
//!
//! Only the node whose writer committed the message (or whose service committed the edit)
//! pushes it, so a subscription gets it once however many nodes run. Pushing happens after the
//! commit, off the writer: the writer hands a [`Notice`] to a bounded queue (full: the notice
//! is dropped and logged; the in-app `notification` events are not affected), and the push task
//! takes whatever is queued, looks up the subscriptions of all its people in one query (most
//! people have none: nothing more is done for them), asks presence who is online, and sends.
//! A push service answering 404 or 410 has forgotten the subscription: so do we.

pub mod handlers;
mod vapid;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use confab_shared::{Message, NotificationReason, PushPayload};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use web_push_native::{Auth, WebPushBuilder, p256};

use crate::config::Config;
use crate::realtime::Realtime;
use crate::store::push::SubscriptionRow;
use crate::store::{self, Store};
pub use vapid::Vapid;

/// Notices waiting for the push task; beyond this they are dropped.
const QUEUE: usize = 1024;
/// Notices the push task takes at once (one subscription look-up for all of them).
const BATCH: usize = 256;
/// Requests in flight to push services.
const IN_FLIGHT: usize = 16;
/// How long a push service may keep the message for an offline browser.
const PUSH_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Characters of the text a push carries.
const BODY_CHARS: usize = 200;

/// A committed message and who should hear of it, and why.
pub struct Notice {
    pub message: Message,
    pub hearers: Vec<(i64, NotificationReason)>,
}

/// The queue into the push task, and what the handlers need.
pub struct Push {
    vapid: Arc<Vapid>,
    notices: mpsc::Sender<Notice>,
    /// Whether `http:` endpoints are accepted (a local push service in development and tests).
    pub allow_http: bool,
}

/// The push task, until [`PushTask::spawn`] runs it.
pub struct PushTask {
    notices: mpsc::Receiver<Notice>,
    vapid: Arc<Vapid>,
    store: Store,
    realtime: Arc<Realtime>,
    client: reqwest_tls::Client,
}

impl Push {
    pub fn new(
        config: &Config,
        token_secret: &[u8],
        store: Store,
        realtime: Arc<Realtime>,
    ) -> anyhow::Result<(Self, PushTask)> {
        let vapid = Arc::new(Vapid::load(config.vapid_key.as_deref(), token_secret, &config.push_contact)?);
        // TLS to push services through rustls with ring, as for S3 and Redis.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest_tls::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest_tls::redirect::Policy::none())
            .build()?;
        let (notices, rx) = mpsc::channel(QUEUE);
        let push = Self { vapid: vapid.clone(), notices, allow_http: config.push_allow_http };
        Ok((push, PushTask { notices: rx, vapid, store, realtime, client }))
    }

    pub fn public_key(&self) -> &str {
        self.vapid.public_key()
    }

    /// Hands a committed message's hearers to the push task; never waits.
    pub fn notify(&self, message: &Message, hearers: &[(i64, NotificationReason)]) {
        if hearers.is_empty() {
            return;
        }
        let notice = Notice { message: message.clone(), hearers: hearers.to_vec() };
        if self.notices.try_send(notice).is_err() {
            tracing::warn!(message_id = message.id, "web push queue full: a notice was dropped");
        }
    }
}

impl PushTask {
    /// Runs the push task until the [`Push`] is dropped.
    pub fn spawn(self) {
        tokio::spawn(self.run());
    }

    async fn run(mut self) {
        let mut batch = Vec::with_capacity(BATCH);
        while self.notices.recv_many(&mut batch, BATCH).await > 0 {
            if let Err(err) = self.deliver(std::mem::take(&mut batch)).await {
                tracing::warn!(error = %err, "web push: notices not delivered");
            }
        }
    }

    /// Pushes each notice to the subscriptions of its hearers who are offline.
    async fn deliver(&self, notices: Vec<Notice>) -> anyhow::Result<()> {
        let people: Vec<i64> = notices
            .iter()
            .flat_map(|n| n.hearers.iter().map(|&(u, _)| u))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let subscriptions = store::push::of_users(&self.store, &people).await?;
        if subscriptions.is_empty() {
            return Ok(());
        }
        let mut by_user: HashMap<i64, Vec<SubscriptionRow>> = HashMap::new();
        for sub in subscriptions {
            by_user.entry(sub.user_id).or_default().push(sub);
        }
        let mut offline = HashSet::new();
        for &user in by_user.keys() {
            if !self.realtime.is_online(user).await {
                offline.insert(user);
            }
        }
        let mut titles: HashMap<i64, Option<(String, bool)>> = HashMap::new();
        let mut sends = Vec::new();
        for notice in &notices {
            let room_id = notice.message.room_id;
            if let std::collections::hash_map::Entry::Vacant(slot) = titles.entry(room_id) {
                let room = store::rooms::by_id(&self.store, room_id).await?;
                slot.insert(room.map(|r| (r.name, r.kind == "direct")));
            }
            let Some(Some(room)) = titles.get(&room_id) else { continue };
            for &(user, reason) in &notice.hearers {
                if !offline.contains(&user) {
                    continue;
                }
                let body = serde_json::to_vec(&payload(&notice.message, reason, room))?;
                for sub in by_user.get(&user).into_iter().flatten() {
                    sends.push((sub.clone(), body.clone(), reason));
                }
            }
        }
        futures_util::stream::iter(sends)
            .map(|(sub, body, reason)| self.send(sub, body, reason))
            .buffer_unordered(IN_FLIGHT)
            .for_each(|()| async {})
            .await;
        Ok(())
    }

    /// Sends one push; forgets the subscription when its service says it is gone.
    async fn send(&self, sub: SubscriptionRow, body: Vec<u8>, reason: NotificationReason) {
        let key = URL_SAFE_NO_PAD.decode(&sub.p256dh).ok().and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok());
        let Some(ua_public) = key else {
            tracing::warn!(
                subscription = sub.id,
                "web push: a key that is not a P-256 point; the subscription is forgotten"
            );
            return self.forget(&sub).await;
        };
        match self.request(&sub, ua_public, body, reason).await {
            Ok(status) if status.is_success() => {}
            Ok(status) if status.as_u16() == 404 || status.as_u16() == 410 => self.forget(&sub).await,
            Ok(status) => tracing::warn!(%status, subscription = sub.id, "web push refused"),
            Err(err) => tracing::warn!(error = %err, subscription = sub.id, "web push failed"),
        }
    }

    async fn forget(&self, sub: &SubscriptionRow) {
        if let Err(err) = store::push::expired(&self.store, sub.id).await {
            tracing::warn!(error = %err, "web push: a dead subscription was not removed");
        }
    }

    async fn request(
        &self,
        sub: &SubscriptionRow,
        ua_public: p256::PublicKey,
        body: Vec<u8>,
        reason: NotificationReason,
    ) -> anyhow::Result<reqwest_tls::StatusCode> {
        let endpoint = url::Url::parse(&sub.endpoint)?;
        let auth: [u8; 16] =
            URL_SAFE_NO_PAD.decode(&sub.auth)?.try_into().map_err(|_| anyhow::anyhow!("auth secret"))?;
        let request = WebPushBuilder::new(sub.endpoint.parse()?, ua_public, Auth::from(auth))
            .with_valid_duration(PUSH_TTL)
            .build(body)?;
        let (parts, encrypted) = request.into_parts();
        let mut outgoing = self.client.post(endpoint.clone()).body(encrypted);
        for (name, value) in &parts.headers {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
        let urgency = match reason {
            NotificationReason::Mention | NotificationReason::Direct => "high",
            NotificationReason::All => "normal",
        };
        let authorization = self.vapid.authorization(&endpoint.origin().ascii_serialization())?;
        let response = outgoing.header("Authorization", authorization).header("Urgency", urgency).send().await?;
        Ok(response.status())
    }
}

/// What one push says: who wrote where, and the start of the text.
fn payload(message: &Message, reason: NotificationReason, (room_name, direct): &(String, bool)) -> PushPayload {
    let author = &message.author.username;
    let title = if *direct { author.clone() } else { format!("{author} in #{room_name}") };
    let mut body: String = message.body.chars().take(BODY_CHARS).collect();
    if body.len() < message.body.len() {
        body.push('…');
    }
    if body.is_empty() {
        body = match message.attachments.len() {
            1 => "sent a file".to_owned(),
            n => format!("sent {n} files"),
        };
    }
    PushPayload {
        kind: "notification".to_owned(),
        room_id: message.room_id,
        message_id: message.id,
        seq: message.seq,
        reason,
        title,
        body,
    }
}
