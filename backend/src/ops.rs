//! Operations endpoints: liveness and readiness.

use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

/// Prometheus metrics of this node.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (pool_size, pool_available) = state.store.pool_status();
    let gauges = crate::metrics::Gauges {
        pool_size,
        pool_available,
        broker_reconnects: state.realtime.broker_reconnects(),
        broker_rejected: state.realtime.broker_rejected(),
        online_users: state.realtime.presence.online_ids().len(),
    };
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render(&gauges))
}

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Alive", body = String, content_type = "text/plain")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers, and Redis when configured (503 when not).
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "The database (or Redis, when configured) is unreachable", body = String, content_type = "text/plain"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %err, "readiness check failed: database");
        return HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unreachable");
    }
    if let Some(pool) = &state.redis
        && let Err(err) = ping_redis(pool).await
    {
        tracing::warn!(error = %err, "readiness check failed: redis");
        return HttpResponse::ServiceUnavailable().content_type("text/plain").body("redis unreachable");
    }
    HttpResponse::Ok().content_type("text/plain").body("ready")
}

async fn ping_redis(pool: &deadpool_redis::Pool) -> anyhow::Result<()> {
    let mut conn = tokio::time::timeout(std::time::Duration::from_secs(2), pool.get()).await??;
    let _: String = deadpool_redis::redis::cmd("PING").query_async(&mut *conn).await?;
    Ok(())
}
