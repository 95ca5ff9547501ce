//! Presence across nodes (scale-out). Each node mirrors its local connection counts into a
//! Redis hash `<prefix>:node:<id>:users` and keeps `<prefix>:node:<id>:alive` fresh (TTL 15 s,
//! refreshed every 5 s). A user is online while any live node counts a connection of theirs.
//! When a node's `alive` key expires (it crashed), one surviving node claims it, removes its
//! hash and announces its users offline (those not online elsewhere): within about 15–20 s.
//!
//! The local counts are the truth; the hash is rewritten from them on every heartbeat, so a
//! Redis restart (which keeps nothing) heals within one heartbeat.

use deadpool_redis::redis::AsyncCommands;
use std::collections::HashSet;
use std::sync::Weak;
use std::time::Duration;

use super::{Realtime, presence};
use crate::store;

const HEARTBEAT: Duration = Duration::from_secs(5);
const ALIVE_TTL_SECS: u64 = 15;

pub struct ClusterPresence {
    pool: deadpool_redis::Pool,
    prefix: String,
    pub node: u64,
}

type RedisResult<T> = Result<T, anyhow::Error>;

impl ClusterPresence {
    pub fn new(pool: deadpool_redis::Pool, prefix: &str, node: u64) -> Self {
        Self { pool, prefix: prefix.to_owned(), node }
    }

    fn users_key(&self, node: u64) -> String {
        format!("{}:node:{node}:users", self.prefix)
    }

    fn alive_key(&self, node: u64) -> String {
        format!("{}:node:{node}:alive", self.prefix)
    }

    fn nodes_key(&self) -> String {
        format!("{}:nodes", self.prefix)
    }

    async fn conn(&self) -> RedisResult<deadpool_redis::Connection> {
        Ok(self.pool.get().await?)
    }

    /// Mirrors this node's count of `user_id`'s connections.
    pub async fn set_count(&self, user_id: i64, count: usize) {
        let result: RedisResult<()> = async {
            let mut conn = self.conn().await?;
            if count == 0 {
                let _: () = conn.hdel(self.users_key(self.node), user_id).await?;
            } else {
                let _: () = conn.hset(self.users_key(self.node), user_id, count).await?;
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "presence: redis update failed");
        }
    }

    async fn live_nodes(&self, conn: &mut deadpool_redis::Connection) -> RedisResult<Vec<u64>> {
        let nodes: Vec<u64> = conn.smembers(self.nodes_key()).await?;
        let mut live = Vec::with_capacity(nodes.len());
        for node in nodes {
            if conn.exists(self.alive_key(node)).await? {
                live.push(node);
            }
        }
        Ok(live)
    }

    /// Whether a node other than this one counts a connection of `user_id`.
    pub async fn online_elsewhere(&self, user_id: i64) -> bool {
        let result: RedisResult<bool> = async {
            let mut conn = self.conn().await?;
            for node in self.live_nodes(&mut conn).await? {
                if node != self.node && conn.hexists(self.users_key(node), user_id).await? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        .await;
        result.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "presence: redis read failed");
            false
        })
    }

    /// Users with a connection on any live node other than this one.
    pub async fn online_elsewhere_ids(&self) -> HashSet<i64> {
        let result: RedisResult<HashSet<i64>> = async {
            let mut conn = self.conn().await?;
            let mut ids = HashSet::new();
            for node in self.live_nodes(&mut conn).await? {
                if node != self.node {
                    let users: Vec<i64> = conn.hkeys(self.users_key(node)).await?;
                    ids.extend(users);
                }
            }
            Ok(ids)
        }
        .await;
        result.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "presence: redis read failed");
            HashSet::new()
        })
    }

    /// Heartbeat and reaper, every 5 s, for as long as `realtime` lives.
    pub fn spawn_heartbeat(realtime: Weak<Realtime>) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT);
            loop {
                tick.tick().await;
                let Some(realtime) = realtime.upgrade() else { return };
                let Some(cluster) = realtime.cluster.as_ref() else {
                    return;
                };
                if let Err(err) = cluster.heartbeat(&realtime).await {
                    tracing::warn!(error = %err, "presence heartbeat failed");
                }
                if let Err(err) = cluster.reap(&realtime).await {
                    tracing::warn!(error = %err, "presence reaper failed");
                }
            }
        });
    }

    async fn heartbeat(&self, realtime: &Realtime) -> RedisResult<()> {
        let counts = realtime.presence.counts();
        let mut conn = self.conn().await?;
        let users = self.users_key(self.node);
        let mut pipe = deadpool_redis::redis::pipe();
        pipe.atomic().set_ex(self.alive_key(self.node), 1, ALIVE_TTL_SECS).ignore();
        pipe.sadd(self.nodes_key(), self.node).ignore();
        pipe.del(&users).ignore();
        if !counts.is_empty() {
            pipe.hset_multiple(&users, &counts).ignore();
        }
        pipe.query_async::<()>(&mut *conn).await?;
        Ok(())
    }

    /// Claims dead nodes and announces their users offline.
    async fn reap(&self, realtime: &Realtime) -> RedisResult<()> {
        let mut conn = self.conn().await?;
        let nodes: Vec<u64> = conn.smembers(self.nodes_key()).await?;
        for node in nodes {
            if node == self.node || conn.exists(self.alive_key(node)).await? {
                continue;
            }
            let claim: Option<String> = deadpool_redis::redis::cmd("SET")
                .arg(format!("{}:reap:{node}", self.prefix))
                .arg(self.node)
                .arg("NX")
                .arg("EX")
                .arg(60)
                .query_async(&mut *conn)
                .await?;
            if claim.is_none() {
                continue; // another node is reaping it
            }
            let users: Vec<i64> = conn.hkeys(self.users_key(node)).await?;
            let _: () = conn.del(self.users_key(node)).await?;
            let _: () = conn.srem(self.nodes_key(), node).await?;
            tracing::info!(node, users = users.len(), "reaped a dead node's presence");
            for user_id in users {
                if realtime.presence.is_online(user_id) || self.online_elsewhere(user_id).await {
                    continue;
                }
                if let Ok(Some(user)) = store::users::by_id(&realtime.store, user_id).await {
                    presence::announce(realtime, user.into(), false).await;
                }
            }
        }
        Ok(())
    }
}
