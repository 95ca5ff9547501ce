//! Group commit: the node's one writer of new messages.
//!
//! Every send (REST or WebSocket, any room) is queued here. The writer takes whatever is queued
//! when it is free, up to [`MAX_BATCH`] sends, and stores them in one transaction
//! ([`store::messages::send_batch`]); then it publishes the new messages in seq order and
//! answers each sender. No timer: a lone send is written at once, and under load the batch
//! is whatever arrived during the previous commit, so batches grow with the load and the
//! per-transaction cost (a commit, a fsync) is shared by all of them.
//!
//! A batch that fails as a whole (a room deleted meanwhile, another node storing the same
//! `client_id` first) is retried one send at a time, so one bad send never fails the others;
//! when the database is unreachable every send of the batch gets `service_unavailable` at once.

use std::sync::Weak;

use confab_shared::{Message, ServerEvent};
use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult, ErrorKind, is_unique_violation};
use crate::state::AppState;
use crate::store::messages::{self, NewMessage, SendOutcome};

/// At most this many sends per transaction (7 bound values each: far below SQLite's and
/// PostgreSQL's limits on the parameters of one statement).
const MAX_BATCH: usize = 512;

/// Sends queued for the writer beyond this wait for room in the queue (back-pressure).
const QUEUE: usize = 8192;

/// The sent message and whether it is new, or `None` when the author is not a member.
pub type Reply = AppResult<Option<(Message, bool)>>;

type Answer = oneshot::Sender<Reply>;

struct Job {
    message: NewMessage,
    reply: Answer,
}

/// The queue into the writer.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// The writer's end of the queue, until [`Jobs::start`] runs it.
pub struct Jobs(mpsc::Receiver<Job>);

impl Writer {
    pub fn new() -> (Self, Jobs) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        (Self { jobs }, Jobs(rx))
    }

    /// Queues a send. The order of calls is the order of seqs among one room's sends.
    pub async fn submit(&self, message: NewMessage) -> AppResult<Queued> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { message, reply }).await.map_err(|_| AppError::unavailable(anyhow::anyhow!(STOPPED)))?;
        Ok(Queued(answer))
    }
}

/// A queued send; await [`Queued::outcome`] for its fate.
pub struct Queued(oneshot::Receiver<Reply>);

impl Queued {
    pub async fn outcome(self) -> Reply {
        self.0.await.map_err(|_| AppError::unavailable(anyhow::anyhow!(STOPPED)))?
    }
}

const STOPPED: &str = "the message writer stopped";

impl Jobs {
    /// Runs the writer until the state is dropped.
    pub fn start(self, state: Weak<AppState>) {
        tokio::spawn(run(self.0, state));
    }
}

async fn run(mut jobs: mpsc::Receiver<Job>, state: Weak<AppState>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(state) = state.upgrade() else { return };
        write(&state, std::mem::take(&mut batch)).await;
        batch.reserve(MAX_BATCH);
    }
}

/// Stores one batch, publishes what it created, answers every sender.
async fn write(state: &AppState, jobs: Vec<Job>) {
    state.metrics.write_batch.observe(jobs.len() as f64);
    let (messages, replies): (Vec<NewMessage>, Vec<Answer>) = jobs.into_iter().map(|j| (j.message, j.reply)).unzip();
    match messages::send_batch(&state.store, &messages).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                answer(state, reply, Ok(outcome));
            }
        }
        // The database is unreachable: every send fails alike, and retrying them one by one
        // would hold the queue for a pool timeout per send.
        Err(err) if err.kind == ErrorKind::Unavailable => {
            for reply in replies {
                answer(state, reply, Err(AppError::unavailable(anyhow::anyhow!("{err}"))));
            }
        }
        Err(err) => {
            let mut err = Some(err).filter(|_| messages.len() == 1);
            for (message, reply) in messages.iter().zip(replies) {
                let outcome = match err.take() {
                    Some(err) => Err(err),
                    None => send_one(state, message).await,
                };
                // Another node stored this client_id between our read and our insert: the
                // retry reads it and answers with the original.
                let outcome = match outcome {
                    Err(err) if is_unique_violation(&err) => send_one(state, message).await,
                    other => other,
                };
                answer(state, reply, outcome);
            }
        }
    }
}

async fn send_one(state: &AppState, message: &NewMessage) -> AppResult<SendOutcome> {
    let mut outcomes = messages::send_batch(&state.store, std::slice::from_ref(message)).await?;
    outcomes.pop().ok_or_else(|| AppError::internal(anyhow::anyhow!("a batch of one gave no outcome")))
}

/// Answers a sender (who may have gone), then publishes the stored message (a repeat too:
/// hubs drop what they already delivered, so a node that died between commit and publish is
/// made good by the client's retry). Answering first lets the sender's connection write the
/// `ack` before the room's copy of the message (see the gateway's `biased` loop).
fn answer(state: &AppState, reply: Answer, outcome: AppResult<SendOutcome>) {
    let outcome = outcome.and_then(|outcome| match outcome {
        SendOutcome::Stored { row, author, created } => Ok(Some((row.into_message(author), created))),
        SendOutcome::NotAMember => Ok(None),
        SendOutcome::Refused(err) => Err(err),
    });
    let stored = match &outcome {
        Ok(Some((message, created))) => Some((message.clone(), *created)),
        _ => None,
    };
    let _ = reply.send(outcome);
    if let Some((message, created)) = stored {
        if created {
            state.metrics.messages_in.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let room_id = message.room_id;
        state.realtime.to_room(room_id, &ServerEvent::Message { room_id, seq: message.seq, message });
    }
}
