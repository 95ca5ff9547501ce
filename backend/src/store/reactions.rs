//! Reactions, toggled by the message writer in the transaction of its batch (see
//! `messages::write_batch`): the batch's toggles of one message are applied in order and stored
//! as one change of its room (one seq, one `message_updated`), so a burst of reactions costs a
//! row update per message rather than a transaction and a commit per click.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{memberships, messages};
use super::{Conflict, Db, StoreError, StoreResult, read};
use confab_shared::Reaction;

/// The most different emoji one message may carry.
pub const MAX_EMOJI_PER_MESSAGE: usize = 20;

/// One reaction to add (`on`) or take back, in the order the writer received it.
#[derive(Debug, Clone)]
pub struct Toggle {
    pub room_id: i64,
    pub message_id: i64,
    pub user_id: i64,
    pub emoji: String,
    pub on: bool,
}

/// What became of one toggle of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggled {
    /// Applied, or it was so already (idempotent: nothing to store then).
    Done,
    /// The user is not a member of the room (the caller finds out which error to give).
    NotAMember,
    /// No live message of that id in that room.
    NoMessage,
    /// Refused by a rule of its own (too many different emoji).
    Refused(Conflict),
}

/// A batch's toggles, applied: each one's outcome in batch order, and the messages whose
/// reactions end up different, with their new list (id order).
#[derive(Debug, Default)]
pub struct Applied {
    pub toggled: Vec<Toggled>,
    pub changed: Vec<Changed>,
}

/// A message whose reactions the batch changed.
#[derive(Debug)]
pub struct Changed {
    pub room_id: i64,
    pub message_id: i64,
    /// `[Reaction]` as JSON, or `None` for none left.
    pub json: Option<String>,
}

/// Applies `toggles` to the current reactions of their messages (read here: the caller holds
/// the rooms' change counters locked, so they cannot change before the caller writes them
/// back). Membership and the messages are one query each.
pub async fn apply(db: impl Into<Db<'_>>, toggles: &[Toggle]) -> StoreResult<Applied> {
    if toggles.is_empty() {
        return Ok(Applied::default());
    }
    let rooms: BTreeSet<i64> = toggles.iter().map(|t| t.room_id).collect();
    let users: BTreeSet<i64> = toggles.iter().map(|t| t.user_id).collect();
    let ids: BTreeSet<i64> = toggles.iter().map(|t| t.message_id).collect();
    let mut db = db.into();
    let members: HashSet<(i64, i64)> = read!(db.reborrow(), |c| Ok(memberships::table
        .filter(memberships::room_id.eq_any(&rooms))
        .filter(memberships::user_id.eq_any(&users))
        .select((memberships::room_id, memberships::user_id))
        .load::<(i64, i64)>(c)
        .await?))?
    .into_iter()
    .collect();
    let rows: Vec<(i64, i64, bool, Option<String>)> = read!(db, |c| Ok(messages::table
        .filter(messages::id.eq_any(&ids))
        .select((messages::id, messages::room_id, messages::deleted, messages::reactions))
        .load(c)
        .await?))?;
    // message → (room, as stored, as the batch leaves it); live messages only.
    let mut state: BTreeMap<i64, (i64, Vec<Reaction>, Vec<Reaction>)> = rows
        .into_iter()
        .filter(|row| !row.2)
        .map(|(id, room_id, _, json)| {
            let list: Vec<Reaction> = json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
            (id, (room_id, list.clone(), list))
        })
        .collect();
    let toggled = toggles
        .iter()
        .map(|t| {
            if !members.contains(&(t.room_id, t.user_id)) {
                return Toggled::NotAMember;
            }
            match state.get_mut(&t.message_id).filter(|s| s.0 == t.room_id) {
                None => Toggled::NoMessage,
                Some((_, _, list)) => match toggle(list, &t.emoji, t.user_id, t.on) {
                    Ok(()) => Toggled::Done,
                    Err(conflict) => Toggled::Refused(conflict),
                },
            }
        })
        .collect();
    let mut changed = Vec::new();
    for (message_id, (room_id, before, after)) in state {
        if before != after {
            let json = match after.is_empty() {
                true => None,
                false => Some(serde_json::to_string(&after).map_err(|e| StoreError::Other(e.into()))?),
            };
            changed.push(Changed { room_id, message_id, json });
        }
    }
    Ok(Applied { toggled, changed })
}

/// Applies one reaction change to a message's list (already so: nothing changes). A new emoji
/// goes last (first-use order) and a removed user leaves the others' order; an emoji nobody
/// uses any more goes away.
fn toggle(reactions: &mut Vec<Reaction>, emoji: &str, user_id: i64, on: bool) -> Result<(), Conflict> {
    let at = reactions.iter().position(|r| r.emoji == emoji);
    match (at, on) {
        (Some(i), true) if !reactions[i].user_ids.contains(&user_id) => {
            reactions[i].user_ids.push(user_id);
            reactions[i].count = reactions[i].user_ids.len() as i64;
        }
        (None, true) if reactions.len() >= MAX_EMOJI_PER_MESSAGE => return Err(Conflict::TooManyReactions),
        (None, true) => reactions.push(Reaction { emoji: emoji.to_owned(), count: 1, user_ids: vec![user_id] }),
        (Some(i), false) if reactions[i].user_ids.contains(&user_id) => {
            reactions[i].user_ids.retain(|&u| u != user_id);
            reactions[i].count = reactions[i].user_ids.len() as i64;
            if reactions[i].user_ids.is_empty() {
                reactions.remove(i);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(list: &[Reaction]) -> Vec<(&str, Vec<i64>)> {
        list.iter().map(|r| (r.emoji.as_str(), r.user_ids.clone())).collect()
    }

    #[test]
    fn toggles_keep_first_use_order_and_drop_unused_emoji() {
        let mut list = Vec::new();
        toggle(&mut list, "👍", 1, true).unwrap();
        toggle(&mut list, "🎉", 2, true).unwrap();
        toggle(&mut list, "👍", 3, true).unwrap();
        toggle(&mut list, "👍", 3, true).unwrap(); // again: no change
        assert_eq!(users(&list), vec![("👍", vec![1, 3]), ("🎉", vec![2])]);
        toggle(&mut list, "👍", 1, false).unwrap();
        toggle(&mut list, "🎉", 2, false).unwrap();
        toggle(&mut list, "🎉", 2, false).unwrap(); // not there: no change
        assert_eq!(users(&list), vec![("👍", vec![3])]);
        assert_eq!(list[0].count, 1);
    }

    #[test]
    fn a_message_takes_at_most_twenty_different_emoji() {
        let mut list = Vec::new();
        for i in 0..MAX_EMOJI_PER_MESSAGE {
            toggle(&mut list, &format!("e{i}"), 1, true).unwrap();
        }
        assert_eq!(toggle(&mut list, "one more", 1, true), Err(Conflict::TooManyReactions));
        toggle(&mut list, "e0", 2, true).unwrap(); // an emoji already there still takes people
        assert_eq!(list.len(), MAX_EMOJI_PER_MESSAGE);
        assert_eq!(list[0].count, 2);
    }
}
