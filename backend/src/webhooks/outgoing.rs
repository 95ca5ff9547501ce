//! Outgoing webhooks: each new message of a room is POSTed to each of the room's outgoing
//! webhooks, in seq order, at least once, from the change log.
//!
//! Every webhook has a cursor in the store (the seq of the last message its receiver took), so
//! a receiver that is down, a failed request or a restart only delays deliveries: they resume
//! from the cursor, and a receiver drops a repeat by its `seq`. One task per webhook delivers one
//! message at a time and waits for the answer before the next, waking after each commit of the
//! writer (or every [`POLL`], for commits of other nodes); it never holds up the writer. On
//! PostgreSQL a node delivers for a webhook while it holds the webhook's lease in the store, so
//! two nodes do not both deliver; a node that stops holds it until it runs out (about 23 s). A failure is retried with a growing pause (up to [`MAX_BACKOFF`]); after
//! `--webhook-max-failures` in a row the webhook is disabled until its secret is replaced.
//!
//! A delivery is `{"type": "message", "room_id", "seq", "message", "webhook_id", "timestamp"}`
//! with `X-Confab-Signature: sha256=<hex HMAC-SHA256 of the body, keyed by the secret>`;
//! `timestamp` (seconds since the epoch, also `X-Confab-Timestamp`) is signed with the rest, so a
//! receiver can refuse an old delivery replayed. The webhook's own posts are not sent to it. A
//! 2xx answer with `{"text": …}` is posted back to the room as the webhook (idempotently: a
//! repeated delivery posts it once).
//!
//! A target is a host name (never an address). One that resolves to private, loopback or
//! link-local addresses is refused unless `--webhook-allow-private`: when the webhook is made,
//! and on every connection (the resolver drops such addresses, so a name that later resolves
//! inward reaches nothing).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;

use confab_shared::{HookPost, Message, ServerEvent};
use hmac::Mac;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{AppError, AppResult};
use crate::messages::service::{self, Draft, Sender};
use crate::state::AppState;
use crate::store::models::ChangeKind;
use crate::store::{self, webhooks::WebhookRow};

/// How often a webhook's task looks for messages when no commit of this node woke it.
const POLL: Duration = Duration::from_secs(1);
/// How often the set of outgoing webhooks is read (new ones get a task, deleted ones end).
const SUPERVISE: Duration = Duration::from_secs(2);
/// The longest pause between attempts at a failing receiver.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Changes read from the log at a time.
const PAGE: i64 = 100;
/// The most of a receiver's answer that is read (for a reply's text).
const MAX_ANSWER: usize = 64 * 1024;

