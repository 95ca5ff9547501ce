//! Group commit: the node's one writer of new messages and reactions.
//!
//! Every send (REST or WebSocket, any room) and every reaction toggle is queued here. The writer
//! takes whatever is queued when it is free, up to [`MAX_BATCH`] jobs, and stores them in one
//! transaction ([`store::messages::write_batch`]); then it answers each sender and publishes
//! the new messages in seq order, then the messages the batch changed (thread roots, reactions:
//! one `message_updated` per message however many toggles it had). No timer: a lone send is written at once, and under load the batch
//! is whatever arrived during the previous commit, so batches grow with the load and the
//! per-transaction cost (a commit, a fsync) is shared by all of them.
//!
//! A batch that fails as a whole (a room deleted meanwhile, another node storing the same
//! `client_id` first) is retried one send at a time, so one bad send never fails the others;
//! when the database is unreachable every send of the batch gets `service_unavailable` at once.
//!
//! The writer's task holds only what it uses: the store, the publisher, Web Push and the metrics,
//! and it counts its commits for the outgoing webhooks ([`crate::webhooks::outgoing`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use confab_shared::{Message, NotificationReason, ServerEvent};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Duration, Instant};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::metrics::Metrics;
use crate::push::Push;
use crate::realtime::Realtime;
use crate::rooms::access;
use crate::store::messages::{self, Batch, NewMessage, Written};
use crate::store::reactions::{Toggle, Toggled};
use crate::store::{Conflict, Store, StoreError, StoreResult};

/// At most this many jobs per transaction (a send binds 11 values on SQLite: far below SQLite's
/// and PostgreSQL's limits on the parameters of one statement).
const MAX_BATCH: usize = 512;

/// Sends queued for the writer beyond this wait for room in the queue (back-pressure).
const QUEUE: usize = 8192;

/// How long a reaction toggle may wait for others to share its transaction (see `run`).
const TOGGLE_WINDOW: Duration = Duration::from_millis(10);

/// A committed send: a new message, or the original of a repeated `client_id`.
#[derive(Debug, Clone)]
pub enum Sent {
    New(Message),
    Repeat(Message),
}

impl Sent {
    pub fn message(&self) -> &Message {
        match self {
            Sent::New(message) | Sent::Repeat(message) => message,
        }
    }

    pub fn into_message(self) -> Message {
        match self {
            Sent::New(message) | Sent::Repeat(message) => message,
        }
    }
}

/// What the writer answers a sender: `None` when the author was not a member of the room when
/// the batch was written (the sender's [`Queued::sent`] finds out which error that is).
type Answer = AppResult<Option<Sent>>;

enum Job {
    Send { message: NewMessage, reply: oneshot::Sender<Answer> },
    Toggle { toggle: Toggle, reply: oneshot::Sender<StoreResult<Toggled>> },
}

/// The queue into the writer.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// The writer's task, until [`WriterTask::spawn`] runs it.
pub struct WriterTask {
    jobs: mpsc::Receiver<Job>,
    store: Store,
    realtime: Arc<Realtime>,
    push: Arc<Push>,
    metrics: Arc<Metrics>,
    /// Counts the batches committed, for the outgoing webhooks' deliveries to wake on.
    commits: watch::Sender<u64>,
}

impl Writer {
    /// The writer, its task, and a receiver that changes after each batch it commits.
    pub fn new(
        store: Store,
        realtime: Arc<Realtime>,
        push: Arc<Push>,
        metrics: Arc<Metrics>,
    ) -> (Self, WriterTask, watch::Receiver<u64>) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let (commits, committed) = watch::channel(0);
        (Self { jobs }, WriterTask { jobs: rx, store, realtime, push, metrics, commits }, committed)
    }

    /// Queues a send. The order of calls is the order of seqs among one room's sends.
    pub async fn submit(&self, message: NewMessage) -> AppResult<Queued> {
        let (room_id, author_id) = (message.room_id, message.author_id);
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Send { message, reply }).await.map_err(|_| stopped())?;
        Ok(Queued { answer, room_id, author_id })
    }

    /// Adds or takes back a reaction, with the sends of the same batch; waits for the commit.
    pub async fn toggle(&self, toggle: Toggle) -> AppResult<Toggled> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Toggle { toggle, reply }).await.map_err(|_| stopped())?;
        Ok(answer.await.map_err(|_| stopped())??)
    }
}

