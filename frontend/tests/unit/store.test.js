import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../js/store.js';

const alice = { id: 1, username: 'alice', created_at: '2026-01-01T00:00:00Z' };
const bob = { id: 2, username: 'bob', created_at: '2026-01-01T00:00:00Z' };
const room = (id, extra = {}) => ({ id, name: 'r' + id, topic: null, visibility: 'public', kind: 'room', member_count: 2, joined: true, role: 'member', last_seq: 0, unread_count: 0, created_at: '2026-01-01T00:00:00Z', ...extra });
const msg = (id, seq, author = bob, extra = {}) => ({ id, room_id: 1, seq, author, body: 'm' + id, client_id: 'c' + id, created_at: new Date(Date.UTC(2026, 0, 1, 10, 0, seq)).toISOString(), edited_at: null, deleted: false, ...extra });
const ev = (type, seq, m, extra = {}) => ({ type, room_id: 1, seq, message: m, ...extra });

function fresh() {
  const s = new Store();
  s.setMe(alice);
  s.setRooms([room(1), room(2)]);
  return s;
}

test('history sets the cursor before the first subscribe; events dedupe by seq', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1), msg(11, 2)], false);
  assert.equal(s.cursor(1), 2);
  assert.equal(s.applyChange(ev('message', 2, msg(11, 2))), 'duplicate');
  assert.equal(s.applyChange(ev('message', 3, msg(12, 3))), 'applied');
  assert.equal(s.applyChange(ev('message', 3, msg(12, 3))), 'duplicate');
  assert.deepEqual(s.messages(1).map((m) => m.id), [10, 11, 12]);
  assert.equal(s.cursor(1), 3);
});

test('a gap in seq is reported and not applied', () => {
  const s = fresh();
  s.applySubscribed({ room_id: 1, head_seq: 5, replay_truncated: false });
  assert.equal(s.cursor(1), 5);
  assert.equal(s.applyChange(ev('message', 7, msg(20, 7))), 'gap');
  assert.equal(s.cursor(1), 5);
  assert.equal(s.messages(1).length, 0);
});

test('a REST page never moves an existing live cursor; a live-only subscribe behind the page asks for replay', () => {
  const s = fresh();
  s.applySubscribed({ room_id: 1, head_seq: 3, replay_truncated: false });
  s.applyHistory(1, [msg(1, 1), msg(2, 2), msg(3, 3), msg(4, 4)], false);
  assert.equal(s.cursor(1), 3, 'event 4 is still in flight on the socket');
  assert.equal(s.applyChange(ev('message', 4, msg(4, 4))), 'applied');
  assert.equal(s.messages(1).length, 4);

  const t = fresh();
  t.applyHistory(1, [msg(1, 1), msg(2, 2)], false); // page fetched before the live-only subscribe answered
  assert.equal(t.applySubscribed({ room_id: 1, head_seq: 4, replay_truncated: false }), 'behind');
  assert.equal(t.cursor(1), 2);
});

test('pending message becomes the acked one exactly once, whichever of ack and event comes first', () => {
  for (const order of [['ack', 'event'], ['event', 'ack']]) {
    const s = fresh();
    s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
    s.addPending(1, 'hello', 'cid-1');
    assert.equal(s.messages(1)[0].pending, 'pending');
    const stored = msg(50, 1, alice, { body: 'hello', client_id: 'cid-1' });
    for (const step of order) {
      if (step === 'ack') s.applyAck({ client_id: 'cid-1', message: stored });
      else s.applyChange(ev('message', 1, stored));
    }
    const all = s.messages(1);
    assert.equal(all.length, 1, order.join('→'));
    assert.equal(all[0].id, 50);
    assert.equal(all[0].pending, undefined);
  }
});

test('pending sends queue per room in order; a refused one waits, a retried one goes to the back', () => {
  const s = fresh();
  s.addPending(1, 'one', 'c1');
  s.addPending(2, 'elsewhere', 'c2');
  s.addPending(1, 'two', 'c3');
  assert.equal(s.nextPending(1).client_id, 'c1');
  assert.deepEqual(s.pendingRooms(), [1, 2]);
  s.failPending('c1', 'too long');
  assert.deepEqual(s.messages(1).map((m) => [m.body, m.pending, m.reason]), [['one', 'failed', 'too long'], ['two', 'pending', '']]);
  assert.equal(s.nextPending(1).client_id, 'c3', 'a refused send does not hold up the queue');
  s.requeuePending('c1');
  assert.deepEqual(s.messages(1).map((m) => m.body), ['two', 'one']);
  assert.equal(s.nextPending(1).client_id, 'c3');
  s.applyAck({ client_id: 'c3', message: msg(50, 1, alice, { body: 'two', client_id: 'c3' }) });
  assert.equal(s.nextPending(1).client_id, 'c1');
});

