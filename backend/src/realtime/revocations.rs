//! Sessions ended outside this process (`confab admin deactivate` or `reset-password` at the
//! shell, which cannot reach the hub): every few seconds each node reads the sessions revoked
//! since its last look and closes their sockets here (4003). Revocations made by a server reach
//! its own and other nodes' sockets at once through the broker; this is the net under them.

use std::sync::Weak;
use std::time::Duration;

use super::Realtime;
use super::envelope::{Control, Envelope, Topic};
use crate::store;

/// How often the store is asked.
const EVERY: Duration = Duration::from_secs(5);

pub fn spawn(realtime: Weak<Realtime>) {
    tokio::spawn(async move {
        let mut since = store::now();
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            let Some(realtime) = realtime.upgrade() else { return };
            let up_to = store::now();
            match store::sessions::revoked_between(&realtime.store, since, up_to).await {
                Ok(ended) => {
                    for (user_id, session_id) in ended {
                        let control = Control::CloseSession { session_id };
                        realtime.hub.dispatch(Envelope::Control { topic: Topic::User(user_id), control });
                    }
                    since = up_to;
                }
                Err(err) => tracing::warn!(error = %err, "reading revoked sessions failed"),
            }
        }
    });
}
