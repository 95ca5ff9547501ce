//! The node's hub: topics (a room, or a user's connections) mapped to local subscribers.
//!
//! Room events that carry a `seq` are delivered in `seq` order with no gap and no duplicate:
//! an event that arrives early (commits can publish out of order) waits in `pending`; if the
//! gap does not fill within `GAP_WAIT`, the missing changes are read back from the store.
//! Delivery never waits on a connection: each has a bounded queue. When it is full the
//! connection falls behind instead of being dropped (see [`ConnHandle::push`]): a message change
//! is left out and noted, and the connection reads what it missed from the store, where every
//! change is kept by seq; a typing or presence event is dropped; any other event waits in a
//! short list of its own. Only a connection that also overflows that list, or whose client
//! stops reading (see the gateway), is closed with 4008.

use confab_shared::CloseCode;
use futures_util::future::BoxFuture;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

use super::broker::{Broker, Inbox};
use super::envelope::{Control, Envelope, Frame, Topic, change_event, frame};
use super::recent::Recent;
use crate::store::{self, Store};

/// How long an early event waits for the ones before it before they are read from the store.
const GAP_WAIT: Duration = Duration::from_millis(150);
/// Changes read back per gap-filling query.
const GAP_BATCH: i64 = 1000;

/// What a connection's queue carries.
#[derive(Debug)]
pub enum Outbound {
    /// A room's message change (see [`Envelope::Change`]).
    Change { room_id: i64, seq: i64, frame: Frame, published_us: i64 },
    /// An entry of the connection's user's stream (see [`Envelope::UserChange`]).
    UserChange { seq: i64, frame: Frame },
    /// Any other event; `room_id` for a room's (sent only while the room is subscribed).
    Event { room_id: Option<i64>, frame: Frame, lossy: bool },
    /// No more events of this room will come; forget its subscription.
    Evicted { room_id: i64 },
}

/// Events that did not fit a connection's queue (see [`ConnHandle::push`]).
#[derive(Debug, Default)]
pub struct Behind {
    /// Rooms whose message changes were left out → the highest seq left out.
    pub rooms: HashMap<i64, i64>,
    /// The highest entry of the user's stream left out, if any.
    pub user_seq: Option<i64>,
    /// Events the store does not keep (membership, room, read changes), oldest first.
    pub events: VecDeque<Outbound>,
}

/// Events beyond a full queue that `Behind::events` holds before the connection is closed.
const BEHIND_EVENTS: usize = 256;

/// A local connection as the hub knows it.
pub struct ConnHandle {
    pub id: u64,
    pub user_id: i64,
    pub session_id: i64,
    tx: mpsc::Sender<Outbound>,
    close_code: AtomicU16,
    /// Wakes the connection's task when it must close (`close_code` says why).
    close_notify: Notify,
    /// What did not fit the queue. A mutex: taken only when the queue is full or events are
    /// waiting in it, for a few map and list operations, never across an await.
    behind: Mutex<Behind>,
    /// Set while `behind.events` is not empty: later events must wait behind those.
    events_behind: AtomicBool,
    /// Events other than message changes now in the queue: `behind.events` may be written
    /// only once these (which are older) are.
    queued_events: AtomicUsize,
    /// Set while `behind` has something. No wake-up is needed: something falls behind only
    /// when the queue is full, so the task always takes another item and looks at this after it.
    is_behind: AtomicBool,
}

impl ConnHandle {
    pub fn new(id: u64, user_id: i64, session_id: i64, queue: usize) -> (Arc<Self>, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let handle = ConnHandle {
            id,
            user_id,
            session_id,
            tx,
            close_code: AtomicU16::new(0),
            close_notify: Notify::new(),
            behind: Mutex::new(Behind::default()),
            events_behind: AtomicBool::new(false),
            queued_events: AtomicUsize::new(0),
            is_behind: AtomicBool::new(false),
        };
        (Arc::new(handle), rx)
    }

    /// Asks the connection to close with `code` (the first reason wins).
    pub fn close(&self, code: CloseCode) {
        if self.close_code.compare_exchange(0, code.code(), Ordering::SeqCst, Ordering::SeqCst).is_ok()
            && code == CloseCode::TooSlow
        {
            tracing::info!(conn = self.id, user_id = self.user_id, "closing slow consumer");
        }
        self.close_notify.notify_one();
    }

