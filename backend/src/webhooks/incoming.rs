//! `POST /hooks/{token}`: a post to an incoming webhook, in Slack's payload or Confab's own,
//! sent to its room as the webhook's account through the group-commit writer. The token is the
//! credential: an unknown, replaced or deleted one answers 404. Posts draw from the bots' send
//! limit, per webhook.

use actix_web::{post, web};
use confab_shared::{HookAccepted, HookPost};

use super::{TOKEN_LEN, TOKEN_PREFIX, slack, token_hash};
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::messages::service::{self, Draft, Sender};
use crate::state::AppState;
use crate::store;
use crate::validate::{self, MAX_MESSAGE_CHARS};

/// Posts a message to the webhook's room. With `body` (Confab's payload) the text is Confab
/// markdown, checked as any send's, and `client_id` makes a retry post nothing twice (the
/// answer carries the original). Otherwise Slack's `text`, `attachments` and `blocks` are
/// turned into markdown (cut at 4000 characters); `username` is shown as the sender instead of
/// the webhook's name (a name that is not a valid display name is ignored); `icon_url` and
/// `icon_emoji` are ignored (the web app loads no images from other sites).
#[utoipa::path(
    tag = "webhooks",
    params(("token" = String, Path, description = "The webhook's secret token", pattern = r"^cfh_[A-Za-z0-9_-]{43}$")),
    request_body = HookPost,
    responses(
        (status = 200, description = "Posted (or posted before, for a repeated `client_id`)", body = HookAccepted),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/hooks/{token}")]
pub async fn receive(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: ApiJson<HookPost>,
) -> AppResult<web::Json<HookAccepted>> {
    let token = path.into_inner();
    if token.len() != TOKEN_LEN || !token.starts_with(TOKEN_PREFIX) {
        return Err(AppError::not_found("webhook"));
    }
    let (hook, account) = store::webhooks::by_token_hash(&state.store, &token_hash(&token))
        .await?
        .filter(|(_, account)| account.deactivated_at.is_none())
        .ok_or_else(|| AppError::not_found("webhook"))?;
    let post = body.0;
    let posted_as = post
        .username
        .as_deref()
        .and_then(|name| validate::display_name(name).ok())
        .filter(|name| !name.is_empty() && *name != hook.name);
    let body = match &post.body {
        Some(body) => body.clone(),
        None => slack_text(&post)?,
    };
    let draft = Draft {
        body,
        client_id: post.client_id,
        attachments: Vec::new(),
        reply_to: None,
        also_to_room: false,
        posted_as,
    };
    let sender = Sender { user_id: account.id, bot: true };
    let message = service::send(&state, sender, hook.room_id, draft).await?.into_message();
    Ok(web::Json(HookAccepted { ok: true, message }))
}

/// The message of a Slack payload: its markdown without control characters (but newline and
/// tab), cut at the longest message; 400 when it shows nothing.
fn slack_text(post: &HookPost) -> AppResult<String> {
    postable(&slack::message(post))
}

/// Markdown made from Slack's `mrkdwn` as a message's body: without control characters (but
/// newlines and tabs), refused when nothing is left to show, cut to the longest body with `…`.
pub(super) fn postable(markdown: &str) -> AppResult<String> {
    let text: String = markdown.chars().filter(|&c| !c.is_control() || c == '\n' || c == '\t').collect();
    if text.trim().is_empty() {
        return Err(AppError::invalid("text", "nothing to post: give text, attachments, blocks or body"));
    }
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return Ok(text);
    }
    let mut cut: String = text.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    cut.push('…');
    Ok(cut)
}