test('the read marker moves last_read_seq forward; what was unread between the old and the new marker is read', () => {
  const s = fresh();
  s.setRooms([room(1, { unread_count: 4, last_read_seq: 2 })]);
  s.applyHistory(1, [msg(1, 1), msg(2, 2), msg(3, 3), msg(4, 4, alice), msg(5, 5, bob, { deleted: true }), msg(6, 6), msg(7, 7), msg(8, 8)], true);
  s.applySubscribed({ room_id: 1, head_seq: 9, replay_truncated: false }); // seq 9: an edit
  s.markReadUpTo(1, 6);
  assert.deepEqual([s.rooms.get(1).unread_count, s.rooms.get(1).last_read_seq], [2, 6], '3 and 6 read; mine and the deleted one never counted');
  s.markReadUpTo(1, 4);
  assert.deepEqual([s.rooms.get(1).unread_count, s.rooms.get(1).last_read_seq], [2, 6], 'never backwards');
  s.markReadUpTo(1, 9);
  assert.deepEqual([s.rooms.get(1).unread_count, s.rooms.get(1).last_read_seq], [0, 9]);
  // The list refreshed from the server keeps the later marker; room_updated never carries mine.
  s.setRooms([room(1, { last_read_seq: 7 })], { keepUnread: true });
  assert.equal(s.rooms.get(1).last_read_seq, 9);
  s.upsertRoom(room(1, { name: 'renamed', last_read_seq: 0 }), { neutral: true });
  assert.equal(s.rooms.get(1).last_read_seq, 9);
});

test('the read marker leaves unread only the loaded messages of others after it', () => {
  const s = fresh();
  s.applyHistory(1, [msg(1, 1), msg(2, 2, alice), msg(3, 3), msg(4, 4, bob, { deleted: true }), msg(5, 5)], false);
  s.setRooms([room(1, { unread_count: 3 })]);
  s.markReadUpTo(1, 1);
  assert.equal(s.rooms.get(1).unread_count, 2);
  s.markReadUpTo(1, 0);
  assert.equal(s.rooms.get(1).unread_count, 2, 'never back up');
  s.markReadUpTo(1, 5);
  assert.equal(s.rooms.get(1).unread_count, 0);
});

test('edits and deletes apply; a deleted message never comes back; older edits lose', () => {
  const s = fresh();
  s.applyHistory(1, [msg(1, 1), msg(2, 2)], false);
  s.applyChange(ev('message_updated', 3, msg(1, 1, bob, { body: 'edited', edited_at: '2026-01-01T11:00:00Z' })));
  assert.equal(s.messages(1)[0].body, 'edited');
  assert.equal(s.messages(1)[0].edited_at, '2026-01-01T11:00:00Z');
  s.applyChange({ type: 'message_deleted', room_id: 1, seq: 4, message_id: 2 });
  assert.equal(s.messages(1)[1].deleted, true);
  assert.equal(s.messages(1)[1].body, '');
  // A stale REST page cannot undelete or un-edit.
  s.applyHistory(1, [msg(1, 1), msg(2, 2)], false, { older: true });
  assert.equal(s.messages(1)[1].deleted, true);
  assert.equal(s.messages(1)[0].body, 'edited');
});

test('replay of a message created then deleted shows one tombstone', () => {
  const s = fresh();
  s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
  s.applyChange(ev('message', 1, msg(7, 1, bob, { body: '', deleted: true })));
  s.applyChange({ type: 'message_deleted', room_id: 1, seq: 2, message_id: 7 });
  assert.equal(s.messages(1).length, 1);
  assert.equal(s.messages(1)[0].deleted, true);
  assert.equal(s.rooms.get(1).unread_count, 0, 'a deleted message is not unread');
});

