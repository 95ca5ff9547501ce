//! Messages and the room change log.
//!
//! Every change to a room's messages (create, edit, delete) takes the room's next `seq` in the
//! transaction that writes it: `UPDATE rooms SET last_seq = last_seq + 1 … RETURNING last_seq`.
//! That row update serialises the room's writers (a row lock on PostgreSQL, the single writer
//! connection on SQLite) and rolls back with the transaction, so the counter stays gapless.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{Change, ChangeKind, FileRow, MessageRow, UserRow, mention_list, parse_notify};
use super::reactions::{self, Applied, Changed, Toggle, Toggled};
use super::schema::{changes, memberships, messages, rooms, users};
use super::{Conflict, Db, SqliteConn, StoreError, StoreResult, drafts, files, now, read, user_stream, write_tx};
use crate::messages::mentions::Mentioned;
use confab_shared::{NotificationReason, NotifyLevel};
use diesel_async::AsyncPgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Takes the room's next seq; must run inside a write transaction.
macro_rules! next_seq {
    ($c:ident, $room_id:expr) => {
        diesel::update(rooms::table.find($room_id))
            .set(rooms::last_seq.eq(rooms::last_seq + 1))
            .returning(rooms::last_seq)
            .get_result::<i64>($c)
            .await?
    };
}

/// Appends an entry to the room's change log; must run inside the write transaction.
macro_rules! log_change {
    ($c:ident, $room_id:expr, $seq:expr, $message_id:expr, $kind:expr) => {
        diesel::insert_into(changes::table)
            .values((
                changes::room_id.eq($room_id),
                changes::seq.eq($seq),
                changes::message_id.eq($message_id),
                changes::kind.eq($kind as i16),
            ))
            .execute($c)
            .await?
    };
}

/// A message to write, in the order the writer received it.
#[derive(Debug)]
pub struct NewMessage {
    pub room_id: i64,
    pub author_id: i64,
    pub body: String,
    pub client_id: Option<String>,
    /// Files to attach: the author's uploads to this room, not attached yet.
    pub attachments: Vec<i64>,
    /// A reply: the message of the same room whose thread it joins.
    pub reply_to: Option<i64>,
    /// A reply also shown in the room's timeline.
    pub also_to_room: bool,
    /// The names the text mentions (found by the caller, resolved against the room's members here).
    pub mentioned: Mentioned,
    /// The name a webhook post asked to be shown under.
    pub posted_as: Option<String>,
}

/// What became of one message of a batch.
#[derive(Debug)]
pub enum Written {
    /// Stored now; `notify` is who should hear of it by their notification level, and why.
    New { row: MessageRow, author: UserRow, notify: Vec<(i64, NotificationReason)> },
    /// The original of a repeated `client_id` of the same room: nothing written.
    Repeat { row: MessageRow, author: UserRow },
    /// The author is not a member of the room (the caller finds out which error to give).
    NotAMember,
    /// Refused for a reason of its own (a `client_id` already used in another room, a file
    /// that cannot be attached, a message that cannot be replied to).
    Refused(Conflict),
}

/// What a batch did: each send's and each toggle's outcome in batch order, and the messages it
/// changed, as they are now, in seq order per room: the thread roots its replies changed (each
/// with a seq after all of its room's new messages), then those whose reactions it changed.
#[derive(Debug, Default)]
pub struct Batch {
    pub written: Vec<Written>,
    pub toggled: Vec<Toggled>,
    pub updated: Vec<(MessageRow, UserRow)>,
    /// Its authors' drafts for the rooms they sent to, cleared (entries of their user streams).
    pub cleared: Vec<user_stream::Entry>,
}

