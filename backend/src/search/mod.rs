//! `GET /search`: messages the caller can read that match a query (the language is in
//! [`query`]), newest first or best first, with the matched words marked ([`highlight`]). The
//! stores' full-text indexes are in `store::search`.

pub mod highlight;
pub mod query;

use actix_web::{get, web};
use chrono::{Days, NaiveTime};
use confab_shared::{SearchHit, SearchResults};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{self, search::Search};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;
/// Longest query accepted, in characters.
pub const MAX_QUERY: usize = 500;

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Newest first (the default); pages with `before_id`.
    #[default]
    Recent,
    /// Best match first.
    Relevance,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The query: words (ANDed; the last one also as a prefix), `"a phrase"`, `from:username`,
    /// `in:room-name`, `has:file`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (see docs/search.md).
    #[param(max_length = 500)]
    pub q: String,
    /// Only this room.
    pub room_id: Option<i64>,
    /// Only this author.
    pub author_id: Option<i64>,
    /// Results per page, 1–50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
    /// Only messages with a smaller id: the next page of `order=recent` (with `relevance`, it
    /// only narrows the search).
    #[param(minimum = 1)]
    pub before_id: Option<i64>,
    #[param(inline)]
    pub order: Option<Order>,
}

/// Searches the messages of the rooms the caller is a member of (deleted ones never match).
#[utoipa::path(
    tag = "search",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching messages", body = SearchResults),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[get("/search")]
pub async fn search(
    auth: Auth,
    state: web::Data<AppState>,
    params: web::Query<SearchQuery>,
) -> AppResult<web::Json<SearchResults>> {
    let params = params.into_inner();
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    if params.q.chars().count() > MAX_QUERY {
        return Err(AppError::invalid("q", format!("must be at most {MAX_QUERY} characters")));
    }
    if params.before_id.is_some_and(|id| id < 1) {
        return Err(AppError::invalid("before_id", "must be at least 1"));
    }
    let order = params.order.unwrap_or_default();
    state.limits.actions_by_user.take(auth.user_id).await?;
    let query = query::parse(&params.q).map_err(|e| AppError::invalid("q", e.0))?;
    let empty = || web::Json(SearchResults { results: Vec::new(), has_more: false });
    // Nothing asked (no word, no filter, no room or author): nothing found.
    let unfiltered = params.room_id.is_none() && params.author_id.is_none();
    if query.is_empty() && unfiltered {
        return Ok(empty());
    }
    let mut room_ids = params.room_id.map(|id| vec![id]);
    if let Some(name) = &query.room {
        let named = store::rooms::member_room_ids_named(&state.store, auth.user_id, name).await?;
        room_ids = Some(match room_ids {
            Some(ids) => ids.into_iter().filter(|id| named.contains(id)).collect(),
            None => named,
        });
    }
    let mut author_id = params.author_id;
    if let Some(name) = &query.from {
        let Some((user, _)) = store::users::by_name(&state.store, name).await? else { return Ok(empty()) };
        if author_id.is_some_and(|id| id != user.id) {
            return Ok(empty());
        }
        author_id = Some(user.id);
    }
    if room_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(empty());
    }
    let day_start = |day: chrono::NaiveDate| day.and_time(NaiveTime::MIN);
    let search = Search {
        user_id: auth.user_id,
        terms: &query.terms,
        room_ids,
        author_id,
        has_file: query.has_file,
        before_id: params.before_id,
        created_before: query.before.map(day_start),
        created_at_or_after: query.after.and_then(|d| d.checked_add_days(Days::new(1))).map(day_start),
        relevance: matches!(order, Order::Relevance),
        limit: limit + 1,
    };
    let mut ids = store::search::message_ids(&state.store, &search).await?;
    let has_more = ids.len() as i64 > limit;
    ids.truncate(limit as usize);
    let mut found: HashMap<i64, _> =
        store::search::messages_by_ids(&state.store, &ids).await?.into_iter().map(|(m, u)| (m.id, (m, u))).collect();
    let results = ids
        .iter()
        .filter_map(|id| found.remove(id))
        .map(|(row, author)| {
            let message = row.into_message(author);
            let highlights = highlight::highlights(&message.body, &query.terms);
            SearchHit { message, highlights }
        })
        .collect();
    Ok(web::Json(SearchResults { results, has_more }))
}
