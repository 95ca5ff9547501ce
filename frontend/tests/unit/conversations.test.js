// Threads, mentions, notification levels and group direct rooms in the store and the sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, oldestSeq } from '../../js/store.js';
import { Sync } from '../../js/sync.js';
import { fakeDrafts } from './fakes.js';
import { Socket } from '../../js/socket.js';

const alice = { id: 1, username: 'alice', created_at: '2026-01-01T00:00:00Z' };
const bob = { id: 2, username: 'bob', created_at: '2026-01-01T00:00:00Z' };
const room = (id, extra = {}) => ({ id, name: 'r' + id, topic: null, visibility: 'public', kind: 'room', member_count: 2, joined: true, role: 'member', last_seq: 0, unread_count: 0, mention_count: 0, last_read_seq: 0, created_at: '2026-01-01T00:00:00Z', ...extra });
const msg = (id, seq, author = bob, extra = {}) => ({ id, room_id: 1, seq, author, body: 'm' + id, client_id: 'c' + id, created_at: new Date(Date.UTC(2026, 0, 1, 10, 0, seq)).toISOString(), edited_at: null, deleted: false, reactions: [], reply_to: null, reply_count: 0, last_reply_at: null, mentions: [], mentions_room: false, ...extra });
const ev = (type, seq, m, extra = {}) => ({ type, room_id: 1, seq, message: m, ...extra });
const reply = (id, seq, root, author = bob, extra = {}) => msg(id, seq, author, { reply_to: root, ...extra });

function fresh(rooms = [room(1), room(2)]) {
  const s = new Store();
  s.setMe(alice);
  s.setRooms(rooms);
  return s;
}
const counts = (s, id = 1) => [s.rooms.get(id).unread_count, s.rooms.get(id).mention_count];

test('a reply moves the cursor and counts as unread, is not in the timeline but in its thread; its root shows the new count', () => {
  const s = fresh();
  s.setActiveRoom(2);
  s.applyHistory(1, [msg(10, 1), msg(11, 2)], false);
  assert.equal(s.applyChange(ev('message', 3, reply(12, 3, 10))), 'applied');
  assert.equal(s.applyChange(ev('message_updated', 4, msg(10, 1, bob, { reply_count: 1, last_reply_at: '2026-01-01T10:00:03Z' }))), 'applied');
  assert.equal(s.cursor(1), 4);
  assert.deepEqual(s.messages(1).map((m) => m.id), [10, 11], 'no reply in the timeline');
  assert.equal(s.messages(1)[0].reply_count, 1);
  assert.deepEqual(s.threadMessages(1, 10).map((m) => m.id), [10, 12], 'the root, then its replies');
  assert.deepEqual(s.threadMessages(1, 11).map((m) => m.id), [11], 'another root: no replies');
  assert.deepEqual(counts(s), [1, 0], 'a reply counts as unread (every message does, as the server counts)');
  assert.equal(oldestSeq(s.timeline(1)), 1);
});

test('my reply on its way shows in its thread only, and becomes the stored reply on its ack', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1)], false);
  s.addPending(1, 'on it', 'r1', { replyTo: 10 });
  s.addPending(1, 'in the room', 'p2');
  assert.deepEqual(s.messages(1).map((m) => m.id), [10, 'p:p2']);
  assert.deepEqual(s.threadMessages(1, 10).map((m) => [m.id, m.reply_to]), [[10, null], ['p:r1', 10]]);
  s.applyAck({ client_id: 'r1', message: reply(20, 2, 10, alice, { client_id: 'r1', body: 'on it' }) });
  assert.deepEqual(s.threadMessages(1, 10).map((m) => m.id), [10, 20]);
  assert.deepEqual(s.messages(1).map((m) => m.id), [10, 'p:p2']);
});

test('thread pages: a root known from its thread only stays out of the timeline until a page of it brings it', () => {
  const s = fresh();
  s.applyHistory(1, [msg(50, 50), msg(51, 51)], true);
  // A search result in an old thread: root 5 and replies around it.
  s.applyThread(1, 5, [msg(5, 5, bob, { reply_count: 3 }), reply(6, 6, 5), reply(7, 8, 5)], false);
  assert.deepEqual(s.messages(1).map((m) => m.id), [50, 51], 'no hole: the old root is not in the timeline');
  assert.equal(oldestSeq(s.timeline(1)), 50, 'older pages still load before the timeline\'s oldest');
  assert.deepEqual(s.threadMessages(1, 5).map((m) => m.id), [5, 6, 7]);
  assert.equal(s.threadBefore(1, 5), null, 'nothing older in the thread');
  s.applyHistory(1, [msg(5, 5, bob, { reply_count: 3 }), msg(9, 9)], false, { older: true });
  assert.deepEqual(s.messages(1).map((m) => m.id), [5, 9, 50, 51], 'the timeline reached it');
  // A jump's newest page drops the timeline's older messages, never a thread's replies.
  s.applyAround(1, [msg(60, 60)], true, false);
  assert.deepEqual(s.messages(1).map((m) => m.id), [60]);
  assert.deepEqual(s.threadMessages(1, 5).map((m) => m.id), [6, 7], 'the replies stay for their thread');
});