    /// The close code asked for, if any.
    pub fn close_requested(&self) -> Option<CloseCode> {
        CloseCode::from_code(self.close_code.load(Ordering::SeqCst))
    }

    /// Resolves once `close` was called; returns the code.
    pub async fn closed(&self) -> CloseCode {
        loop {
            self.close_notify.notified().await;
            if let Some(code) = self.close_requested() {
                return code;
            }
        }
    }

    /// Whether `behind` has something to take.
    pub fn is_behind(&self) -> bool {
        self.is_behind.load(Ordering::SeqCst)
    }

    /// The connection task took `item` from the queue.
    pub fn received(&self, item: &Outbound) {
        if !item.is_message_change() {
            self.queued_events.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Takes what fell behind: every room noted, and the waiting events once every older event
    /// in the queue was taken (else they stay, in order).
    pub fn take_behind(&self) -> Behind {
        let mut behind = self.lock_behind();
        let rooms = std::mem::take(&mut behind.rooms);
        let user_seq = behind.user_seq.take();
        let events = if self.queued_events.load(Ordering::SeqCst) == 0 {
            self.events_behind.store(false, Ordering::SeqCst);
            std::mem::take(&mut behind.events)
        } else {
            VecDeque::new()
        };
        self.is_behind.store(!behind.events.is_empty(), Ordering::SeqCst);
        Behind { rooms, user_seq, events }
    }

    fn lock_behind(&self) -> std::sync::MutexGuard<'_, Behind> {
        self.behind.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `item`, or notes it in `behind` when the queue is full (see the module header).
    fn push(&self, item: Outbound) {
        let change = item.is_message_change();
        if change || !self.events_behind.load(Ordering::SeqCst) {
            if !change {
                self.queued_events.fetch_add(1, Ordering::SeqCst);
            }
            let item = match self.tx.try_send(item) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Closed(_)) => return,
                Err(mpsc::error::TrySendError::Full(item)) => item,
            };
            if !change {
                self.queued_events.fetch_sub(1, Ordering::SeqCst);
            }
            self.fall_behind(item);
        } else {
            self.fall_behind(item);
        }
    }

    fn fall_behind(&self, item: Outbound) {
        let mut behind = self.lock_behind();
        match item {
            Outbound::Change { room_id, seq, .. } => {
                let highest = behind.rooms.entry(room_id).or_insert(seq);
                *highest = (*highest).max(seq);
            }
            Outbound::UserChange { seq, .. } => behind.user_seq = behind.user_seq.max(Some(seq)),
            Outbound::Event { lossy: true, .. } => return,
            event if behind.events.len() < BEHIND_EVENTS => {
                behind.events.push_back(event);
                self.events_behind.store(true, Ordering::SeqCst);
            }
            _ => {
                drop(behind);
                self.close(CloseCode::TooSlow);
                return;
            }
        }
        self.is_behind.store(true, Ordering::SeqCst);
    }
}

impl Outbound {
    /// A room's message change or a user-stream entry: kept in the store by seq, so it can be
    /// read back.
    fn is_message_change(&self) -> bool {
        matches!(self, Outbound::Change { .. } | Outbound::UserChange { .. })
    }
}

#[derive(Default)]
struct TopicState {
    subs: Vec<Arc<ConnHandle>>,
    /// Highest seq delivered (rooms); `None` until the first subscriber read the store head.
    delivered: Option<i64>,
    pending: BTreeMap<i64, Envelope>,
    gap_task: bool,
    /// The latest changes delivered (rooms), for connections that fell behind.
    recent: Recent,
}

pub struct Hub {
    /// All local topics. A plain mutex: it is held only to update maps and to hand frames
    /// to queues (`try_send`), never across an await.
    topics: Mutex<HashMap<Topic, TopicState>>,
    store: Store,
    broker: Arc<dyn Broker>,
    me: Weak<Hub>,
}

impl Hub {
    pub fn new(store: Store, broker: Arc<dyn Broker>) -> Arc<Self> {
        Arc::new_cyclic(|me| Hub { topics: Mutex::new(HashMap::new()), store, broker, me: me.clone() })
    }