/// Stores a batch of new messages and reaction toggles in one write transaction (group commit)
/// and returns their outcomes in batch order. Per room, the batch's messages take consecutive seqs in batch
/// order: each room's `last_seq` goes up by its count (rooms locked in id order, so two nodes'
/// batches cannot deadlock), then one multi-row insert of the messages and one of the change
/// log. Membership, authors, earlier uses of the batch's `client_id`s, the files to attach and
/// the messages replied to are read in the same transaction (see [`BatchSql`]); a `client_id`
/// repeated inside the batch answers with the batch's own first message. Each file is attached
/// to the first send that may attach it; a send naming a file it may not attach, or replying to
/// a message of another room or a deleted one, is refused whole. Each thread root replied to
/// then takes one more seq of its room: its `reply_count` and `last_reply_at` change with it.
/// Mentioned names are resolved against the rooms' members, and who is to be notified is read
/// from the memberships (one more query per batch: the partial index of level `all`). The
/// toggles' rooms are locked with the others, then the toggles are applied in order
/// ([`reactions::apply`]) and each message whose reactions changed takes one more seq of its
/// room, whatever the number of toggles it had. A failing statement (a room deleted meanwhile,
/// another node storing the same `client_id`) rolls the batch back; the writer then retries
/// one by one. Each author's draft for a room they sent to is cleared in the same transaction.
pub async fn write_batch(db: impl Into<Db<'_>>, batch: &[NewMessage], toggles: &[Toggle]) -> StoreResult<Batch> {
    let room_ids: BTreeSet<i64> = batch.iter().map(|m| m.room_id).collect();
    let author_ids: BTreeSet<i64> = batch.iter().map(|m| m.author_id).collect();
    let mut client_ids: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for m in batch {
        if let Some(id) = m.client_id.as_deref() {
            client_ids.entry(m.author_id).or_default().push(id);
        }
    }
    let at = now();
    write_tx!(db, |c| {
        let members: HashSet<(i64, i64)> = memberships::table
            .filter(memberships::room_id.eq_any(&room_ids))
            .filter(memberships::user_id.eq_any(&author_ids))
            .select((memberships::room_id, memberships::user_id))
            .load::<(i64, i64)>(c)
            .await?
            .into_iter()
            .collect();
        let authors: HashMap<i64, UserRow> = users::table
            .filter(users::id.eq_any(&author_ids))
            .select(UserRow::as_select())
            .load::<UserRow>(c)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let earlier: HashMap<(i64, String), MessageRow> = c
            .sent_before(&client_ids)
            .await?
            .into_iter()
            .filter_map(|row| Some(((row.author_id, row.client_id.clone()?), row)))
            .collect();
        let wanted: Vec<i64> = batch.iter().flat_map(|m| m.attachments.iter().copied()).collect();
        let uploads: HashMap<i64, FileRow> = if wanted.is_empty() {
            HashMap::new()
        } else {
            files::live(&mut *c, &wanted).await?.into_iter().map(|f| (f.id, f)).collect()
        };
        let targets = reply_targets(&mut *c, batch).await?;

        // The new messages (members' sends whose client_id is unused so far), in batch order,
        // each with its thread's root; `first` remembers which send of the batch first used
        // each client_id.
        let may_send =
            |m: &NewMessage| members.contains(&(m.room_id, m.author_id)) && authors.contains_key(&m.author_id);
        let mut fresh: Vec<(usize, Option<i64>)> = Vec::with_capacity(batch.len());
        let mut first: HashMap<(i64, &str), usize> = HashMap::new();
        let mut per_room: BTreeMap<i64, i64> = BTreeMap::new();
        let mut threads: BTreeMap<(i64, i64), i64> = BTreeMap::new();
        let mut claimed: HashSet<i64> = HashSet::new();
        let mut refused: HashMap<usize, Conflict> = HashMap::new();
        for (i, m) in batch.iter().enumerate() {
            if !may_send(m) {
                continue;
            }
            let client_id = m.client_id.as_deref();
            if let Some(id) = client_id
                && (earlier.contains_key(&(m.author_id, id.to_owned())) || first.contains_key(&(m.author_id, id)))
            {
                continue;
            }
            let attachable = |id: &i64| {
                uploads
                    .get(id)
                    .is_some_and(|f| f.uploader_id == m.author_id && f.room_id == m.room_id && f.message_id.is_none())
                    && !claimed.contains(id)
            };
            if !m.attachments.iter().all(attachable) {
                refused.insert(i, Conflict::Unattachable);
                continue;
            }
            let root = match m.reply_to {
                None => None,
                Some(target) => match targets.get(&target) {
                    Some(&(room_id, root, false)) if room_id == m.room_id => Some(root.unwrap_or(target)),
                    _ => {
                        refused.insert(i, Conflict::NotRepliable);
                        continue;
                    }
                },
            };
            claimed.extend(m.attachments.iter().copied());
            if let Some(id) = client_id {
                first.insert((m.author_id, id), i);
            }
            if let Some(root) = root {
                *threads.entry((m.room_id, root)).or_default() += 1;
            }
            fresh.push((i, root));
            *per_room.entry(m.room_id).or_default() += 1;
        }
        for &(room_id, _) in threads.keys() {
            *per_room.entry(room_id).or_default() += 1;
        }
        // Locked with the others (in id order) before their messages' reactions are read.
        for t in toggles {
            per_room.entry(t.room_id).or_default();
        }
        let hearers = Hearers::load(&mut *c, batch, &fresh).await?;

        // Each room's first seq for the batch: its new messages first, then its threads' roots.
        let mut next_seq: HashMap<i64, i64> = c.take_seqs(&per_room).await?;
        let mut take = |room_id: i64| {
            let slot = next_seq.entry(room_id).or_default();
            *slot += 1;
            *slot - 1
        };
        let mut seqs: Vec<i64> = Vec::with_capacity(fresh.len());
        let mut notify: HashMap<usize, Vec<(i64, NotificationReason)>> = HashMap::new();
        let values: Vec<MessageInsert> = fresh
            .iter()
            .map(|&(i, root)| {
                let m = &batch[i];
                let seq = take(m.room_id);
                seqs.push(seq);
                let attached: Vec<&FileRow> = m.attachments.iter().filter_map(|id| uploads.get(id)).collect();
                let mentions = hearers.mentions(m);
                notify.insert(i, hearers.notify(m, &mentions));
                Ok(MessageInsert {
                    room_id: m.room_id,
                    seq,
                    updated_seq: seq,
                    author_id: m.author_id,
                    body: m.body.clone(),
                    client_id: m.client_id.clone(),
                    created_at: at,
                    attachments: files::attachments_json(&attached)?,
                    reply_to: root,
                    mentions: mention_list(&mentions),
                    mentions_room: m.mentioned.room,
                    also_to_room: m.also_to_room,
                    posted_as: m.posted_as.clone(),
                })
            })
            .collect::<StoreResult<_>>()?;
        let mut stored: HashMap<(i64, i64), MessageRow> = HashMap::with_capacity(fresh.len());
        if !values.is_empty() {
            let rows = c.insert_messages(values).await?;
            let log = rows
                .iter()
                .map(|row| ChangeInsert {
                    room_id: row.room_id,
                    seq: row.seq,
                    message_id: row.id,
                    kind: ChangeKind::Created as i16,
                })
                .collect();
            c.insert_changes(log).await?;
            // RETURNING order is not promised: match rows by (room, seq), which is unique.
            stored.extend(rows.into_iter().map(|row| ((row.room_id, row.seq), row)));
            for (&(i, _), seq) in fresh.iter().zip(&seqs) {
                let m = &batch[i];
                if let Some(row) = stored.get(&(m.room_id, *seq)).filter(|_| !m.attachments.is_empty()) {
                    files::attach(&mut *c, row.id, &m.attachments).await?;
                }
            }
        }
        let mut updated = Vec::with_capacity(threads.len());
        for (&(room_id, root), &replies) in &threads {
            updated.push(replied(&mut *c, room_id, root, take(room_id), replies, Some(at)).await?);
        }
        let Applied { toggled, changed } = reactions::apply(&mut *c, toggles).await?;
        updated.extend(c.store_reactions(changed).await?);
        let updated = with_authors(&mut *c, updated).await?;
        // A room's draft is its composer's: a thread reply (from the thread's composer) leaves it.
        let sent: BTreeSet<(i64, i64)> = fresh
            .iter()
            .filter(|(_, root)| root.is_none())
            .map(|&(i, _)| (batch[i].author_id, batch[i].room_id))
            .collect();
        let cleared = drafts::clear(&mut *c, &sent).await?;

        // Outcomes in batch order.
        let mut fresh_seqs = fresh.iter().map(|&(i, _)| i).zip(seqs).peekable();
        let mut outcomes = Vec::with_capacity(batch.len());
        for (i, m) in batch.iter().enumerate() {
            let Some(author) = authors.get(&m.author_id).filter(|_| may_send(m)) else {
                outcomes.push(Written::NotAMember);
                continue;
            };
            if let Some(conflict) = refused.remove(&i) {
                outcomes.push(Written::Refused(conflict));
                continue;
            }
            let outcome = match fresh_seqs.next_if(|&(j, _)| j == i) {
                Some((_, seq)) => {
                    let row = stored.remove(&(m.room_id, seq)).ok_or_else(|| StoreError::other(MISSING_ROW))?;
                    Written::New { row, author: author.clone(), notify: notify.remove(&i).unwrap_or_default() }
                }
                // A repeat: of a message stored earlier, or of this batch's first use.
                None => {
                    let id = m.client_id.as_deref().unwrap_or_default();
                    let in_batch = first.get(&(m.author_id, id)).and_then(|&j| match &outcomes[j] {
                        Written::New { row, .. } => Some(row),
                        _ => None,
                    });
                    let original = earlier
                        .get(&(m.author_id, id.to_owned()))
                        .or(in_batch)
                        .cloned()
                        .ok_or_else(|| StoreError::other(MISSING_ROW))?;
                    match repeat(original, m.room_id) {
                        Ok(row) => Written::Repeat { row, author: author.clone() },
                        Err(conflict) => Written::Refused(conflict),
                    }
                }
            };
            outcomes.push(outcome);
        }
        Ok(Batch { written: outcomes, toggled, updated, cleared })
    })
}