test('older thread pages: the seq before which they load; the last one says there is no more', () => {
  const s = fresh();
  assert.equal(s.threadBefore(1, 5), null, 'not loaded');
  s.applyThread(1, 5, [reply(30, 30, 5), reply(31, 31, 5)], true);
  assert.equal(s.threadBefore(1, 5), 30);
  s.applyThread(1, 5, [msg(5, 5), reply(8, 8, 5)], false);
  assert.equal(s.threadBefore(1, 5), null);
  assert.deepEqual(s.threadMessages(1, 5).map((m) => m.id), [5, 8, 30, 31]);
  s.applyThread(1, 5, [reply(32, 32, 5)], undefined); // a page after: leaves hasMore
  assert.equal(s.thread(1, 5).hasMore, false);
});

test('mentions: +1 with unread for a message of someone else that mentions me or @room, beyond my marker, in a room not being read', () => {
  const s = fresh([room(1, { last_read_seq: 3 }), room(2)]);
  s.setActiveRoom(2);
  s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
  s.applyChange(ev('message', 1, msg(1, 1, bob, { mentions: [1] })));
  assert.deepEqual(counts(s), [0, 0], 'at or before my marker (another tab read it): not counted');
  s.advanceCursor(1, 3);
  s.applyChange(ev('message', 4, msg(4, 4, bob, { mentions: [1] })));
  s.applyChange(ev('message', 5, msg(5, 5, bob, { mentions: [3] })));
  s.applyChange(ev('message', 6, msg(6, 6, bob, { mentions_room: true })));
  s.applyChange(ev('message', 7, msg(7, 7, alice, { mentions_room: true })));
  s.applyChange(ev('message', 8, reply(8, 8, 4, bob, { mentions: [1] })));
  assert.deepEqual(counts(s), [4, 3], 'me, @room, and a reply that mentions me; not someone else, not mine');
  s.applyChange(ev('message', 8, reply(8, 8, 4, bob, { mentions: [1] })));
  assert.deepEqual(counts(s), [4, 3], 'a duplicate counts once');
  // The open room in a shown page is being read; in a hidden one it is not.
  s.setActiveRoom(1);
  s.applyChange(ev('message', 9, msg(9, 9, bob, { mentions: [1] })));
  assert.deepEqual(counts(s), [4, 3]);
  s.setVisible(false);
  s.applyChange(ev('message', 10, msg(10, 10, bob, { mentions: [1] })));
  assert.deepEqual(counts(s), [5, 4]);
});

test('mentions go down with the read marker exactly as unread does', () => {
  const s = fresh([room(1, { unread_count: 4, mention_count: 2, last_read_seq: 2 })]);
  s.applyHistory(1, [msg(1, 1), msg(3, 3, bob, { mentions: [1] }), msg(4, 4), msg(5, 5, bob, { mentions_room: true }), msg(6, 6)], false);
  s.applySubscribed({ room_id: 1, head_seq: 8, replay_truncated: false });
  s.markReadUpTo(1, 4);
  assert.deepEqual(counts(s), [2, 1], '3 and 4 read; the mention in 3 with them');
  s.markReadUpTo(1, 8);
  assert.deepEqual(counts(s), [0, 0], 'the live end: nothing left');
  // Not all of it loaded: what stays are the loaded ones after the marker.
  const t = fresh([room(1, { unread_count: 9, mention_count: 5 })]);
  t.applyHistory(1, [msg(20, 20, bob, { mentions: [1] }), msg(21, 21), msg(22, 22, bob, { mentions: [1] })], true);
  t.applySubscribed({ room_id: 1, head_seq: 30, replay_truncated: false });
  t.markReadUpTo(1, 21);
  assert.deepEqual(counts(t), [1, 1]);
  t.markRead(1);
  assert.deepEqual(counts(t), [0, 0]);
});