    fn topics(&self) -> std::sync::MutexGuard<'_, HashMap<Topic, TopicState>> {
        self.topics.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn subscribe(&self, topic: Topic, conn: Arc<ConnHandle>) {
        let opened = {
            let mut topics = self.topics();
            let opened = !topics.contains_key(&topic);
            let state = topics.entry(topic).or_default();
            if !state.subs.iter().any(|c| c.id == conn.id) {
                state.subs.push(conn);
            }
            opened
        };
        if opened {
            self.broker.topic_opened(topic);
        }
    }

    pub fn unsubscribe(&self, topic: Topic, conn_id: u64) {
        let closed = {
            let mut topics = self.topics();
            let Some(state) = topics.get_mut(&topic) else {
                return;
            };
            state.subs.retain(|c| c.id != conn_id);
            let empty = state.subs.is_empty();
            if empty {
                topics.remove(&topic);
            }
            empty
        };
        if closed {
            self.broker.topic_closed(topic);
        }
    }

    /// Tells a room's hub where the store stood when a subscriber started: events up to
    /// `head` are in the store (replay covers them); live delivery continues after it.
    pub fn set_base(&self, room_id: i64, head: i64) {
        let mut topics = self.topics();
        if let Some(state) = topics.get_mut(&Topic::Room(room_id))
            && state.delivered.is_none()
        {
            state.delivered = Some(head);
            state.pending = state.pending.split_off(&(head + 1));
            self.drain(room_id, state);
        }
    }

    pub fn dispatch(&self, envelope: Envelope) {
        let mut topics = self.topics();
        let topic = envelope.topic();
        let Some(state) = topics.get_mut(&topic) else {
            return;
        };
        match envelope {
            Envelope::Change { room_id, seq, .. } => {
                if state.delivered.is_some_and(|d| seq <= d) {
                    return; // already delivered: a duplicate
                }
                state.pending.insert(seq, envelope);
                if state.delivered.is_some() {
                    self.drain(room_id, state);
                }
            }
            envelope => {
                deliver(state, &envelope);
                if state.subs.is_empty() {
                    topics.remove(&topic);
                    drop(topics);
                    self.broker.topic_closed(topic);
                }
            }
        }
    }

    /// Delivers pending events while they are next in line; arms the gap filler otherwise.
    fn drain(&self, room_id: i64, state: &mut TopicState) {
        let Some(mut delivered) = state.delivered else {
            return;
        };
        while let Some(envelope) = state.pending.remove(&(delivered + 1)) {
            deliver(state, &envelope);
            delivered += 1;
            if let Envelope::Change { frame, .. } = &envelope {
                state.recent.push(delivered, frame);
            }
        }
        state.delivered = Some(delivered);
        if !state.pending.is_empty() && !state.gap_task {
            state.gap_task = true;
            if let Some(hub) = self.me.upgrade() {
                tokio::spawn(fill_gaps(hub, room_id));
            }
        }
    }

    /// The bounds of the current gap of a room, if any: `(delivered, first pending)`.
    fn gap(&self, room_id: i64) -> Option<(i64, i64)> {
        let mut topics = self.topics();
        let state = topics.get_mut(&Topic::Room(room_id))?;
        match (state.delivered, state.pending.keys().next()) {
            (Some(delivered), Some(&first)) => Some((delivered, first)),
            _ => {
                state.gap_task = false;
                None
            }
        }
    }

    /// Up to `limit` of the room's latest changes with `after < seq <= up_to`, as delivered, if
    /// they are still held in memory (see [`Recent`]).
    pub fn recent(&self, room_id: i64, after: i64, up_to: i64, limit: usize) -> Option<Vec<(i64, Frame)>> {
        self.topics().get(&Topic::Room(room_id))?.recent.after(after, up_to, limit)
    }

    /// The rooms with local subscribers.
    pub fn rooms(&self) -> Vec<i64> {
        self.topics()
            .keys()
            .filter_map(|t| match t {
                Topic::Room(id) => Some(*id),
                Topic::User(_) => None,
            })
            .collect()
    }

    /// Reads every change after the delivered one from the store and dispatches it; used
    /// when events may have been missed (a broker reconnect).
    pub async fn catch_up(&self, room_id: i64) {
        let delivered = self.topics().get(&Topic::Room(room_id)).and_then(|s| s.delivered);
        if let Some(delivered) = delivered {
            self.read_back(room_id, delivered, i64::MAX).await;
        }
    }