test('unread: others in a room not open count; mine and the open room do not; read clears', () => {
  const s = fresh();
  s.setActiveRoom(2);
  s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
  s.applyChange(ev('message', 1, msg(1, 1, bob)));
  s.applyChange(ev('message', 2, msg(2, 2, alice)));
  s.applyChange(ev('message', 3, msg(3, 3, bob)));
  assert.equal(s.rooms.get(1).unread_count, 2);
  s.applyChange(ev('message', 3, msg(3, 3, bob))); // duplicate replay
  assert.equal(s.rooms.get(1).unread_count, 2);
  s.markRead(1);
  assert.equal(s.rooms.get(1).unread_count, 0);
  s.setActiveRoom(1);
  s.applyChange(ev('message', 4, msg(4, 4, bob)));
  assert.equal(s.rooms.get(1).unread_count, 0);
});

test('setRooms keeps local unread counts on refresh when asked; room_updated is neutral', () => {
  const s = fresh();
  s.bumpUnread(1);
  s.setRooms([room(1, { unread_count: 0 }), room(3)], { keepUnread: true });
  assert.equal(s.rooms.get(1).unread_count, 1);
  s.upsertRoom(room(1, { name: 'renamed', joined: false, role: null, unread_count: 0 }), { neutral: true });
  const r = s.rooms.get(1);
  assert.deepEqual([r.name, r.joined, r.role, r.unread_count], ['renamed', true, 'member', 1]);
});

test('truncated replay and a head below the cursor are reported', () => {
  const s = fresh();
  s.applySubscribed({ room_id: 1, head_seq: 10, replay_truncated: false });
  assert.equal(s.applySubscribed({ room_id: 1, head_seq: 9000, replay_truncated: true }), 'truncated');
  assert.equal(s.cursor(1), 10);
  assert.equal(s.applySubscribed({ room_id: 1, head_seq: 3, replay_truncated: false }), 'reset');
  assert.equal(s.cursor(1), undefined);
});

test('typing expires, ignores me; presence updates members', () => {
  const s = fresh();
  s.setTyping(1, bob, 1000, 3000);
  s.setTyping(1, alice, 1000, 3000);
  assert.deepEqual(s.typingNames(1, 2000), ['bob']);
  assert.deepEqual(s.typingNames(1, 4500), []);
  s.setMembers(1, [{ user: alice, role: 'owner', online: true }, { user: bob, role: 'member', online: false }]);
  s.setPresence(bob, true);
  assert.equal(s.members.get(1)[1].online, true);
  assert.ok(s.isOnline(2));
  s.memberLeft(1, bob);
  assert.equal(s.rooms.get(1).member_count, 1);
});

test('direct rooms are titled by the other member', () => {
  const s = fresh();
  s.upsertRoom(room(9, { kind: 'direct', name: 'dm:1:2', visibility: 'private' }));
  assert.equal(s.roomTitle(s.rooms.get(9)), 'Direct message');
  s.setDmPeer(9, bob);
  assert.equal(s.roomTitle(s.rooms.get(9)), 'bob');
  assert.deepEqual(s.directRooms().map((r) => r.id), [9]);
  assert.ok(!s.joinedRooms().some((r) => r.id === 9));
});

test('a pending send keeps its files; a deleted message has none', () => {
  const s = fresh();
  const files = [{ id: 5, name: 'a.png' }];
  s.addPending(1, '', 'c1', { attachments: files });
  s.addPending(1, 'text only', 'c2');
  assert.deepEqual(s.messages(1).map((m) => m.attachments), [files, []]);
  s.failPending('c1', 'refused');
  s.requeuePending('c1');
  s.discardPending('c2');
  assert.deepEqual(s.nextPending(1).attachments, files, 'a retried send still carries them');
  s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
  s.applyChange(ev('message', 1, msg(9, 1, bob, { attachments: files })));
  s.applyChange({ type: 'message_deleted', room_id: 1, seq: 2, message_id: 9 });
  assert.deepEqual(s.messages(1)[0].attachments, []);
  s.applyHistory(1, [msg(10, 3, bob, { attachments: files })], false);
  s.markDeleted(1, 10);
  assert.deepEqual(s.timeline(1).byId.get(10).attachments, []);
});

