// "Also send to #room": a thread reply that shows in the room's timeline too. Which messages the
// timeline shows, live and from pages; the pending reply; what goes out over the socket and REST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, oldestSeq, inMainTimeline } from '../../js/store.js';
import { Sync } from '../../js/sync.js';
import { fakeDrafts } from './fakes.js';
import { Socket } from '../../js/socket.js';
import { Api } from '../../js/api.js';
import { groupRows } from '../../js/format.js';

const alice = { id: 1, username: 'alice', created_at: '2026-01-01T00:00:00Z' };
const bob = { id: 2, username: 'bob', created_at: '2026-01-01T00:00:00Z' };
const room = (id, extra = {}) => ({ id, name: 'r' + id, topic: null, visibility: 'public', kind: 'room', member_count: 2, joined: true, role: 'member', last_seq: 0, unread_count: 0, mention_count: 0, last_read_seq: 0, created_at: '2026-01-01T00:00:00Z', ...extra });
const msg = (id, seq, author = bob, extra = {}) => ({ id, room_id: 1, seq, author, body: 'm' + id, client_id: 'c' + id, created_at: new Date(Date.UTC(2026, 0, 1, 10, 0, seq)).toISOString(), edited_at: null, deleted: false, reactions: [], reply_to: null, reply_count: 0, last_reply_at: null, mentions: [], mentions_room: false, also_to_room: false, ...extra });
const reply = (id, seq, root, extra = {}) => msg(id, seq, bob, { reply_to: root, ...extra });
const also = (id, seq, root, extra = {}) => reply(id, seq, root, { also_to_room: true, ...extra });
const ev = (type, seq, m) => ({ type, room_id: 1, seq, message: m });

function fresh() {
  const s = new Store();
  s.setMe(alice);
  s.setRooms([room(1), room(2)]);
  return s;
}
const ids = (list) => list.map((m) => m.id);

test('the rule: the timeline shows messages that are not replies, and replies also sent to the room', () => {
  assert.equal(inMainTimeline(msg(1, 1)), true);
  assert.equal(inMainTimeline(reply(2, 2, 1)), false);
  assert.equal(inMainTimeline(also(3, 3, 1)), true);
  assert.equal(inMainTimeline({ reply_to: 1 }), false, 'a reply without the field (an older server)');
  assert.equal(inMainTimeline({ reply_to: null, also_to_room: true }), true, 'the flag alone changes nothing');
});

test('live: a reply also sent to the room shows in the timeline and in its thread; a plain reply only in its thread', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1)], false);
  assert.equal(s.applyChange(ev('message', 2, reply(11, 2, 10))), 'applied');
  assert.equal(s.applyChange(ev('message', 3, also(12, 3, 10))), 'applied');
  assert.deepEqual(ids(s.messages(1)), [10, 12]);
  assert.deepEqual(ids(s.threadMessages(1, 10)), [10, 11, 12]);
  // Its edit and delete follow it in the timeline.
  s.applyChange(ev('message_updated', 4, also(12, 3, 10, { body: 'edited', edited_at: '2026-01-01T10:01:00Z' })));
  assert.equal(s.messages(1).find((m) => m.id === 12).body, 'edited');
  s.applyChange({ type: 'message_deleted', room_id: 1, seq: 5, message_id: 12 });
  assert.deepEqual(s.messages(1).map((m) => [m.id, m.deleted]), [[10, false], [12, true]]);
});

test('a top_level page with such a reply shows it; a thread page alone does not put it in the timeline (no hole)', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1), also(12, 3, 10), msg(13, 4)], false);
  assert.deepEqual(ids(s.messages(1)), [10, 12, 13]);
  const t = fresh();
  t.applyHistory(1, [msg(50, 50), msg(51, 51)], true);
  t.applyThread(1, 5, [msg(5, 5, bob, { reply_count: 2 }), reply(6, 6, 5), also(7, 8, 5)], false);
  assert.deepEqual(ids(t.messages(1)), [50, 51], 'the old root and its reply wait for their page');
  assert.equal(oldestSeq(t.timeline(1)), 50, 'older pages still load before the timeline\'s oldest');
  assert.deepEqual(ids(t.threadMessages(1, 5)), [5, 6, 7]);
  t.applyHistory(1, [msg(5, 5, bob, { reply_count: 2 }), also(7, 8, 5), msg(9, 9)], true, { older: true });
  assert.deepEqual(ids(t.messages(1)), [5, 7, 9, 50, 51], 'the timeline reached them');
});