/// A send in the writer's queue; await [`Queued::sent`] for its fate.
pub struct Queued {
    answer: oneshot::Receiver<Answer>,
    room_id: i64,
    author_id: i64,
}

impl Queued {
    /// Waits for the commit: the stored message (published already, or about to be).
    pub async fn sent(self, store: &Store) -> AppResult<Sent> {
        match self.answer.await.map_err(|_| stopped())?? {
            Some(sent) => Ok(sent),
            // Not a member when the batch was written: 404 or not_a_member, as for reads.
            None => {
                access::member(store, self.room_id, self.author_id).await?;
                Err(AppError::new(ErrorKind::NotAMember, "join the room first"))
            }
        }
    }
}

fn stopped() -> AppError {
    AppError::unavailable(anyhow::anyhow!("the message writer stopped"))
}

impl WriterTask {
    /// Runs the writer until every [`Writer`] is dropped.
    pub fn spawn(self) {
        tokio::spawn(self.run());
    }

    /// Sends are written as soon as the writer is free; toggles wait until the oldest of them
    /// is [`TOGGLE_WINDOW`] old (or there are [`MAX_BATCH`] of them), riding with the sends of
    /// that moment, so a busy room's clicks cost one change per message per window rather than
    /// a commit each.
    async fn run(mut self) {
        let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        let mut toggles: Vec<Job> = Vec::new();
        let mut due: Option<Instant> = None;
        loop {
            let window = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = self.jobs.recv_many(&mut batch, MAX_BATCH) => {
                    if received == 0 {
                        if !toggles.is_empty() {
                            self.write(toggles).await;
                        }
                        return;
                    }
                }
                () = window => {}
            }
            let (mut jobs, waiting): (Vec<Job>, Vec<Job>) =
                batch.drain(..).partition(|j| matches!(j, Job::Send { .. }));
            if toggles.is_empty() && !waiting.is_empty() {
                due = Some(Instant::now() + TOGGLE_WINDOW);
            }
            toggles.extend(waiting);
            if due.is_some_and(|at| Instant::now() >= at) || toggles.len() >= MAX_BATCH {
                jobs.append(&mut toggles);
                due = None;
            }
            if !jobs.is_empty() {
                self.write(jobs).await;
            }
        }
    }

    /// Stores one batch, answers every sender, publishes what it stored.
    async fn write(&self, jobs: Vec<Job>) {
        self.metrics.write_batch.observe(jobs.len() as f64);
        let (mut sends, mut send_replies, mut toggles, mut toggle_replies) = (vec![], vec![], vec![], vec![]);
        for job in jobs {
            match job {
                Job::Send { message, reply } => {
                    sends.push(message);
                    send_replies.push(reply);
                }
                Job::Toggle { toggle, reply } => {
                    toggles.push(toggle);
                    toggle_replies.push(reply);
                }
            }
        }
        match messages::write_batch(&self.store, &sends, &toggles).await {
            Ok(batch) => self.finish(batch, send_replies, toggle_replies),
            // The database is unreachable: every job fails alike, and retrying them one by one
            // would hold the queue for a pool timeout per job.
            Err(StoreError::Unavailable(cause)) => {
                let cause = format!("{cause:#}");
                let unavailable = || StoreError::Unavailable(anyhow::anyhow!("{cause}"));
                for reply in send_replies {
                    self.answer(reply, Err(unavailable()));
                }
                for reply in toggle_replies {
                    let _ = reply.send(Err(unavailable()));
                }
            }
            Err(err) => {
                let mut err = Some(err).filter(|_| sends.len() + toggles.len() == 1);
                for (message, reply) in sends.iter().zip(send_replies) {
                    let batch = match err.take() {
                        Some(err) => Err(err),
                        None => self.write_one(std::slice::from_ref(message), &[]).await,
                    };
                    // Another node stored this client_id between our read and our insert: the
                    // retry reads it and answers with the original.
                    let batch = match batch {
                        Err(StoreError::Conflict(Conflict::Duplicate)) => {
                            self.write_one(std::slice::from_ref(message), &[]).await
                        }
                        other => other,
                    };
                    match batch {
                        Ok(batch) => self.finish(batch, vec![reply], vec![]),
                        Err(err) => self.answer(reply, Err(err)),
                    }
                }
                for (toggle, reply) in toggles.iter().zip(toggle_replies) {
                    let batch = match err.take() {
                        Some(err) => Err(err),
                        None => self.write_one(&[], std::slice::from_ref(toggle)).await,
                    };
                    match batch {
                        Ok(batch) => self.finish(batch, vec![], vec![reply]),
                        Err(err) => drop(reply.send(Err(err))),
                    }
                }
            }
        }
    }

    async fn write_one(&self, sends: &[NewMessage], toggles: &[Toggle]) -> StoreResult<Batch> {
        let batch = messages::write_batch(&self.store, sends, toggles).await?;
        if batch.written.len() != sends.len() || batch.toggled.len() != toggles.len() {
            return Err(StoreError::other("a batch of one gave no outcome"));
        }
        Ok(batch)
    }

    /// Answers the senders and togglers of a committed batch, then publishes the messages it
    /// changed (after its new messages: their seqs are higher).
    fn finish(
        &self,
        batch: Batch,
        send_replies: Vec<oneshot::Sender<Answer>>,
        toggle_replies: Vec<oneshot::Sender<StoreResult<Toggled>>>,
    ) {
        for (reply, written) in send_replies.into_iter().zip(batch.written) {
            self.answer(reply, Ok(written));
        }
        for (reply, toggled) in toggle_replies.into_iter().zip(batch.toggled) {
            let _ = reply.send(Ok(toggled));
        }
        for (row, author) in batch.updated {
            let (room_id, seq) = (row.room_id, row.updated_seq);
            let message = row.into_message(author);
            self.realtime.to_room(room_id, &ServerEvent::MessageUpdated { room_id, seq, message });
        }
        self.realtime.to_streams(batch.cleared);
        self.commits.send_modify(|n| *n += 1);
    }

    /// Answers a sender (who may have gone), then publishes the stored message (a repeat too:
    /// hubs drop what they already delivered, so a node that died between commit and publish is
    /// made good by the client's retry). Answering first lets the sender's connection write the
    /// `ack` before the room's copy of the message (see the gateway's `biased` loop).
    fn answer(&self, reply: oneshot::Sender<Answer>, written: StoreResult<Written>) {
        let mut notify = Vec::new();
        let answer: Answer = match written {
            Ok(Written::New { row, author, notify: hearers }) => {
                notify = hearers;
                Ok(Some(Sent::New(row.into_message(author))))
            }
            Ok(Written::Repeat { row, author }) => Ok(Some(Sent::Repeat(row.into_message(author)))),
            Ok(Written::NotAMember) => Ok(None),
            Ok(Written::Refused(conflict)) => Err(conflict.into()),
            Err(err) => Err(err.into()),
        };
        let stored = match &answer {
            Ok(Some(sent)) => Some(sent.clone()),
            _ => None,
        };
        let _ = reply.send(answer);
        if let Some(sent) = stored {
            if matches!(sent, Sent::New(_)) {
                self.metrics.messages_in.fetch_add(1, Ordering::Relaxed);
            }
            let message = sent.into_message();
            let (room_id, seq) = (message.room_id, message.seq);
            let event = ServerEvent::Message { room_id, seq, message };
            self.realtime.to_room(room_id, &event);
            if let ServerEvent::Message { message, .. } = &event {
                self.notify(message, notify);
            }
        }
    }

    /// Tells those who should hear of a new message (see `Written::New`), one publish per
    /// reason; those with no open connection hear of it by Web Push.
    fn notify(&self, message: &Message, notify: Vec<(i64, NotificationReason)>) {
        self.push.notify(message, &notify);
        for reason in [NotificationReason::Mention, NotificationReason::Direct, NotificationReason::All] {
            let users: Vec<i64> = notify.iter().filter(|&&(_, r)| r == reason).map(|&(u, _)| u).collect();
            if !users.is_empty() {
                let event = ServerEvent::Notification { room_id: message.room_id, message: message.clone(), reason };
                self.realtime.to_users(users, &event);
            }
        }
    }
}