/// The messages a batch replies to: id → (room, its thread's root if it is a reply, deleted).
async fn reply_targets(
    db: impl Into<Db<'_>>,
    batch: &[NewMessage],
) -> StoreResult<HashMap<i64, (i64, Option<i64>, bool)>> {
    let ids: Vec<i64> = batch.iter().filter_map(|m| m.reply_to).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64, Option<i64>, bool)> = read!(db, |c| Ok(messages::table
        .filter(messages::id.eq_any(&ids))
        .select((messages::id, messages::room_id, messages::reply_to, messages::deleted))
        .load(c)
        .await?))?;
    Ok(rows.into_iter().map(|(id, room_id, root, deleted)| (id, (room_id, root, deleted))).collect())
}

/// A thread's root gained (or lost, `replies` < 0) replies: its count changes, as a change of
/// the room at `seq` (a seq the caller took); `last_reply_at` moves with a new reply.
async fn replied(
    db: impl Into<Db<'_>>,
    room_id: i64,
    root: i64,
    seq: i64,
    replies: i64,
    at: Option<NaiveDateTime>,
) -> StoreResult<MessageRow> {
    write_tx!(db, |c| {
        let target = messages::table.find(root);
        let row = match at {
            Some(at) => {
                diesel::update(target)
                    .set((
                        messages::reply_count.eq(messages::reply_count + replies),
                        messages::last_reply_at.eq(Some(at)),
                        messages::updated_seq.eq(seq),
                    ))
                    .returning(MessageRow::as_returning())
                    .get_result(c)
                    .await?
            }
            None => {
                diesel::update(target)
                    .set((messages::reply_count.eq(messages::reply_count + replies), messages::updated_seq.eq(seq)))
                    .returning(MessageRow::as_returning())
                    .get_result(c)
                    .await?
            }
        };
        log_change!(c, room_id, seq, root, ChangeKind::Edited);
        Ok(row)
    })
}

