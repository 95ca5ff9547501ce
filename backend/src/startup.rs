//! Assembling and running the server: routes, middleware, the listener, graceful shutdown.

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;
use utoipa_actix_web::{AppExt, scope, service_config::ServiceConfig};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::AppError;
use crate::state::AppState;
use crate::web::{RouteTable, WebRoot};
use crate::{
    admin, auth, bots, drafts, files, invites, messages, openapi, ops, profiles, push, realtime, rooms, search, server,
    sync, users, webhooks,
};

/// Every documented route. The OpenAPI document is collected from exactly these.
pub fn api_routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(auth::handlers::register)
            .service(auth::handlers::login)
            .service(auth::handlers::refresh)
            .service(auth::handlers::logout)
            .service(auth::handlers::me)
            .service(auth::handlers::change_password)
            .service(profiles::update)
            .service(profiles::set_avatar)
            .service(profiles::remove_avatar)
            .service(auth::sessions::list)
            .service(auth::sessions::end)
            .service(auth::sessions::end_all)
            .service(users::search)
            .service(users::presence)
            .service(profiles::avatar)
            .service(rooms::handlers::list)
            .service(rooms::handlers::create)
            .service(rooms::handlers::get_room)
            .service(rooms::handlers::update)
            .service(rooms::handlers::delete_room)
            .service(rooms::handlers::create_dm)
            .service(rooms::handlers::set_notifications)
            .service(rooms::members::join)
            .service(rooms::members::leave)
            .service(rooms::members::list)
            .service(rooms::members::add)
            .service(rooms::members::remove_member)
            .service(rooms::members::set_role)
            .service(rooms::bans::ban)
            .service(rooms::bans::unban)
            .service(rooms::bans::list)
            .service(messages::handlers::history)
            .service(messages::handlers::send)
            .service(messages::handlers::edit)
            .service(messages::handlers::delete_message)
            .service(messages::handlers::react)
            .service(messages::handlers::unreact)
            .service(messages::handlers::read)
            .service(files::handlers::upload)
            .service(files::handlers::download)
            .service(files::handlers::thumbnail)
            .service(search::search)
            .service(server::server)
            .service(invites::create)
            .service(invites::list)
            .service(invites::revoke)
            .service(push::handlers::vapid_key)
            .service(push::handlers::subscribe)
            .service(push::handlers::unsubscribe)
            .service(admin::users)
            .service(admin::update_user)
            .service(admin::password_reset)
            .service(admin::audit)
            .service(server::update)
            .service(bots::create)
            .service(bots::list)
            .service(bots::rotate)
            .service(bots::remove)
            .service(webhooks::create)
            .service(webhooks::list)
            .service(webhooks::rotate)
            .service(webhooks::remove)
            .service(auth::handlers::reset_password)
            .service(sync::user_stream)
            .service(sync::room_changes)
            .service(drafts::list)
            .service(drafts::put)
            .service(realtime::gateway::connect),
    )
    .service(webhooks::incoming::receive)
    .service(ops::healthz)
    .service(ops::readyz)
    .service(ops::metrics);
}

pub struct Application {
    server: Server,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl Application {
    pub async fn build(config: crate::config::Config) -> anyhow::Result<Self> {
        config.check()?;
        let listener = TcpListener::bind(&config.listen).map_err(|e| anyhow::anyhow!("bind {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        let workers = config.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let web_root = web::Data::new(WebRoot(config.web_dir.clone()));
        let origins = config.allowed_origins.clone();
        let (state, background) = AppState::build(config).await?;
        background.spawn(&state);
        let doc = openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&doc));
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .app_data(data.clone())
                .app_data(routes.clone())
                .app_data(web_root.clone())
                .app_data(web::PathConfig::default().error_handler(|_, _| AppError::not_found("resource").into()))
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|err, _| AppError::invalid("query", strip_prefix(&err.to_string())).into()),
                )
                .into_utoipa_app()
                .configure(api_routes)
                .split_for_parts();
            app.service(SwaggerUi::new("/docs/{_:.*}").url("/api/openapi.json", doc.clone()))
                .default_service(web::to(crate::web::fallback))
                .wrap(from_fn(realtime::frame_guard::guard_websocket_frames))
                .wrap(from_fn(crate::web::headers))
                .wrap(crate::web::cors(&origins))
        })
        // Chat frames are small and latency matters: no Nagle delay behind an unacknowledged
        // segment (with it, a second frame written soon after a first waits for the peer's
        // delayed ACK, tens of milliseconds).
        .on_connect(|conn, _| {
            if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        })
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        tracing::info!(store = state.store.kind(), "listening on http://{addr}");
        Ok(Self { server, addr, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until SIGINT or SIGTERM, then closes WebSockets with 1001 and drains requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            stop(&state, handle).await;
        });
        self.server.await?;
        Ok(())
    }
}

async fn stop(state: &AppState, handle: ServerHandle) {
    state.realtime.shut_down();
    // Give connection tasks a moment to send their close frames.
    tokio::time::sleep(Duration::from_millis(200)).await;
    handle.stop(true).await;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn strip_prefix(message: &str) -> String {
    message.strip_prefix("Query deserialize error: ").unwrap_or(message).to_owned()
}