test('a jump drops the timeline up to its page, but such a reply stays in its thread (out of the timeline until a page brings it)', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1), also(12, 3, 10), msg(13, 4)], false);
  s.applyThread(1, 10, [msg(10, 1), reply(11, 2, 10), also(12, 3, 10)], false);
  s.applyAround(1, [msg(20, 20), msg(21, 21)], true, false);
  assert.deepEqual(ids(s.messages(1)), [20, 21]);
  assert.deepEqual(ids(s.threadMessages(1, 10)), [11, 12], 'its replies are still there for the thread');
  s.applyHistory(1, [also(12, 3, 10), msg(13, 4)], true, { older: true });
  assert.deepEqual(ids(s.messages(1)), [12, 13, 20, 21]);
});

test('my reply on its way: with the box ticked in the timeline and the thread, else in the thread only; the ack keeps it there', () => {
  const s = fresh();
  s.applyHistory(1, [msg(10, 1)], false);
  s.addPending(1, 'to both', 'a1', { replyTo: 10, alsoToRoom: true });
  s.addPending(1, 'thread only', 'a2', { replyTo: 10 });
  s.addPending(1, 'not a reply', 'a3', { alsoToRoom: true });
  assert.deepEqual(s.messages(1).map((m) => [m.id, m.also_to_room]), [[10, false], ['p:a1', true], ['p:a3', false]]);
  assert.deepEqual(ids(s.threadMessages(1, 10)), [10, 'p:a1', 'p:a2']);
  s.applyAck({ client_id: 'a1', message: msg(20, 2, alice, { client_id: 'a1', body: 'to both', reply_to: 10, also_to_room: true }) });
  assert.deepEqual(ids(s.messages(1)), [10, 20, 'p:a3']);
  assert.deepEqual(ids(s.threadMessages(1, 10)), [10, 20, 'p:a2']);
});

test('such a reply starts its own group in a list (its "replied to a thread" line and its author), a plain one does not', () => {
  const a = msg(1, 1, bob);
  const rows = groupRows([a, msg(2, 2, bob), also(3, 3, 1), msg(4, 4, bob)]);
  assert.deepEqual(rows.filter((r) => r.kind === 'msg').map((r) => [r.msg.id, r.first]), [[1, true], [2, false], [3, true], [4, false]]);
});

function harness() {
  const store = new Store();
  store.setMe(alice);
  store.setRooms([room(1), room(2)]);
  const sent = [];
  const rest = [];
  const socket = { up: true, send(frame) { if (!this.up) return false; sent.push(frame); return true; }, subscribe: Socket.prototype.subscribe, stop() {} };
  const api = { sendMessage: async (...args) => { rest.push(args); return msg(90, 9, alice, { room_id: args[0], client_id: args[2], body: args[1] }); } };
  const sync = new Sync({ store, api, drafts: fakeDrafts(), toast: () => {}, navigate: () => {}, onMessage: () => {}, setTimeout: () => 0, clearTimeout: () => {} });
  sync.connect(socket);
  return { store, sync, socket, sent, rest };
}

test('it goes out with also_to_room: true beside reply_to, over the socket or REST; never without the box, never without a root', async () => {
  const h = harness();
  h.sync.send(1, 'to both', [], 10, true);
  h.sync.send(2, 'thread only', [], 10, false);
  assert.deepEqual(h.sent.map(({ client_id: _, ...f }) => f), [
    { type: 'send', room_id: 1, body: 'to both', reply_to: 10, also_to_room: true },
    { type: 'send', room_id: 2, body: 'thread only', reply_to: 10 },
  ]);
  h.socket.up = false;
  h.sync.send(3, 'over REST', [], 11, true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.rest.map((a) => [a[0], a[4], a[5]]), [[3, 11, true]]);
});

test('the REST body: also_to_room only with reply_to and the box ticked', async () => {
  const bodies = [];
  const storage = new Map([['confab.tokens', JSON.stringify({ access_token: 'x', refresh_token: 'y', expires_at: Date.now() + 3600e3, expires_in: 3600 })]]);
  const api = new Api({
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v), removeItem: (k) => storage.delete(k) },
    fetchImpl: async (url, init) => { bodies.push(JSON.parse(init.body)); return { ok: true, status: 201, json: async () => ({}) }; },
  });
  await api.sendMessage(1, 'a', 'c1', [], 10, true);
  await api.sendMessage(1, 'b', 'c2', [], 10, false);
  await api.sendMessage(1, 'c', 'c3', [], null, true);
  assert.deepEqual(bodies, [
    { body: 'a', client_id: 'c1', reply_to: 10, also_to_room: true },
    { body: 'b', client_id: 'c2', reply_to: 10 },
    { body: 'c', client_id: 'c3' },
  ]);
});