/// Starts the supervisor of the deliveries: a task for each enabled outgoing webhook.
pub fn spawn(state: Weak<AppState>, commits: watch::Receiver<u64>) {
    let node: i64 = rand::random();
    tokio::spawn(async move {
        let mut tasks: HashMap<i64, JoinHandle<()>> = HashMap::new();
        let mut client = None;
        loop {
            let Some(live) = state.upgrade() else { break };
            let client = match &client {
                Some(client) => client,
                None => match http_client(&live) {
                    Ok(made) => client.insert(made),
                    Err(e) => {
                        tracing::error!(error = %e, "outgoing webhooks: cannot build the HTTP client");
                        return;
                    }
                },
            };
            match store::webhooks::outgoing(&live.store).await {
                Ok(hooks) => {
                    tasks.retain(|_, task| !task.is_finished());
                    for hook in hooks {
                        tasks.entry(hook.id).or_insert_with(|| {
                            tokio::spawn(deliver_for(state.clone(), node, hook.id, commits.clone(), client.clone()))
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "outgoing webhooks: cannot list them"),
            }
            drop(live);
            tokio::time::sleep(SUPERVISE).await;
        }
        tasks.values().for_each(JoinHandle::abort);
    });
}

fn http_client(state: &AppState) -> anyhow::Result<reqwest_tls::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest_tls::Client::builder()
        .timeout(Duration::from_secs(state.config.webhook_timeout_secs))
        .redirect(reqwest_tls::redirect::Policy::none())
        .user_agent("Confab-Webhook");
    if !state.config.webhook_allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

/// What one step of a webhook's task came to.
enum Step {
    /// Nothing to deliver: wait for a commit.
    Idle,
    /// Delivered (or skipped) some: look again at once.
    Moved,
    /// The receiver failed this many times in a row: wait before trying again.
    Failed(i64),
    /// Deleted, disabled, or delivered by another node: the task ends.
    Done,
}

/// One webhook's deliveries by this node (`node`), until the webhook is deleted or disabled or
/// another node holds its lease.
async fn deliver_for(
    state: Weak<AppState>,
    node: i64,
    id: i64,
    mut commits: watch::Receiver<u64>,
    client: reqwest_tls::Client,
) {
    loop {
        let Some(live) = state.upgrade() else { return };
        let step = step(&live, &client, node, id).await.unwrap_or_else(|e| {
            tracing::warn!(webhook = id, error = %e.detail, "outgoing webhook: store error");
            Step::Failed(1)
        });
        drop(live);
        match step {
            Step::Idle => {
                let _ = tokio::time::timeout(POLL, commits.changed()).await;
            }
            Step::Moved => {}
            Step::Failed(run) => {
                let pause = Duration::from_millis(250 << run.clamp(0, 5) as u32).min(MAX_BACKOFF);
                tokio::time::sleep(pause).await;
            }
            Step::Done => return,
        }
    }
}

async fn step(state: &AppState, client: &reqwest_tls::Client, node: i64, id: i64) -> AppResult<Step> {
    let Some(hook) = store::webhooks::get(&state.store, id).await? else { return Ok(Step::Done) };
    let (Some(target), Some(secret)) = (hook.target_url.clone(), hook.secret.clone()) else { return Ok(Step::Done) };
    if hook.disabled_at.is_some() {
        return Ok(Step::Done);
    }
    // Several nodes share a PostgreSQL store: one delivers for the webhook at a time, for as
    // long as a delivery and a pause may take (a node that dies holds it that long). SQLite has
    // one node.
    if state.store.kind() == "postgres" {
        let lease = Duration::from_secs(state.config.webhook_timeout_secs) + MAX_BACKOFF + Duration::from_secs(5);
        let until = store::now() + chrono::Duration::from_std(lease).unwrap_or_default();
        if !store::webhooks::lease(&state.store, id, node, until).await? {
            return Ok(Step::Done);
        }
    }
    let head = store::messages::head(&state.store, hook.room_id).await?.unwrap_or(0);
    if head <= hook.cursor {
        return Ok(Step::Idle);
    }
    let changes = store::messages::changes_between(&state.store, hook.room_id, hook.cursor, head, PAGE).await?;
    let Some(last) = changes.last().map(|c| c.seq) else { return Ok(Step::Idle) };
    // The first message to send; the changes before it (edits, deletions, reactions, the
    // webhook's own posts) are passed over.
    let next = changes
        .into_iter()
        .find(|c| matches!(c.kind, ChangeKind::Created) && !c.message.deleted && c.message.author.id != hook.user_id);
    let Some(change) = next else {
        store::webhooks::delivered(&state.store, id, last).await?;
        return Ok(Step::Moved);
    };
    let target = Target { url: &target, secret: &secret };
    match deliver(client, &hook, target, change.seq, &change.message).await {
        Ok(reply) => {
            store::webhooks::delivered(&state.store, id, change.seq).await?;
            if let Some(text) = reply {
                post_reply(state, &hook, change.seq, text).await;
            }
            Ok(Step::Moved)
        }
        Err(error) => {
            let run = store::webhooks::failed(&state.store, id, &error, state.config.webhook_max_failures).await?;
            tracing::info!(webhook = id, seq = change.seq, failures = run, %error, "outgoing webhook delivery failed");
            Ok(if run >= state.config.webhook_max_failures { Step::Done } else { Step::Failed(run) })
        }
    }
}

/// Where a webhook delivers, and how.
struct Target<'a> {
    url: &'a str,
    secret: &'a str,
}

/// POSTs one message; `Ok` with the reply's text, if any, on a 2xx answer, else what went wrong.
async fn deliver(
    client: &reqwest_tls::Client,
    hook: &WebhookRow,
    target: Target<'_>,
    seq: i64,
    message: &Message,
) -> Result<Option<String>, String> {
    let url = reqwest_tls::Url::parse(target.url).map_err(|e| format!("bad target: {e}"))?;
    let timestamp = chrono::Utc::now().timestamp();
    let event = ServerEvent::Message { room_id: hook.room_id, seq, message: message.clone() };
    let mut body = serde_json::to_value(&event).map_err(|e| e.to_string())?;
    if let Some(fields) = body.as_object_mut() {
        fields.insert("webhook_id".into(), hook.id.into());
        fields.insert("timestamp".into(), timestamp.into());
    }
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-confab-signature", signature(target.secret, &body))
        .header("x-confab-timestamp", timestamp.to_string())
        .header("x-confab-webhook-id", hook.id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| error_text(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    Ok(reply_text(response).await)
}

/// `sha256=<hex HMAC-SHA256 of body>` keyed by the webhook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn error_text(e: &reqwest_tls::Error) -> String {
    let mut text = if e.is_timeout() { "timed out".to_owned() } else { e.to_string() };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text.chars().take(300).collect()
}

/// The `text` of a JSON answer `{"text": …}`, read up to [`MAX_ANSWER`] bytes.
async fn reply_text(mut response: reqwest_tls::Response) -> Option<String> {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_ANSWER {
            return None;
        }
    }
    let post: HookPost = serde_json::from_slice(&bytes).ok()?;
    post.text.filter(|t| !t.trim().is_empty())
}

/// Posts a receiver's reply to the room as the webhook; its `client_id` names the message it
/// answers, so a repeated delivery posts it once.
async fn post_reply(state: &AppState, hook: &WebhookRow, seq: i64, text: String) {
    let body = super::incoming::postable(&super::slack::markdown(text.trim()));
    let Ok(body) = body else { return };
    let draft = Draft {
        body,
        client_id: Some(format!("hook-{}-{seq}", hook.id)),
        attachments: Vec::new(),
        reply_to: None,
        also_to_room: false,
        posted_as: None,
    };
    let sender = Sender { user_id: hook.user_id, bot: true };
    if let Err(e) = service::send(state, sender, hook.room_id, draft).await {
        tracing::info!(webhook = hook.id, error = %e.detail, "outgoing webhook: its reply was not posted");
    }
}

/// Checks a new webhook's target: `http` or `https` with a host name, in the documented shape,
/// which (unless private addresses are allowed) resolves to public addresses only.
pub async fn check_target(state: &AppState, target: &str) -> AppResult<String> {
    let invalid = |why: &str| AppError::invalid("target_url", why);
    if target.chars().count() > 2000 {
        return Err(invalid("must be at most 2000 characters"));
    }
    if !crate::validate::url_shape(target, &["http", "https"], true) {
        return Err(invalid("must be http(s)://host[:port][/path], the host a name of letters, digits and hyphens"));
    }
    let url = url::Url::parse(target).map_err(|_| invalid("must be an absolute http or https URL"))?;
    if state.config.webhook_allow_private {
        return Ok(url.to_string());
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| invalid("its host name does not resolve"))?
        .collect();
    if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(invalid("must not resolve to a private, loopback or link-local address"));
    }
    Ok(url.to_string())
}

/// An address on the public internet: not loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, broadcast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

/// Resolves names to their public addresses only.
struct PublicOnly;

impl reqwest_tls::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest_tls::dns::Name) -> reqwest_tls::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| is_public(a.ip())).collect();
            if addrs.is_empty() {
                return Err("the host resolves to no public address".into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest_tls::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn targets_are_host_names_with_any_port() {
        let shaped = |url| crate::validate::url_shape(url, &["http", "https"], true);
        for good in ["https://hooks.example/in", "http://localhost:65535/x", "http://a:1", "https://a-b.c9.d/p?q#f"] {
            assert!(shaped(good), "{good}");
        }
        for bad in [
            "http://127.0.0.1/x",
            "http://[::1]/x",
            "http://a:0/x",
            "http://a:080/x",
            "http://a:65536/x",
            "ftp://a/x",
            "http://1a/x",
            "http://a..b/x",
            "http://a/x y",
            "http://u:p@a/x",
            "http://a?x",
        ] {
            assert!(!shaped(bad), "{bad}");
        }
    }

    #[test]
    fn the_signature_is_an_hmac_of_the_body() {
        // RFC 4231 test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
