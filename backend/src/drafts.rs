//! Drafts that follow me: `GET /drafts`, `PUT /rooms/{room_id}/draft`. Each change is an entry
//! of my user stream (`draft_updated`), so my other devices see it live or on `sync`; an edit
//! names the draft it started from, so an offline device never overwrites a newer one; a send
//! clears the room's draft in its own transaction (`store::messages::write_batch`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, put, web};
use confab_shared::{DraftConflict, DraftList, PutDraft};

use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::json::ApiJson;
use crate::rooms::access;
use crate::state::AppState;
use crate::store::drafts::Put;
use crate::{store, validate};

/// My drafts that are not empty, and my user stream's head.
#[utoipa::path(
    tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "My drafts", body = DraftList),
        (status = 401, response = crate::openapi::Unauthorized),
    )
)]
#[get("/drafts")]
pub async fn list(auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<DraftList>> {
    let user_seq = store::user_stream::head(&state.store, auth.user_id).await?;
    let drafts = store::drafts::list(&state.store, auth.user_id).await?;
    Ok(web::Json(DraftList { drafts, user_seq }))
}

/// Sets my draft for the room (members), unless it changed since `base_seq`: then 409 with the
/// newer draft, which is not overwritten. An empty body clears it.
#[utoipa::path(
    tag = "sync",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    request_body = PutDraft,
    responses(
        (status = 200, description = "Stored", body = confab_shared::Draft),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, description = "The draft changed since `base_seq`", body = DraftConflict, content_type = "application/problem+json"),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/draft")]
pub async fn put(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<PutDraft>,
) -> AppResult<HttpResponse> {
    let PutDraft { body, base_seq } = body.0;
    validate::draft(&body)?;
    if base_seq < 0 {
        return Err(AppError::invalid("base_seq", "must not be negative"));
    }
    let room_id = path.into_inner();
    let put = store::transaction!(&state.store, |c| {
        access::member(&mut *c, room_id, auth.user_id).await?;
        Ok(store::drafts::put(&mut *c, auth.user_id, room_id, &body, base_seq).await?)
    })?;
    match put {
        Put::Stored(draft, entries) => {
            state.realtime.to_streams(entries);
            Ok(HttpResponse::Ok().json(draft))
        }
        Put::Stale(draft) => {
            let detail = format!("the draft changed since {base_seq} (it is at {}): not overwritten", draft.user_seq);
            let problem = AppError::new(ErrorKind::Conflict, detail).problem();
            Ok(HttpResponse::build(StatusCode::CONFLICT)
                .content_type("application/problem+json")
                .json(DraftConflict { problem, draft }))
        }
    }
}