/// Rows with their authors (one query).
async fn with_authors(db: impl Into<Db<'_>>, rows: Vec<MessageRow>) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<i64> = rows.iter().map(|r| r.author_id).collect();
    let authors: HashMap<i64, UserRow> = read!(db, |c| Ok(users::table
        .filter(users::id.eq_any(&ids))
        .select(UserRow::as_select())
        .load::<UserRow>(c)
        .await?))?
    .into_iter()
    .map(|u| (u.id, u))
    .collect();
    rows.into_iter()
        .map(|row| {
            let author =
                authors.get(&row.author_id).cloned().ok_or_else(|| StoreError::other("an author is missing"))?;
            Ok((row, author))
        })
        .collect()
}

/// Who is mentioned, and who hears of the new messages of a batch's rooms.
#[derive(Default)]
struct Hearers {
    /// (room, name key) → member: the members the batch mentions by name …
    named: HashMap<(i64, String), i64>,
    /// … and their levels, by (room, member).
    levels: HashMap<(i64, i64), NotifyLevel>,
    /// room → its members at level `all`.
    hear_all: HashMap<i64, Vec<i64>>,
    /// The direct rooms among those.
    direct: HashSet<i64>,
    /// room → its members not at level `none` (rooms with an `@room` in the batch only).
    everyone: HashMap<i64, Vec<i64>>,
}

impl Hearers {
    /// Reads them for the new messages of a batch (`fresh`): the named members (only when a
    /// text mentions a name), the members at level `all` (one probe of a small partial index),
    /// and for an `@room` every member who may hear of it.
    async fn load(db: impl Into<Db<'_>>, batch: &[NewMessage], fresh: &[(usize, Option<i64>)]) -> StoreResult<Self> {
        let sends = || fresh.iter().map(|&(i, _)| &batch[i]);
        let rooms: BTreeSet<i64> = sends().map(|m| m.room_id).collect();
        if rooms.is_empty() {
            return Ok(Self::default());
        }
        let names: BTreeSet<&str> = sends().flat_map(|m| m.mentioned.candidates()).collect();
        let at_room: BTreeSet<i64> = sends().filter(|m| m.mentioned.room).map(|m| m.room_id).collect();
        let mut db = db.into();
        let named = if names.is_empty() { Vec::new() } else { named_members(db.reborrow(), &rooms, &names).await? };
        let (hear_all, everyone) = read!(db, |c| {
            // A literal, so that both planners see the partial index's condition.
            let all_level = diesel::dsl::sql::<diesel::sql_types::Bool>("memberships.notify = 'all'");
            let hear_all: Vec<(i64, i64, String)> = memberships::table
                .inner_join(rooms::table)
                .filter(memberships::room_id.eq_any(&rooms))
                .filter(all_level)
                .select((memberships::room_id, memberships::user_id, rooms::kind))
                .load(c)
                .await?;
            let everyone: Vec<(i64, i64)> = if at_room.is_empty() {
                Vec::new()
            } else {
                memberships::table
                    .filter(memberships::room_id.eq_any(&at_room))
                    .filter(memberships::notify.ne("none"))
                    .select((memberships::room_id, memberships::user_id))
                    .load(c)
                    .await?
            };
            Ok::<_, StoreError>((hear_all, everyone))
        })?;
        let mut hearers = Self::default();
        for (room_id, key, user_id, level) in named {
            hearers.named.insert((room_id, key), user_id);
            hearers.levels.insert((room_id, user_id), parse_notify(&level));
        }
        for (room_id, user_id, kind) in hear_all {
            hearers.hear_all.entry(room_id).or_default().push(user_id);
            if kind == "direct" {
                hearers.direct.insert(room_id);
            }
        }
        for (room_id, user_id) in everyone {
            hearers.everyone.entry(room_id).or_default().push(user_id);
        }
        Ok(hearers)
    }

    /// The members a send mentions by name, in order.
    fn mentions(&self, m: &NewMessage) -> Vec<i64> {
        m.mentioned.resolve(|name| self.named.get(&(m.room_id, name.to_owned())).copied())
    }

