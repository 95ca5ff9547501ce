//! The OpenAPI document: paths come from the handlers registered in `startup::api_routes`
//! (utoipa-actix-web collects them); this adds the metadata, the security scheme, the shared
//! error responses and the WebSocket event schemas.

use confab_shared::{ClientEvent, Problem, ServerEvent};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToResponse};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Confab API",
        description = "REST API of Confab, a self-hostable real-time chat server. The WebSocket protocol \
                       of `GET /api/v1/ws` is described in docs/protocol.md; its frames are the \
                       `ClientEvent` and `ServerEvent` schemas.",
        license(name = "AGPL-3.0-or-later"),
    ),
    components(
        schemas(ClientEvent, ServerEvent, Problem),
        responses(BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, Unsupported, TooMany, Unavailable)
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "users", description = "Finding people and who is online"),
        (name = "rooms", description = "Rooms, members and direct rooms"),
        (name = "messages", description = "History, sending, editing, read markers"),
        (name = "search", description = "Full-text search of messages"),
        (name = "server", description = "The server, its registration policy and invites"),
        (name = "push", description = "Web Push: notifications on a browser with no tab open"),
        (name = "admin", description = "Server administration: accounts, password resets, the audit log"),
        (name = "bots", description = "Accounts for integrations, with long-lived API tokens"),
        (name = "webhooks", description = "Incoming webhooks: tools post to a room at a secret address"),
        (name = "sync", description = "Staying in step: my user stream, a room's changes, drafts"),
        (name = "realtime", description = "The WebSocket event stream"),
        (name = "ops", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

#[derive(ToResponse)]
#[response(
    description = "Malformed JSON or an invalid field (`malformed_json`, `validation_failed`)",
    content_type = "application/problem+json"
)]
pub struct BadRequest(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Missing, invalid, expired or revoked access token",
    content_type = "application/problem+json"
)]
pub struct Unauthorized(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Authenticated but not allowed (`forbidden`, `not_a_member`, `banned`)",
    content_type = "application/problem+json"
)]
pub struct Forbidden(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(description = "No such resource, or not visible to the caller", content_type = "application/problem+json")]
pub struct NotFound(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Conflicts with the current state (a name taken, the last owner)",
    content_type = "application/problem+json"
)]
pub struct Conflict(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(description = "The body is too large", content_type = "application/problem+json")]
pub struct TooLarge(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(description = "The body is not application/json", content_type = "application/problem+json")]
pub struct Unsupported(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(description = "Rate limited; see Retry-After", content_type = "application/problem+json")]
pub struct TooMany(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Busy or a dependency is down (`service_unavailable`); try again shortly",
    content_type = "application/problem+json"
)]
pub struct Unavailable(#[allow(dead_code)] Problem);

/// A file's bytes as the document shows them: `type: string, format: binary`.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Bytes(#[allow(dead_code)] Vec<u8>);

/// The whole document, with the paths of every registered handler.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::api_routes)
        .split_for_parts();
    api
}

pub fn yaml() -> anyhow::Result<String> {
    Ok(document().to_yaml()?)
}

#[cfg(test)]
mod tests {
    /// Generated clients name each WebSocket event after its schema's title (without one, a
    /// stock generator makes `ServerEventType0` … of them).
    #[test]
    fn every_websocket_event_schema_has_a_title() {
        let doc = serde_json::to_value(super::document()).expect("the document serializes");
        for (schema, suffix) in [("ServerEvent", "Event"), ("ClientEvent", "Command")] {
            let variants = doc["components"]["schemas"][schema]["oneOf"].as_array().expect("a oneOf of events");
            assert!(variants.len() > 5, "{schema} has its events");
            for variant in variants {
                let kind = variant["properties"]["type"]["enum"][0].as_str().expect("a type tag");
                let title = variant["title"].as_str().unwrap_or_default();
                let expected: String =
                    kind.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect::<String>() + suffix;
                assert_eq!(title, expected, "the title of {schema} `{kind}`");
            }
        }
    }
}