test('my delete tombstones the message at once; discarding a failed send drops it', () => {
  const s = fresh();
  s.applyHistory(1, [msg(1, 1, alice), msg(2, 2)], false);
  const seen = [];
  s.subscribe((what, roomId) => seen.push([what, roomId]));
  assert.equal(s.markDeleted(1, 1), true);
  assert.deepEqual([s.messages(1)[0].deleted, s.messages(1)[0].body], [true, '']);
  assert.equal(s.markDeleted(1, 99), false, 'a message not loaded is left to its event');
  s.addPending(1, 'oops', 'c9');
  s.failPending('c9', 'refused');
  assert.equal(s.discardPending('c9'), true);
  assert.equal(s.discardPending('c9'), false);
  assert.deepEqual(s.messages(1).map((m) => m.id), [1, 2]);
  assert.deepEqual(seen.filter(([what]) => what === 'timeline').length, 4);
});

test('older history: one load at a time, from the oldest stored seq, only once the newest page is in', () => {
  const s = fresh();
  assert.equal(s.startLoadingOlder(1), null, 'the newest page is not loaded yet');
  s.applyHistory(1, [msg(5, 5), msg(6, 6)], true);
  assert.equal(s.startLoadingOlder(1), 5);
  assert.equal(s.timeline(1).loadingOlder, true);
  assert.equal(s.startLoadingOlder(1), null, 'a load is under way');
  s.stopLoadingOlder(1);
  assert.equal(s.startLoadingOlder(1), 5, 'a failed load can be tried again');
  s.applyHistory(1, [msg(3, 3), msg(4, 4)], false, { older: true });
  assert.equal(s.timeline(1).loadingOlder, false);
  assert.equal(s.startLoadingOlder(1), null, 'the beginning of the room');
  assert.deepEqual(s.messages(1).map((m) => m.seq), [3, 4, 5, 6]);
});

test('a jump loads the page around a seq: shown up to its newest until the pages forward reach the live end', () => {
  const s = fresh();
  s.applyHistory(1, [msg(90, 90), msg(91, 91)], true); // the newest page
  s.applySubscribed({ room_id: 1, head_seq: 91, replay_truncated: false });
  s.applyAround(1, [msg(10, 10), msg(11, 11), msg(12, 12)], true, true);
  assert.deepEqual(s.messages(1).map((m) => m.id), [10, 11, 12], 'the newest page is hidden behind the hole');
  assert.equal(s.cursor(1), 91, 'the live cursor is untouched');
  s.applyChange(ev('message', 92, msg(92, 92)));
  assert.deepEqual(s.messages(1).map((m) => m.id), [10, 11, 12], 'live messages wait too');
  assert.equal(s.startLoadingOlder(1), 10);
  s.applyHistory(1, [msg(8, 8)], false, { older: true });
  assert.equal(s.startLoadingNewer(1), 12);
  assert.equal(s.startLoadingNewer(1), null, 'one load at a time');
  s.applyNewer(1, [msg(13, 13), msg(14, 14)], true);
  assert.deepEqual(s.messages(1).map((m) => m.id), [8, 10, 11, 12, 13, 14]);
  assert.equal(s.startLoadingNewer(1), 14);
  s.applyNewer(1, [msg(15, 15), msg(90, 90), msg(91, 91)], false);
  assert.equal(s.timeline(1).hasNewer, false);
  assert.deepEqual(s.messages(1).map((m) => m.id), [8, 10, 11, 12, 13, 14, 15, 90, 91, 92], 'joined with the live end');
  assert.equal(s.startLoadingNewer(1), null);
});

test('jumping back to the newest page drops the jump\'s pages but keeps what came live after it', () => {
  const s = fresh();
  s.applySubscribed({ room_id: 1, head_seq: 50, replay_truncated: false });
  s.applyAround(1, [msg(10, 10), msg(11, 11)], true, true);
  s.applyChange(ev('message', 51, msg(51, 51)));
  s.applyHistory(1, [msg(49, 49), msg(50, 50)], true, { replace: true });
  assert.deepEqual(s.messages(1).map((m) => m.id), [49, 50, 51]);
  assert.equal(s.timeline(1).hasNewer, false);
  assert.equal(s.startLoadingOlder(1), 49);
  // A page around a seq that reaches the live end is the timeline at once (and sets the cursor of a room never subscribed).
  const t = fresh();
  t.applyAround(2, [msg(3, 3), msg(4, 4)], false, false);
  assert.deepEqual(t.messages(2).map((m) => m.id), [3, 4]);
  assert.equal(t.cursor(2), 4);
});