    /// Who should hear of a new message, and why: those it mentions (by name or `@room`) unless
    /// their level is `none`, then those at level `all`; never its author.
    fn notify(&self, m: &NewMessage, mentions: &[i64]) -> Vec<(i64, NotificationReason)> {
        let level = |id: i64| self.levels.get(&(m.room_id, id)).copied();
        let everyone = self.everyone.get(&m.room_id).filter(|_| m.mentioned.room).into_iter().flatten().copied();
        let named = mentions.iter().copied().filter(|&id| level(id) != Some(NotifyLevel::None));
        let reason =
            if self.direct.contains(&m.room_id) { NotificationReason::Direct } else { NotificationReason::All };
        let all = self.hear_all.get(&m.room_id).into_iter().flatten().copied();
        // Each member once, the first reason winning (an `@room` of a large room lists them all).
        let mut seen: HashSet<i64> = HashSet::from([m.author_id]);
        let mentioned = named.chain(everyone).map(|id| (id, NotificationReason::Mention));
        mentioned.chain(all.map(|id| (id, reason))).filter(|&(id, _)| seen.insert(id)).collect()
    }
}

/// The members of `rooms` whose name keys are among `names`: (room, key, user, level).
pub async fn named_members(
    db: impl Into<Db<'_>>,
    rooms: &BTreeSet<i64>,
    names: &BTreeSet<&str>,
) -> StoreResult<Vec<(i64, String, i64, String)>> {
    read!(db, |c| Ok(memberships::table
        .inner_join(users::table)
        .filter(memberships::room_id.eq_any(rooms))
        .filter(users::username_key.eq_any(names))
        .select((memberships::room_id, users::username_key, users::id, memberships::notify))
        .load(c)
        .await?))
}

/// A room's counter after `take_seqs`.
#[derive(QueryableByName)]
struct RoomSeq {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_seq: i64,
}

/// One row of a multi-row insert of messages.
#[derive(Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
struct MessageInsert {
    room_id: i64,
    seq: i64,
    updated_seq: i64,
    author_id: i64,
    body: String,
    client_id: Option<String>,
    created_at: NaiveDateTime,
    attachments: Option<String>,
    reply_to: Option<i64>,
    mentions: Option<String>,
    mentions_room: bool,
    also_to_room: bool,
    posted_as: Option<String>,
}

/// One row of a multi-row insert into the change log.
#[derive(Insertable)]
#[diesel(table_name = changes)]
struct ChangeInsert {
    room_id: i64,
    seq: i64,
    message_id: i64,
    kind: i16,
}

/// The statements of a batch that each backend runs its own way.
trait BatchSql {
    /// The messages stored earlier under the given `client_id`s (author → ids).
    async fn sent_before(&mut self, client_ids: &BTreeMap<i64, Vec<&str>>) -> QueryResult<Vec<MessageRow>>;
    /// Advances each room's `last_seq` by its count (room → n); returns room → first new seq.
    /// Locks the rooms in id order, so two nodes' batches cannot deadlock. A missing room
    /// (deleted meanwhile) fails the batch.
    async fn take_seqs(&mut self, per_room: &BTreeMap<i64, i64>) -> StoreResult<HashMap<i64, i64>>;
    async fn insert_messages(&mut self, rows: Vec<MessageInsert>) -> QueryResult<Vec<MessageRow>>;
    async fn insert_changes(&mut self, rows: Vec<ChangeInsert>) -> QueryResult<usize>;
    /// Writes reactions back (`reactions::Changed`), as a change of their room each.
    async fn set_reactions(&mut self, rows: Vec<(i64, Option<String>, i64)>) -> QueryResult<Vec<MessageRow>>;

    /// Stores what a batch's toggles changed: each message takes its room's next seq, and the
    /// change log says so; returns the messages as they are now.
    async fn store_reactions(&mut self, changed: Vec<Changed>) -> StoreResult<Vec<MessageRow>> {
        let mut per_room: BTreeMap<i64, i64> = BTreeMap::new();
        for change in &changed {
            *per_room.entry(change.room_id).or_default() += 1;
        }
        let mut next = self.take_seqs(&per_room).await?;
        let mut log = Vec::with_capacity(changed.len());
        let mut rows = Vec::with_capacity(changed.len());
        for Changed { room_id, message_id, json } in changed {
            let slot = next.get_mut(&room_id).ok_or_else(|| StoreError::other("a room without a seq"))?;
            log.push(ChangeInsert { room_id, seq: *slot, message_id, kind: ChangeKind::Edited as i16 });
            rows.push((message_id, json, *slot));
            *slot += 1;
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        self.insert_changes(log).await?;
        let mut stored = self.set_reactions(rows).await?;
        stored.sort_by_key(|row| (row.room_id, row.updated_seq)); // RETURNING order is not promised
        Ok(stored)
    }
}

/// On PostgreSQL each column travels as one array parameter and `unnest` turns the arrays back
/// into rows: one short statement whatever the batch size. For `sent_before`, joining the
/// (author, client_id) pairs probes the unique index once per pair; `author_id IN (…) AND
/// client_id IN (…)` made PostgreSQL scan every message of the authors (3–4 ms per author at
/// 100,000 messages, growing with the table).
impl BatchSql for AsyncPgConnection {
    async fn sent_before(&mut self, client_ids: &BTreeMap<i64, Vec<&str>>) -> QueryResult<Vec<MessageRow>> {
        use diesel::sql_types::{Array, BigInt, Text};
        let pairs = client_ids.iter().flat_map(|(author, ids)| ids.iter().map(move |id| (*author, *id)));
        let (authors, ids): (Vec<i64>, Vec<&str>) = pairs.unzip();
        if authors.is_empty() {
            return Ok(Vec::new());
        }
        diesel::sql_query(
            "SELECT m.* FROM messages m JOIN unnest($1, $2) AS k(a, c) ON m.author_id = k.a AND m.client_id = k.c",
        )
        .bind::<Array<BigInt>, _>(authors)
        .bind::<Array<Text>, _>(ids)
        .load(self)
        .await
    }