    async fn read_back(&self, room_id: i64, after: i64, before: i64) -> bool {
        match store::messages::changes_between(&self.store, room_id, after, before - 1, GAP_BATCH).await {
            Ok(changes) => {
                let found = !changes.is_empty();
                for change in changes {
                    let seq = change.seq;
                    if let Some(frame) = frame(&change_event(room_id, change)) {
                        let published_us = crate::metrics::now_micros();
                        self.dispatch(Envelope::Change { room_id, seq, frame, published_us });
                    }
                }
                found
            }
            Err(err) => {
                tracing::warn!(room_id, error = %err, "reading back a gap failed");
                false
            }
        }
    }
}

/// Fills a room's gaps from the store until none is left (or the room has no subscriber).
/// An event whose seq the store does not have (beyond the room's head) is not a real change:
/// it is dropped, so it can neither stall the room nor make it skip real changes.
async fn fill_gaps(hub: Arc<Hub>, room_id: i64) {
    let mut empty_reads = 0;
    loop {
        tokio::time::sleep(GAP_WAIT).await;
        let Some((delivered, first_pending)) = hub.gap(room_id) else {
            return;
        };
        if hub.read_back(room_id, delivered, first_pending).await {
            empty_reads = 0;
            continue;
        }
        empty_reads += 1;
        match store::messages::head(&hub.store, room_id).await {
            Ok(head) => hub.drop_beyond(room_id, head.unwrap_or(delivered)),
            Err(err) => tracing::warn!(room_id, error = %err, "reading a room's head failed"),
        }
        if empty_reads >= 20 {
            // The store has the seq but not the changes before it (they were deleted with
            // their room): nothing can fill the gap.
            tracing::warn!(room_id, delivered, first_pending, "skipping an unfillable gap");
            let mut topics = hub.topics();
            if let Some(state) = topics.get_mut(&Topic::Room(room_id)) {
                state.delivered = Some(first_pending - 1);
                state.gap_task = false;
                hub.drain(room_id, state);
            }
            return;
        }
    }
}

impl Hub {
    /// Drops the room's pending events with a seq beyond `head`, the store's.
    fn drop_beyond(&self, room_id: i64, head: i64) {
        let mut topics = self.topics();
        if let Some(state) = topics.get_mut(&Topic::Room(room_id)) {
            let dropped = state.pending.split_off(&(head + 1));
            if !dropped.is_empty() {
                tracing::warn!(room_id, head, dropped = dropped.len(), "dropping events beyond the store's head");
            }
        }
    }
}

/// Hands an envelope to every subscriber of the topic, or applies its control.
fn deliver(state: &mut TopicState, envelope: &Envelope) {
    match envelope {
        Envelope::Change { room_id, seq, frame, published_us } => {
            for conn in &state.subs {
                let (room_id, seq, published_us) = (*room_id, *seq, *published_us);
                conn.push(Outbound::Change { room_id, seq, frame: frame.clone(), published_us });
            }
        }
        Envelope::UserChange { seq, frame, .. } => {
            for conn in &state.subs {
                conn.push(Outbound::UserChange { seq: *seq, frame: frame.clone() });
            }
        }
        Envelope::Event { topic, frame, lossy } => {
            for conn in &state.subs {
                conn.push(Outbound::Event { room_id: topic.room_id(), frame: frame.clone(), lossy: *lossy });
            }
        }
        Envelope::Control { topic, control } => match (control, topic.room_id()) {
            (Control::Evict { user_id }, Some(room_id)) => state.subs.retain(|c| {
                let keep = c.user_id != *user_id;
                if !keep {
                    c.push(Outbound::Evicted { room_id });
                }
                keep
            }),
            (Control::EvictAll, Some(room_id)) => {
                for c in state.subs.drain(..) {
                    c.push(Outbound::Evicted { room_id });
                }
            }
            (Control::CloseSession { session_id }, _) => {
                for c in state.subs.iter().filter(|c| c.session_id == *session_id) {
                    c.close(CloseCode::Revoked);
                }
            }
            _ => {}
        },
    }
}

impl Inbox for Hub {
    fn deliver(&self, envelope: Envelope) {
        self.dispatch(envelope);
    }

    fn rooms(&self) -> Vec<i64> {
        Hub::rooms(self)
    }

    fn catch_up(&self, room_id: i64) -> BoxFuture<'_, ()> {
        Box::pin(Hub::catch_up(self, room_id))
    }
}