const thumbs = (...ids) => ({ emoji: '👍', count: ids.length, user_ids: ids });
const reactionsOf = (s, id) => s.messages(1).find((m) => m.id === id).reactions;

test('reactions come with message_updated and stay through an ack or an edit\'s answer that knows less', () => {
  const s = fresh();
  s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
  s.addPending(1, 'hello', 'cid-1');
  assert.deepEqual(s.messages(1)[0].reactions, [], 'a pending send has none');
  const stored = msg(50, 1, alice, { body: 'hello', client_id: 'cid-1', reactions: [] });
  s.applyChange(ev('message', 1, stored));
  s.applyChange(ev('message_updated', 2, { ...stored, reactions: [thumbs(2)] }));
  assert.deepEqual(reactionsOf(s, 50), [thumbs(2)]);
  s.applyAck({ client_id: 'cid-1', message: stored }); // the ack's copy is from before the reaction
  assert.deepEqual(reactionsOf(s, 50), [thumbs(2)], 'the ack does not take it away');
  assert.equal(s.messages(1).length, 1);
  // My edit: its event came first (with the reaction); the REST answer of the same edit knows less.
  const edited = { ...stored, body: 'hello!', edited_at: '2026-01-01T11:00:00Z' };
  s.applyChange(ev('message_updated', 3, { ...edited, reactions: [thumbs(2)] }));
  s.mergeMessage(1, { ...edited, reactions: [] }, { snapshot: true });
  assert.deepEqual(reactionsOf(s, 50), [thumbs(2)]);
  // An answer with a later edit than the one stored does replace it.
  s.mergeMessage(1, { ...edited, body: 'hello!!', edited_at: '2026-01-01T12:00:00Z', reactions: [thumbs(2)] }, { snapshot: true });
  assert.equal(s.messages(1)[0].body, 'hello!!');
  // A reaction's message_updated keeps the edit (same edited_at) and replaces the reactions.
  s.applyChange(ev('message_updated', 4, { ...edited, body: 'hello!!', edited_at: '2026-01-01T12:00:00Z', reactions: [] }));
  assert.deepEqual(reactionsOf(s, 50), []);
  assert.equal(s.messages(1)[0].body, 'hello!!');
  s.applyChange(ev('message_updated', 5, { ...edited, body: 'hello!!', edited_at: '2026-01-01T12:00:00Z', reactions: [thumbs(2)] }));
  s.applyChange({ type: 'message_deleted', room_id: 1, seq: 6, message_id: 50 });
  assert.deepEqual(reactionsOf(s, 50), [], 'a tombstone has none');
});

test('my reaction shows at once, over what others do meanwhile; the server taking it keeps it, a refusal rolls it back', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1, bob, { reactions: [thumbs(2)] })], false);
  const before = s.messages(1)[0];
  s.wantReaction(1, 10, '👍', true);
  assert.deepEqual(reactionsOf(s, 10), [thumbs(2, 1)]);
  assert.equal(s.wantedReaction(1, 10, '👍'), true);
  // Someone else reacts while mine is on its way: both show.
  s.applyChange(ev('message_updated', 2, msg(10, 1, bob, { reactions: [thumbs(2), { emoji: '🎉', count: 1, user_ids: [3] }] })));
  assert.deepEqual(reactionsOf(s, 10), [thumbs(2, 1), { emoji: '🎉', count: 1, user_ids: [3] }]);
  s.settleReaction(1, 10, '👍', true);
  assert.equal(s.wantedReaction(1, 10, '👍'), undefined);
  assert.deepEqual(reactionsOf(s, 10), [thumbs(2, 1), { emoji: '🎉', count: 1, user_ids: [3] }], 'kept until its message_updated');
  // Taking it off, refused: back to what the server has.
  s.wantReaction(1, 10, '👍', false);
  assert.deepEqual(reactionsOf(s, 10), [thumbs(2), { emoji: '🎉', count: 1, user_ids: [3] }]);
  s.settleReaction(1, 10, '👍', false);
  assert.deepEqual(reactionsOf(s, 10), [thumbs(2, 1), { emoji: '🎉', count: 1, user_ids: [3] }]);
  assert.notEqual(s.messages(1)[0], before);
  // Nothing on its way: the stored objects as they are.
  assert.equal(s.messages(1)[0], s.timeline(1).byId.get(10));
});