    /// Two statements whatever the number of rooms: lock them in id order, then one `UPDATE …
    /// FROM unnest` (one `UPDATE` per room cost a round trip each: 100 rooms, 10–20 ms).
    async fn take_seqs(&mut self, per_room: &BTreeMap<i64, i64>) -> StoreResult<HashMap<i64, i64>> {
        use diesel::sql_types::{Array, BigInt};
        if per_room.is_empty() {
            return Ok(HashMap::new()); // only repeats and refusals in this batch
        }
        let ids: Vec<i64> = per_room.keys().copied().collect();
        let counts: Vec<i64> = per_room.values().copied().collect();
        let locked: Vec<i64> = rooms::table
            .filter(rooms::id.eq_any(&ids))
            .order(rooms::id)
            .select(rooms::id)
            .for_update()
            .load(self)
            .await?;
        if locked.len() != ids.len() {
            return Err(StoreError::NotFound("room"));
        }
        let rows: Vec<RoomSeq> = diesel::sql_query(
            "UPDATE rooms SET last_seq = rooms.last_seq + k.n FROM unnest($1, $2) AS k(id, n) \
             WHERE rooms.id = k.id RETURNING rooms.id, rooms.last_seq",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<BigInt>, _>(counts)
        .load(self)
        .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.last_seq - per_room.get(&r.id).copied().unwrap_or(0) + 1)).collect())
    }

    async fn insert_messages(&mut self, rows: Vec<MessageInsert>) -> QueryResult<Vec<MessageRow>> {
        use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};
        let column = |f: fn(&MessageInsert) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
        let (room_ids, seqs, authors) = (column(|r| r.room_id), column(|r| r.seq), column(|r| r.author_id));
        let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
        let client_ids: Vec<Option<&str>> = rows.iter().map(|r| r.client_id.as_deref()).collect();
        let created: Vec<NaiveDateTime> = rows.iter().map(|r| r.created_at).collect();
        let attachments: Vec<Option<&str>> = rows.iter().map(|r| r.attachments.as_deref()).collect();
        let reply_to: Vec<Option<i64>> = rows.iter().map(|r| r.reply_to).collect();
        let mentions: Vec<Option<&str>> = rows.iter().map(|r| r.mentions.as_deref()).collect();
        let mentions_room: Vec<bool> = rows.iter().map(|r| r.mentions_room).collect();
        let also_to_room: Vec<bool> = rows.iter().map(|r| r.also_to_room).collect();
        let posted_as: Vec<Option<&str>> = rows.iter().map(|r| r.posted_as.as_deref()).collect();
        diesel::sql_query(
            "INSERT INTO messages (room_id, seq, updated_seq, author_id, body, client_id, created_at, attachments, \
             reply_to, mentions, mentions_room, also_to_room, posted_as) \
             SELECT r, s, s, a, b, c, t, f, p, m, e, o, n \
             FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             AS u(r, s, a, b, c, t, f, p, m, e, o, n) RETURNING *",
        )
        .bind::<Array<BigInt>, _>(room_ids)
        .bind::<Array<BigInt>, _>(seqs)
        .bind::<Array<BigInt>, _>(authors)
        .bind::<Array<Text>, _>(bodies)
        .bind::<Array<Nullable<Text>>, _>(client_ids)
        .bind::<Array<Timestamp>, _>(created)
        .bind::<Array<Nullable<Text>>, _>(attachments)
        .bind::<Array<Nullable<BigInt>>, _>(reply_to)
        .bind::<Array<Nullable<Text>>, _>(mentions)
        .bind::<Array<Bool>, _>(mentions_room)
        .bind::<Array<Bool>, _>(also_to_room)
        .bind::<Array<Nullable<Text>>, _>(posted_as)
        .load(self)
        .await
    }

    async fn insert_changes(&mut self, rows: Vec<ChangeInsert>) -> QueryResult<usize> {
        use diesel::sql_types::{Array, BigInt, SmallInt};
        diesel::sql_query("INSERT INTO changes (room_id, seq, message_id, kind) SELECT * FROM unnest($1, $2, $3, $4)")
            .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.room_id).collect::<Vec<i64>>())
            .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.seq).collect::<Vec<i64>>())
            .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.message_id).collect::<Vec<i64>>())
            .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.kind).collect::<Vec<i16>>())
            .execute(self)
            .await
    }

    async fn set_reactions(&mut self, rows: Vec<(i64, Option<String>, i64)>) -> QueryResult<Vec<MessageRow>> {
        use diesel::sql_types::{Array, BigInt, Nullable, Text};
        let mut ids = Vec::with_capacity(rows.len());
        let mut lists = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        for (id, json, seq) in rows {
            ids.push(id);
            lists.push(json);
            seqs.push(seq);
        }
        diesel::sql_query(
            "UPDATE messages SET reactions = k.r, updated_seq = k.s FROM unnest($1, $2, $3) AS k(id, r, s) \
             WHERE messages.id = k.id RETURNING messages.*",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Nullable<Text>>, _>(lists)
        .bind::<Array<BigInt>, _>(seqs)
        .load(self)
        .await
    }
}