test('an edit that adds a mention of me counts it; a deleted unread mention is no longer counted', () => {
  const s = fresh();
  s.setActiveRoom(2);
  s.applySubscribed({ room_id: 1, head_seq: 0, replay_truncated: false });
  s.applyChange(ev('message', 1, msg(1, 1)));
  assert.deepEqual(counts(s), [1, 0]);
  s.applyChange(ev('message_updated', 2, msg(1, 1, bob, { body: 'hey @alice', mentions: [1], edited_at: '2026-01-01T11:00:00Z' })));
  assert.deepEqual(counts(s), [1, 1]);
  s.applyChange(ev('message_updated', 3, msg(1, 1, bob, { body: 'hey @alice', mentions: [1], edited_at: '2026-01-01T11:00:00Z', reactions: [{ emoji: '👍', count: 1, user_ids: [2] }] })));
  assert.deepEqual(counts(s), [1, 1], 'a reaction changes nothing');
  s.applyChange({ type: 'message_deleted', room_id: 1, seq: 4, message_id: 1 });
  assert.deepEqual(counts(s), [0, 0], 'the server does not count deleted messages');
});

test('the room list: my counts kept on a refresh when asked, neutral updates keep my level; levels from events', () => {
  const s = fresh();
  s.bumpUnread(1, true);
  s.setRooms([room(1, { mention_count: 0, notify: 'all' })], { keepUnread: true });
  assert.deepEqual(counts(s), [1, 1]);
  s.upsertRoom({ ...room(1, { name: 'renamed', mention_count: 0 }), notify: undefined }, { neutral: true });
  assert.deepEqual([s.rooms.get(1).name, s.rooms.get(1).notify, s.rooms.get(1).mention_count], ['renamed', 'all', 1]);
  s.setNotify(1, 'none');
  assert.equal(s.rooms.get(1).notify, 'none');
  s.setRooms([room(1, { mention_count: 3, unread_count: 7 })]);
  assert.deepEqual(counts(s), [7, 3], 'a fresh list: the server\'s numbers');
  s.leaveRoom(1);
  assert.deepEqual(counts(s), [0, 0]);
});

test('a group direct room is titled by its members\' names; one with one other person by that person', () => {
  const s = fresh([room(8, { kind: 'direct', name: 'bob, carol', member_count: 3 }), room(9, { kind: 'direct', name: 'bob', member_count: 2 })]);
  s.setDmPeer(8, bob);
  s.setDmPeer(9, bob);
  assert.equal(s.roomTitle(s.rooms.get(8)), 'bob, carol');
  assert.equal(s.roomTitle(s.rooms.get(9)), 'bob');
});

function harness() {
  const store = fresh();
  const sent = [];
  const socket = { up: true, send(frame) { if (!this.up) return false; sent.push(frame); return true; }, subscribe: Socket.prototype.subscribe, stop() {} };
  const rest = [];
  const notified = [];
  const api = { sendMessage: async (...args) => { rest.push(args); return msg(90, 9, alice, { room_id: args[0], client_id: args[2], body: args[1] }); } };
  const sync = new Sync({ store, api, drafts: fakeDrafts(), toast: () => {}, navigate: () => {}, onMessage: () => {}, onNotification: (e) => notified.push(e), setTimeout: () => 0, clearTimeout: () => {} });
  sync.connect(socket);
  return { store, sync, socket, sent, rest, notified };
}

test('a reply goes out with reply_to, over the socket or REST', async () => {
  const h = harness();
  h.sync.send(1, 'in the thread', [], 10);
  assert.deepEqual(h.sent.map(({ client_id: _, ...f }) => f), [{ type: 'send', room_id: 1, body: 'in the thread', reply_to: 10 }]);
  h.sync.send(2, 'not a reply');
  assert.equal('reply_to' in h.sent[1], false, 'a message of the timeline carries none');
  h.socket.up = false;
  h.sync.send(3, 'over REST', [], 11);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.rest.map((a) => [a[0], a[1], a[3], a[4]]), [[3, 'over REST', [], 11]]);
});

test('notification levels from my other connections reach the store; notifications are handed on', async () => {
  const h = harness();
  await h.sync.onEvent({ type: 'notification_level', room_id: 1, level: 'none' });
  assert.equal(h.store.rooms.get(1).notify, 'none');
  const n = { type: 'notification', room_id: 2, message: msg(5, 5), reason: 'mention' };
  await h.sync.onEvent(n);
  assert.deepEqual(h.notified, [n]);
});
