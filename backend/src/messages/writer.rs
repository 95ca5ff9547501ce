//! Group commit: the node's one writer of new messages.
//!
//! Every send (REST or WebSocket, any room) is queued here. The writer takes whatever is queued
//! when it is free, up to [`MAX_BATCH`] sends, and stores them in one transaction
//! ([`store::messages::send_batch`]); then it answers each sender and publishes the new
//! messages in seq order. No timer: a lone send is written at once, and under load the batch
//! is whatever arrived during the previous commit, so batches grow with the load and the
//! per-transaction cost (a commit, a fsync) is shared by all of them.
//!
//! A batch that fails as a whole (a room deleted meanwhile, another node storing the same
//! `client_id` first) is retried one send at a time, so one bad send never fails the others;
//! when the database is unreachable every send of the batch gets `service_unavailable` at once.
//!
//! The writer's task holds only what it uses: the store, the publisher and the metrics.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use confab_shared::{Message, NotificationReason, ServerEvent};
use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::metrics::Metrics;
use crate::realtime::Realtime;
use crate::rooms::access;
use crate::store::messages::{self, Batch, NewMessage, Written};
use crate::store::models::{MessageRow, UserRow};
use crate::store::{Conflict, Store, StoreError, StoreResult};

/// At most this many sends per transaction (7 bound values each: far below SQLite's and
/// PostgreSQL's limits on the parameters of one statement).
const MAX_BATCH: usize = 512;

/// Sends queued for the writer beyond this wait for room in the queue (back-pressure).
const QUEUE: usize = 8192;

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

struct Job {
    message: NewMessage,
    reply: oneshot::Sender<Answer>,
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
    metrics: Arc<Metrics>,
}

impl Writer {
    pub fn new(store: Store, realtime: Arc<Realtime>, metrics: Arc<Metrics>) -> (Self, WriterTask) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        (Self { jobs }, WriterTask { jobs: rx, store, realtime, metrics })
    }

    /// Queues a send. The order of calls is the order of seqs among one room's sends.
    pub async fn submit(&self, message: NewMessage) -> AppResult<Queued> {
        let (room_id, author_id) = (message.room_id, message.author_id);
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { message, reply }).await.map_err(|_| AppError::unavailable(anyhow::anyhow!(STOPPED)))?;
        Ok(Queued { answer, room_id, author_id })
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
        match self.answer.await.map_err(|_| AppError::unavailable(anyhow::anyhow!(STOPPED)))?? {
            Some(sent) => Ok(sent),
            // Not a member when the batch was written: 404 or not_a_member, as for reads.
            None => {
                access::member(store, self.room_id, self.author_id).await?;
                Err(AppError::new(ErrorKind::NotAMember, "join the room first"))
            }
        }
    }
}

const STOPPED: &str = "the message writer stopped";

impl WriterTask {
    /// Runs the writer until every [`Writer`] is dropped.
    pub fn spawn(self) {
        tokio::spawn(self.run());
    }

    async fn run(mut self) {
        let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        while self.jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
            self.write(std::mem::take(&mut batch)).await;
            batch.reserve(MAX_BATCH);
        }
    }

    /// Stores one batch, answers every sender, publishes what it stored.
    async fn write(&self, jobs: Vec<Job>) {
        self.metrics.write_batch.observe(jobs.len() as f64);
        let (messages, replies): (Vec<NewMessage>, Vec<_>) = jobs.into_iter().map(|j| (j.message, j.reply)).unzip();
        match messages::send_batch(&self.store, &messages).await {
            Ok(Batch { written, roots }) => {
                for (reply, written) in replies.into_iter().zip(written) {
                    self.answer(reply, Ok(written));
                }
                self.publish_roots(roots);
            }
            // The database is unreachable: every send fails alike, and retrying them one by one
            // would hold the queue for a pool timeout per send.
            Err(StoreError::Unavailable(cause)) => {
                let cause = format!("{cause:#}");
                for reply in replies {
                    self.answer(reply, Err(StoreError::Unavailable(anyhow::anyhow!("{cause}"))));
                }
            }
            Err(err) => {
                let mut err = Some(err).filter(|_| messages.len() == 1);
                for (message, reply) in messages.iter().zip(replies) {
                    let written = match err.take() {
                        Some(err) => Err(err),
                        None => self.send_one(message).await,
                    };
                    // Another node stored this client_id between our read and our insert: the
                    // retry reads it and answers with the original.
                    let written = match written {
                        Err(StoreError::Conflict(Conflict::Duplicate)) => self.send_one(message).await,
                        other => other,
                    };
                    match written {
                        Ok((written, roots)) => {
                            self.answer(reply, Ok(written));
                            self.publish_roots(roots);
                        }
                        Err(err) => self.answer(reply, Err(err)),
                    }
                }
            }
        }
    }

    async fn send_one(&self, message: &NewMessage) -> StoreResult<(Written, Vec<(MessageRow, UserRow)>)> {
        let Batch { mut written, roots } = messages::send_batch(&self.store, std::slice::from_ref(message)).await?;
        let written = written.pop().ok_or_else(|| StoreError::other("a batch of one gave no outcome"))?;
        Ok((written, roots))
    }

    /// Publishes the thread roots a batch changed (after its new messages: their seqs are higher).
    fn publish_roots(&self, roots: Vec<(MessageRow, UserRow)>) {
        for (row, author) in roots {
            let (room_id, seq) = (row.room_id, row.updated_seq);
            let message = row.into_message(author);
            self.realtime.to_room(room_id, &ServerEvent::MessageUpdated { room_id, seq, message });
        }
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

    /// Tells those who should hear of a new message (see `Written::New`), one publish per reason.
    fn notify(&self, message: &Message, notify: Vec<(i64, NotificationReason)>) {
        for reason in [NotificationReason::Mention, NotificationReason::Direct, NotificationReason::All] {
            let users: Vec<i64> = notify.iter().filter(|&&(_, r)| r == reason).map(|&(u, _)| u).collect();
            if !users.is_empty() {
                let event = ServerEvent::Notification { room_id: message.room_id, message: message.clone(), reason };
                self.realtime.to_users(users, &event);
            }
        }
    }
}