/// On SQLite, one look-up per author (`client_id IN (…)` then probes the unique index once per
/// id), and multi-row inserts as diesel's own batch insert (one statement) on the connection's
/// blocking thread: diesel-async cannot build multi-row inserts for SQLite.
impl BatchSql for SqliteConn {
    async fn sent_before(&mut self, client_ids: &BTreeMap<i64, Vec<&str>>) -> QueryResult<Vec<MessageRow>> {
        let mut rows = Vec::new();
        for (author_id, ids) in client_ids {
            let found: Vec<MessageRow> = messages::table
                .filter(messages::author_id.eq(author_id))
                .filter(messages::client_id.eq_any(ids))
                .select(MessageRow::as_select())
                .load(self)
                .await?;
            rows.extend(found);
        }
        Ok(rows)
    }

    /// One `UPDATE` per room: in-process, so a statement costs microseconds, not a round trip.
    async fn take_seqs(&mut self, per_room: &BTreeMap<i64, i64>) -> StoreResult<HashMap<i64, i64>> {
        let mut first = HashMap::with_capacity(per_room.len());
        for (&room_id, &n) in per_room {
            let last: i64 = diesel::update(rooms::table.find(room_id))
                .set(rooms::last_seq.eq(rooms::last_seq + n))
                .returning(rooms::last_seq)
                .get_result(self)
                .await?;
            first.insert(room_id, last - n + 1);
        }
        Ok(first)
    }

    async fn insert_messages(&mut self, rows: Vec<MessageInsert>) -> QueryResult<Vec<MessageRow>> {
        self.spawn_blocking(move |c| {
            diesel::RunQueryDsl::get_results(
                diesel::insert_into(messages::table).values(rows).returning(MessageRow::as_returning()),
                c,
            )
        })
        .await
    }

    async fn insert_changes(&mut self, rows: Vec<ChangeInsert>) -> QueryResult<usize> {
        self.spawn_blocking(move |c| diesel::RunQueryDsl::execute(diesel::insert_into(changes::table).values(rows), c))
            .await
    }

    async fn set_reactions(&mut self, rows: Vec<(i64, Option<String>, i64)>) -> QueryResult<Vec<MessageRow>> {
        let mut stored = Vec::with_capacity(rows.len());
        for (id, json, seq) in rows {
            let row = diesel::update(messages::table.find(id))
                .set((messages::reactions.eq(json), messages::updated_seq.eq(seq)))
                .returning(MessageRow::as_returning())
                .get_result(self)
                .await?;
            stored.push(row);
        }
        Ok(stored)
    }
}

const MISSING_ROW: &str = "a message of the batch is missing after its insert";

/// A send whose `client_id` the author already used: the original message, if it is the
/// same room's (a client_id names one message, so reusing it elsewhere is a conflict).
fn repeat(existing: MessageRow, room_id: i64) -> Result<MessageRow, Conflict> {
    if existing.room_id != room_id {
        return Err(Conflict::ClientIdElsewhere);
    }
    Ok(existing)
}

pub async fn by_id(db: impl Into<Db<'_>>, room_id: i64, message_id: i64) -> StoreResult<Option<MessageRow>> {
    read!(db, |c| Ok(messages::table
        .filter(messages::id.eq(message_id))
        .filter(messages::room_id.eq(room_id))
        .select(MessageRow::as_select())
        .first(c)
        .await
        .optional()?))
}

/// Replaces the body of a live message and who it mentions, as a new change of the room.
pub async fn edit(
    db: impl Into<Db<'_>>,
    room_id: i64,
    message_id: i64,
    body: &str,
    mentions: &[i64],
    mentions_room: bool,
) -> StoreResult<MessageRow> {
    let text = Text { body, mentions: mention_list(mentions), mentions_room, at: now() };
    change(db, room_id, message_id, Some(text)).await
}

/// Tombstones a live message (empty body, no attachments or reactions, `deleted`), as a new
/// change of the room; a reply's root then counts one reply less, as the change after it
/// (returned too). Its files are discarded by the caller, in the same transaction
/// (`files::discard_of_message`).
pub async fn delete(
    db: impl Into<Db<'_>>,
    room_id: i64,
    message_id: i64,
) -> StoreResult<(MessageRow, Option<MessageRow>)> {
    write_tx!(db, |c| {
        let row = change(&mut *c, room_id, message_id, None).await?;
        let root = match row.reply_to {
            Some(root) => {
                let seq = next_seq!(c, room_id);
                Some(replied(&mut *c, room_id, root, seq, -1, None).await?)
            }
            None => None,
        };
        Ok((row, root))
    })
}

/// The new text of an edited message.
struct Text<'a> {
    body: &'a str,
    mentions: Option<String>,
    mentions_room: bool,
    at: NaiveDateTime,
}

/// Edits (`Some` text) or tombstones (`None`) a live message.
async fn change(
    db: impl Into<Db<'_>>,
    room_id: i64,
    message_id: i64,
    text: Option<Text<'_>>,
) -> StoreResult<MessageRow> {
    write_tx!(db, |c| {
        // Taking the seq first locks the room's change counter, so the message's state read
        // next cannot change under us; if it is gone the rollback returns the seq.
        let seq = next_seq!(c, room_id);
        let deleted: Option<bool> = messages::table
            .filter(messages::id.eq(message_id))
            .filter(messages::room_id.eq(room_id))
            .select(messages::deleted)
            .first(c)
            .await
            .optional()?;
        if deleted != Some(false) {
            return Err(StoreError::NotFound("message"));
        }
        let target = messages::table.find(message_id);
        let (row, kind): (MessageRow, _) = match &text {
            None => (
                diesel::update(target)
                    .set((
                        messages::body.eq(""),
                        messages::deleted.eq(true),
                        messages::updated_seq.eq(seq),
                        messages::attachments.eq(None::<String>),
                        messages::reactions.eq(None::<String>),
                        messages::mentions.eq(None::<String>),
                        messages::mentions_room.eq(false),
                    ))
                    .returning(MessageRow::as_returning())
                    .get_result(c)
                    .await?,
                ChangeKind::Deleted,
            ),
            Some(text) => (
                diesel::update(target)
                    .set((
                        messages::body.eq(text.body),
                        messages::edited_at.eq(Some(text.at)),
                        messages::updated_seq.eq(seq),
                        messages::mentions.eq(&text.mentions),
                        messages::mentions_room.eq(text.mentions_room),
                    ))
                    .returning(MessageRow::as_returning())
                    .get_result(c)
                    .await?,
                ChangeKind::Edited,
            ),
        };
        log_change!(c, room_id, seq, message_id, kind);
        Ok(row)
    })
}

/// Which of a room's messages a page of history holds.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// All of them.
    Room,
    /// Those of the timeline: no replies but those also sent to the room.
    TopLevel,
    /// One thread: its root and its replies (the `messages_thread` index).
    Thread(i64),
}

/// A page of history in ascending `seq`, and whether more lies beyond it in the paging
/// direction: after `after_seq` when given (oldest first), else before `before_seq` (or the
/// newest). Both bounds may be combined. Served by the `(room_id, seq)` index.
pub async fn history(
    db: impl Into<Db<'_>>,
    room_id: i64,
    scope: Scope,
    before_seq: Option<i64>,
    after_seq: Option<i64>,
    limit: i64,
) -> StoreResult<(Vec<(MessageRow, UserRow)>, bool)> {
    let mut rows: Vec<(MessageRow, UserRow)> = read!(db, |c| {
        let mut query = messages::table
            .inner_join(users::table)
            .filter(messages::room_id.eq(room_id))
            .select((MessageRow::as_select(), UserRow::as_select()))
            .limit(limit + 1)
            .into_boxed();
        query = match scope {
            Scope::Room => query,
            Scope::TopLevel => query.filter(messages::reply_to.is_null().or(messages::also_to_room)),
            Scope::Thread(root) => query.filter(messages::id.eq(root).or(messages::reply_to.eq(root))),
        };
        if let Some(before) = before_seq {
            query = query.filter(messages::seq.lt(before));
        }
        if let Some(after) = after_seq {
            query = query.filter(messages::seq.gt(after)).order(messages::seq.asc());
        } else {
            query = query.order(messages::seq.desc());
        }
        Ok::<_, StoreError>(query.load(c).await?)
    })?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if after_seq.is_none() {
        rows.reverse();
    }
    Ok((rows, has_more))
}

/// The room's changes with `after < seq <= up_to`, oldest first, at most `limit`, each with
/// the current state of its message.
pub async fn changes_between(
    db: impl Into<Db<'_>>,
    room_id: i64,
    after: i64,
    up_to: i64,
    limit: i64,
) -> StoreResult<Vec<Change>> {
    let rows: Vec<(i64, i16, MessageRow, UserRow)> = read!(db, |c| Ok::<_, StoreError>(
        changes::table
            .inner_join(messages::table.inner_join(users::table))
            .filter(changes::room_id.eq(room_id))
            .filter(changes::seq.gt(after))
            .filter(changes::seq.le(up_to))
            .order(changes::seq.asc())
            .limit(limit)
            .select((changes::seq, changes::kind, MessageRow::as_select(), UserRow::as_select()))
            .load(c)
            .await?
    ))?;
    Ok(rows
        .into_iter()
        .map(|(seq, kind, msg, author)| Change {
            seq,
            kind: ChangeKind::from_i16(kind),
            message: msg.into_message(author),
        })
        .collect())
}

/// The room's change counter (0 for a room with no messages yet).
pub async fn head(db: impl Into<Db<'_>>, room_id: i64) -> StoreResult<Option<i64>> {
    read!(db, |c| Ok(rooms::table.find(room_id).select(rooms::last_seq).first(c).await.optional()?))
}
