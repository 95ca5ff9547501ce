import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sync, TYPING_EVERY_MS, SEND_TIMEOUT_MS, REST_CATCH_UP, finalStatus } from '../../js/sync.js';
import { Store } from '../../js/store.js';
import { Socket } from '../../js/socket.js';
import { fakeDrafts } from './fakes.js';

const alice = { id: 1, username: 'alice', created_at: '2026-01-01T00:00:00Z' };
const bob = { id: 2, username: 'bob', created_at: '2026-01-01T00:00:00Z' };
const room = (id, extra = {}) => ({ id, name: 'r' + id, topic: null, visibility: 'public', kind: 'room', member_count: 2, joined: true, role: 'member', last_seq: 0, unread_count: 0, created_at: '2026-01-01T00:00:00Z', ...extra });
const dm = (id) => room(id, { kind: 'direct', visibility: 'private', name: 'dm:' + id });
const msg = (id, seq, author = bob, extra = {}) => ({ id, room_id: 1, seq, author, body: 'm' + id, client_id: 'c' + id, created_at: new Date(Date.UTC(2026, 0, 1, 10, 0, seq)).toISOString(), edited_at: null, deleted: false, ...extra });
const change = (seq, m, roomId = 1) => ({ type: 'message', room_id: roomId, seq, message: { ...m, room_id: roomId } });
const subscribed = (roomId, head, truncated = false) => ({ type: 'subscribed', room_id: roomId, head_seq: head, replay_truncated: truncated });
const problem = (status, detail) => Object.assign(new Error(detail), { status, detail });
const tick = () => new Promise((r) => setImmediate(r));

// A socket that records frames; `up = false` is a socket that is not connected. subscribe is the real one.
function fakeSocket() {
  return {
    up: true, sent: [], stopped: 0,
    send(frame) { if (!this.up) return false; this.sent.push(frame); return true; },
    subscribe: Socket.prototype.subscribe,
    stop() { this.stopped++; },
  };
}

// An API client that records calls; `overrides` replace the default answers.
function fakeApi(overrides) {
  const calls = [];
  const answers = {
    history: async () => ({ messages: [], has_more: false }),
    members: async () => ({ members: [] }),
    allRooms: async () => [],
    room: async (id) => room(id),
    leaveRoom: async () => null,
    sendMessage: async (roomId, body, clientId) => msg(90, 1, alice, { room_id: roomId, body, client_id: clientId }),
    markRead: async () => null,
    react: async () => null,
    ...overrides,
  };
  const api = { calls };
  for (const [name, fn] of Object.entries(answers)) api[name] = (...args) => { calls.push([name, ...args]); return fn(...args); };
  return api;
}

function harness({ api, rooms = [room(1), room(2, { visibility: 'private' })] } = {}) {
  const store = new Store();
  store.setMe(alice);
  store.setRooms(rooms);
  store.setUserSeq(7);
  const socket = fakeSocket();
  const toasts = []; const routes = []; const incoming = []; const timers = [];
  const clock = { now: 0 };
  const drafts = fakeDrafts();
  const sync = new Sync({
    store, api: fakeApi(api), drafts, toast: (t) => toasts.push(t), navigate: (r) => routes.push(r), onMessage: (m) => incoming.push(m),
    setTimeout: (fn, ms) => timers.push({ fn, ms }), clearTimeout: () => {}, now: () => clock.now,
  });
  sync.connect(socket);
  return { store, socket, sync, api: sync.api, drafts, toasts, routes, incoming, timers, clock };
}
const calls = (h, name) => h.api.calls.filter((c) => c[0] === name).map((c) => c.slice(1));

test('ready resumes my user stream from its cursor, subscribes to my rooms (and the open one) from theirs and resends pending sends', async () => {
  const h = harness({ rooms: [room(1), room(2), dm(5), room(7, { joined: false })] });
  h.store.advanceCursor(1, 4);
  h.store.setActiveRoom(7);
  h.store.addPending(2, 'hi', 'c1');
  await h.sync.onReady(alice, 12);
  assert.deepEqual(h.socket.sent, [
    { type: 'subscribe', room_id: 1, after_seq: 4 },
    { type: 'subscribe', room_id: 2 },
    { type: 'subscribe', room_id: 5 },
    { type: 'subscribe', room_id: 7 },
    { type: 'send', room_id: 2, client_id: 'c1', body: 'hi' },
    { type: 'sync', after_user_seq: 7 },
  ]);
  assert.deepEqual(calls(h, 'allRooms'), [], 'the user stream brings what changed in my rooms');
});

test('a later ready resumes too (online states reloaded); only a replay too long reloads my rooms and drafts over REST', async () => {
  const h = harness({ api: { allRooms: async () => [room(1), dm(3)] } });
  h.store.setActiveRoom(1);
  await h.sync.onReady(alice, 7);
  h.socket.sent.length = 0;
  await h.sync.onReady(alice, 7);
  assert.deepEqual(h.socket.sent.at(-1), { type: 'sync', after_user_seq: 7 });
  assert.deepEqual(calls(h, 'members'), [[1]]);
  await h.sync.onEvent({ type: 'synced', head_user_seq: 7, replay_truncated: false });
  assert.deepEqual(calls(h, 'allRooms'), []);
  h.socket.sent.length = 0;
  await h.sync.onEvent({ type: 'synced', head_user_seq: 30, replay_truncated: true });
  assert.deepEqual(calls(h, 'allRooms'), [[{ joined: true }]]);
  assert.deepEqual(h.socket.sent, [{ type: 'subscribe', room_id: 3 }], 'a room I was added to meanwhile');
  assert.deepEqual(calls(h, 'members'), [[1], [3]]);
  assert.deepEqual(h.store.directRooms().map((r) => r.id), [3]);
  assert.deepEqual(h.drafts.told.filter((t) => t[0] === 'reload'), [['reload']]);
  assert.equal(h.store.userSeq, 30);
  assert.deepEqual(h.drafts.told.at(-1), ['flush'], 'drafts typed offline go out once resumed');
});

test('without a cursor (a first start whose REST failed) it resumes from the connection\'s head and reloads over REST; a head below mine too', async () => {
  const h = harness({ api: { allRooms: async () => [room(1)] } });
  h.store.setUserSeq(null);
  await h.sync.onReady(alice, 42);
  assert.deepEqual(h.socket.sent.at(-1), { type: 'sync', after_user_seq: 42 });
  await h.sync.onEvent({ type: 'synced', head_user_seq: 42, replay_truncated: false });
  assert.equal(calls(h, 'allRooms').length, 1);
  assert.equal(h.store.userSeq, 42);
  await h.sync.onReady(alice, 3); // a server restored from an older backup
  await h.sync.onEvent({ type: 'synced', head_user_seq: 3, replay_truncated: false });
  assert.equal(calls(h, 'allRooms').length, 2);
  assert.equal(h.store.userSeq, 3);
});

test('a long gap is caught up over REST (pages in order, in the queue of my events), then `sync` replays the rest from there', async () => {
  const level = (seq, l) => ({ type: 'notification_level', room_id: 1, level: l, user_seq: seq });
  const pages = { 7: { events: [level(8, 'none'), level(9, 'all')], more: true }, 9: { events: [level(10, 'mentions')], more: false } };
  const h = harness({ api: { userStream: async (after) => ({ head_user_seq: 1500, replay_truncated: false, ...pages[after] }) } });
  await h.sync.onReady(alice, 7 + REST_CATCH_UP + 1);
  assert.deepEqual(h.socket.sent.filter((f) => f.type === 'sync'), [], 'not before the REST pages');
  h.sync.onEvent(level(1500, 'none')); // live, meanwhile: applied after the pages
  await h.sync.userEvents;
  assert.deepEqual(calls(h, 'userStream'), [[7], [9]]);
  assert.deepEqual(h.socket.sent.filter((f) => f.type === 'sync'), [{ type: 'sync', after_user_seq: 10 }]);
  assert.equal(h.store.rooms.get(1).notify, 'none');
  assert.equal(h.store.userSeq, 7, 'the cursor moves at synced');
  await h.sync.onEvent({ type: 'synced', head_user_seq: 1500, replay_truncated: false });
  assert.equal(h.store.userSeq, 1500);
});

test('a REST catch-up past what the server keeps, or failing, leaves the rest to `sync`; a connection gone meanwhile sends nothing', async () => {
  const truncated = harness({ api: { userStream: async () => ({ events: [], head_user_seq: 99999, replay_truncated: true, more: false }) } });
  await truncated.sync.onReady(alice, 99999);
  await truncated.sync.userEvents;
  assert.deepEqual(truncated.socket.sent.at(-1), { type: 'sync', after_user_seq: 7 });
  let fail = false;
  const flaky = harness({ api: { userStream: async () => { if (fail) throw problem(0, 'unreachable'); fail = true; return { events: [{ type: 'read', room_id: 1, seq: 3, user_seq: 8 }], more: true, replay_truncated: false }; } } });
  await flaky.sync.onReady(alice, 5000);
  await flaky.sync.userEvents;
  assert.deepEqual(flaky.socket.sent.at(-1), { type: 'sync', after_user_seq: 8 });
  const gone = harness({ api: { userStream: async () => ({ events: [], more: false, replay_truncated: false }) } });
  await gone.sync.onReady(alice, 5000);
  gone.sync.disconnect();
  await gone.sync.userEvents;
  assert.deepEqual(gone.socket.sent.filter((f) => f.type === 'sync'), []);
});

test('a replay too long whose REST reload fails leaves the cursor where it was, for the next connection', async () => {
  const h = harness({ api: { allRooms: async () => { throw problem(0, 'unreachable'); } } });
  await h.sync.onReady(alice, 7);
  await h.sync.onEvent({ type: 'synced', head_user_seq: 30000, replay_truncated: true });
  assert.equal(h.store.userSeq, 7);
  await h.sync.onEvent({ type: 'notification_level', room_id: 1, level: 'none', user_seq: 30001 });
  assert.equal(h.store.userSeq, 7, 'live events apply, the cursor does not jump the gap');
  assert.equal(h.store.rooms.get(1).notify, 'none');
});

test('my user stream: applied in order, the cursor moved once the replay is in; after it, repeats are ignored', async () => {
  const h = harness();
  await h.sync.onReady(alice, 9);
  const level = (seq, l) => ({ type: 'notification_level', room_id: 1, level: l, user_seq: seq });
  // Live events may come before the replay (which repeats them): all are applied, in the order they come.
  h.sync.onEvent(level(9, 'none'));
  h.sync.onEvent(level(8, 'mentions'));
  h.sync.onEvent({ type: 'draft_updated', room_id: 2, body: 'hi', user_seq: 9 });
  h.sync.onEvent(level(9, 'none'));
  assert.equal(h.store.userSeq, 7, 'not before the state it describes is in');
  await h.sync.onEvent({ type: 'synced', head_user_seq: 9, replay_truncated: false });
  assert.equal(h.store.rooms.get(1).notify, 'none');
  assert.equal(h.store.userSeq, 9);
  assert.deepEqual(h.drafts.told.filter((t) => t[0] === 'serverChanged'), [['serverChanged', 2, 'hi', 9]]);
  await h.sync.onEvent(level(9, 'all'));
  assert.equal(h.store.rooms.get(1).notify, 'none', 'a repeat is not applied');
  await h.sync.onEvent(level(10, 'mentions'));
  assert.equal(h.store.rooms.get(1).notify, 'mentions');
  assert.equal(h.store.userSeq, 10);
  // The same kinds of events from a room subscription (no user_seq) apply as before, the cursor stays.
  await h.sync.onEvent({ type: 'member_joined', room_id: 1, user: bob });
  assert.equal(h.store.userSeq, 10);
});

test('my joining replayed for a room I have: no fetch; a new one is fetched and subscribed', async () => {
  const h = harness({ api: { room: async (id) => room(id) } });
  await h.sync.onReady(alice, 7);
  await h.sync.onEvent({ type: 'synced', head_user_seq: 7, replay_truncated: false });
  h.socket.sent.length = 0;
  await h.sync.onEvent({ type: 'member_joined', room_id: 1, user: alice, user_seq: 8 });
  assert.deepEqual(calls(h, 'room'), []);
  await h.sync.onEvent({ type: 'member_joined', room_id: 9, user: alice, user_seq: 9 });
  assert.deepEqual(calls(h, 'room'), [[9]]);
  assert.deepEqual(h.socket.sent, [{ type: 'subscribe', room_id: 9 }]);
  assert.equal(h.store.userSeq, 9);
});

test('a send tells the drafts: a message clears its room\'s draft, a thread reply leaves it', () => {
  const h = harness();
  h.sync.send(1, 'hello');
  h.sync.send(1, 'in a thread', [], 44);
  assert.deepEqual(h.drafts.told, [['sent', 1]]);
});

test('change events: applied ones reach the store, a gap resubscribes from the cursor', async () => {
  const h = harness();
  h.store.setActiveRoom(1);
  await h.sync.onEvent(subscribed(1, 0));
  await h.sync.onEvent(subscribed(2, 0));
  await h.sync.onEvent(change(1, msg(10, 1, bob)));
  await h.sync.onEvent(change(2, msg(11, 2, alice)));
  await h.sync.onEvent(change(1, msg(12, 1, bob), 2));
  assert.deepEqual(h.incoming.map((m) => m.id), [10], 'only others\' new messages in the open room are announced');
  assert.deepEqual(h.store.messages(1).map((m) => m.id), [10, 11]);
  assert.equal(h.store.rooms.get(2).unread_count, 1);
  await h.sync.onEvent(change(5, msg(13, 5, bob)));
  assert.deepEqual(h.socket.sent, [{ type: 'subscribe', room_id: 1, after_seq: 2 }]);
  assert.equal(h.store.messages(1).length, 2);
});

test('behind: at most three resubscribes per connection, then the head wins; a new connection starts over', async () => {
  const h = harness();
  h.store.applyHistory(1, [msg(1, 1), msg(2, 2)], false);
  for (let i = 0; i < 4; i++) await h.sync.onEvent(subscribed(1, 4));
  assert.deepEqual(h.socket.sent, Array(3).fill({ type: 'subscribe', room_id: 1, after_seq: 2 }));
  assert.equal(h.store.cursor(1), 4);
  await h.sync.onReady(alice);
  h.socket.sent.length = 0;
  await h.sync.onEvent(subscribed(1, 6));
  assert.deepEqual(h.socket.sent, [{ type: 'subscribe', room_id: 1, after_seq: 4 }]);
});

test('a truncated replay reloads the open room\'s newest page; a head below the cursor resets a room', async () => {
  const h = harness({ api: { history: async () => ({ messages: [msg(100, 9000)], has_more: true }) } });
  h.store.setActiveRoom(1);
  await h.sync.onEvent(subscribed(1, 10));
  await h.sync.onEvent(change(11, msg(5, 11)));
  await h.sync.onEvent(subscribed(1, 9000, true));
  assert.deepEqual(calls(h, 'history'), [[1, { limit: 50 }]]);
  assert.deepEqual(h.store.messages(1).map((m) => m.id), [100]);
  assert.equal(h.store.cursor(1), 9000);

  await h.sync.onEvent(subscribed(2, 8));
  await h.sync.onEvent(subscribed(2, 3));
  assert.equal(calls(h, 'history').length, 1, 'a room not open loads when it is opened');
  assert.equal(h.store.cursor(2), 3);
});

test('a room\'s sends go one at a time, in order; each ack writes the next', async () => {
  const h = harness();
  h.sync.send(1, 'one');
  h.sync.send(1, 'two');
  h.sync.send(2, 'other room');
  const sends = () => h.socket.sent.filter((f) => f.type === 'send').map((f) => f.body);
  assert.deepEqual(sends(), ['one', 'other room']);
  const [first] = h.store.messages(1);
  await h.sync.onEvent({ type: 'ack', client_id: first.client_id, message: msg(50, 1, alice, { body: 'one', client_id: first.client_id }) });
  assert.deepEqual(sends(), ['one', 'other room', 'two']);
  assert.deepEqual(h.store.messages(1).map((m) => [m.body, m.pending]), [['one', undefined], ['two', 'pending']]);
});

test('transient refusals are written again after a pause; final ones wait for the person with the reason', async () => {
  const h = harness();
  h.sync.send(1, 'x');
  const cid = h.store.messages(1)[0].client_id;
  await h.sync.onEvent({ type: 'error', code: 'rate_limited', message: 'slow down', client_id: cid });
  assert.equal(h.store.messages(1)[0].pending, 'pending', 'no manual retry for a transient failure');
  assert.deepEqual(h.timers.map((t) => t.ms), [1000]);
  h.timers[0].fn();
  assert.equal(h.socket.sent.filter((f) => f.client_id === cid).length, 2, 'the same client_id again');
  await h.sync.onEvent({ type: 'error', code: 'service_unavailable', message: 'busy', client_id: cid });
  assert.equal(h.timers.at(-1).ms, 2000);
  await h.sync.onEvent({ type: 'error', code: 'validation_failed', message: 'body is too long', client_id: cid });
  assert.deepEqual(h.store.messages(1).map((m) => [m.pending, m.reason]), [['failed', 'body is too long']]);
  assert.deepEqual(h.toasts, ['Message not sent: body is too long']);
  await h.sync.onEvent({ type: 'error', code: 'not_found', message: 'no such room' });
  await h.sync.onEvent({ type: 'error', code: 'internal_error', message: 'boom' });
  assert.deepEqual(h.toasts.slice(1), ['boom']);
  h.sync.retry(cid);
  assert.equal(h.store.messages(1)[0].pending, 'pending');
  assert.equal(h.socket.sent.filter((f) => f.client_id === cid).length, 3);
});

test('an unanswered send is written again on the next connection and after the timeout, never twice at once', async () => {
  const h = harness();
  h.sync.send(1, 'lost');
  const cid = h.store.messages(1)[0].client_id;
  const count = () => h.socket.sent.filter((f) => f.client_id === cid).length;
  h.sync.pumpAll();
  assert.equal(count(), 1, 'on its way: not written again');
  await h.sync.onReady(alice);
  assert.equal(count(), 2, 'a new connection writes it again');
  h.clock.now = SEND_TIMEOUT_MS + 1;
  h.sync.pumpAll();
  assert.equal(count(), 3, 'no answer in time: written again');
  const idx = h.socket.sent.findIndex((f) => f.type === 'subscribe');
  assert.ok(idx >= 0 && idx < h.socket.sent.findLastIndex((f) => f.client_id === cid), 'resent after the subscribes');
});

test('a send carries its files on every write: the socket frame, the resend after a reconnect, REST, a retry', async () => {
  const files = [{ id: 5, name: 'a.png' }, { id: 6, name: 'b.txt' }];
  const h = harness({ api: { sendMessage: async () => { throw problem(409, 'already attached'); } } });
  h.sync.send(1, '', files);
  const [pending] = h.store.messages(1);
  assert.deepEqual(pending.attachments, files, 'the pending message shows its files');
  const frames = () => h.socket.sent.filter((f) => f.type === 'send');
  assert.deepEqual(frames(), [{ type: 'send', room_id: 1, client_id: pending.client_id, body: '', attachments: [5, 6] }]);
  await h.sync.onReady(alice);
  assert.deepEqual(frames()[1], frames()[0], 'the same client_id and files again');
  h.socket.up = false;
  h.clock.now = SEND_TIMEOUT_MS + 1;
  h.sync.pumpAll();
  await tick();
  assert.deepEqual(calls(h, 'sendMessage'), [[1, '', pending.client_id, [5, 6], null, false]]);
  assert.deepEqual(h.store.messages(1).map((m) => [m.pending, m.reason]), [['failed', 'already attached']]);
  h.socket.up = true;
  h.sync.retry(pending.client_id);
  assert.deepEqual(frames()[2], frames()[0], 'a retry too');
  h.sync.send(1, 'plain');
  await h.sync.onEvent({ type: 'ack', client_id: pending.client_id, message: msg(50, 1, alice, { body: '', client_id: pending.client_id, attachments: files }) });
  assert.equal('attachments' in frames()[3], false, 'a send without files leaves the field out');
  assert.deepEqual(h.store.messages(1)[0].attachments, files);
});

test('typing, presence, read and room updates reach the store', async () => {
  const h = harness();
  await h.sync.onEvent({ type: 'typing', room_id: 1, user: bob });
  assert.deepEqual(h.store.typingNames(1), ['bob']);
  await h.sync.onEvent({ type: 'presence', user: bob, online: true });
  assert.ok(h.store.isOnline(2));
  h.store.bumpUnread(1);
  await h.sync.onEvent({ type: 'read', room_id: 1, seq: 3 });
  assert.equal(h.store.rooms.get(1).unread_count, 0);
  assert.equal(h.store.rooms.get(1).last_read_seq, 3, 'my marker moved on another connection');
  await h.sync.onEvent({ type: 'room_updated', room: room(1, { name: 'renamed', joined: false }) });
  assert.deepEqual([h.store.rooms.get(1).name, h.store.rooms.get(1).joined], ['renamed', true]);
});

test('members: a newcomer is listed (with their online state where I am a member); I am added to a room I did not know', async () => {
  const owner = { user: alice, role: 'owner', online: true };
  const h = harness({
    rooms: [room(1), room(3, { joined: false })],
    api: {
      room: async (id) => room(id, { name: 'new' }),
      members: async () => ({ members: [owner, { user: bob, role: 'member', online: true }] }),
    },
  });
  h.store.setMembers(1, [owner]);
  await h.sync.onEvent({ type: 'member_joined', room_id: 1, user: bob });
  assert.deepEqual(h.store.members.get(1).map((m) => m.user.id), [1, 2]);
  assert.deepEqual(calls(h, 'members'), [[1]]);
  assert.ok(h.store.isOnline(bob.id));
  h.store.setMembers(3, [owner]);
  await h.sync.onEvent({ type: 'member_joined', room_id: 3, user: bob });
  assert.deepEqual(h.store.members.get(3).map((m) => m.user.id), [1, 2]);
  assert.equal(calls(h, 'members').length, 1, 'presence does not flow from a room I have not joined');
  await h.sync.onEvent({ type: 'member_joined', room_id: 9, user: alice });
  assert.equal(h.store.rooms.get(9).name, 'new');
  assert.deepEqual(h.socket.sent, [{ type: 'subscribe', room_id: 9 }]);
  await h.sync.onEvent({ type: 'member_left', room_id: 1, user: bob });
  assert.deepEqual(h.store.members.get(1).map((m) => m.user.id), [1]);
});

test('removed from the open private room: it goes away and the route with it', async () => {
  const h = harness();
  h.store.setActiveRoom(2);
  h.sync.open(2);
  await h.sync.onEvent({ type: 'member_left', room_id: 2, user: alice });
  assert.equal(h.store.activeRoomId, null);
  assert.equal(h.store.rooms.has(2), false);
  assert.deepEqual(h.routes, [null]);
  assert.equal(h.sync.subscribed.has(2), false);
});

test('banned from the open public room: it goes, and the ban is said in the app\'s words', async () => {
  const banned = Object.assign(new Error('banned'), { status: 403, code: 'banned', detail: 'You are banned from this room.' });
  const h = harness({ api: { history: async () => { throw banned; } } });
  h.store.setActiveRoom(1);
  h.sync.subscribed.add(1);
  await h.sync.onEvent({ type: 'member_left', room_id: 1, user: alice });
  assert.deepEqual(calls(h, 'history').length, 1, 'a public room is read again: it answers banned');
  assert.deepEqual(h.toasts, ['You are banned from this room.']);
  assert.equal(h.store.rooms.has(1), false);
  assert.equal(h.store.activeRoomId, null);
  assert.deepEqual(h.routes, [null]);
  assert.equal(h.sync.subscribed.has(1), false);
});

test('removed from the open public room (not banned): it stays, to read, its history loaded again', async () => {
  const h = harness({ api: { history: async () => ({ messages: [msg(1, 1)], has_more: false }) } });
  h.store.setActiveRoom(1);
  await h.sync.onEvent({ type: 'member_left', room_id: 1, user: alice });
  assert.equal(h.store.activeRoomId, 1);
  assert.equal(h.store.rooms.get(1).joined, false);
  assert.deepEqual(h.store.messages(1).map((m) => m.id), [1]);
  assert.deepEqual(h.toasts, []);
  // A room that is not open is only marked left.
  await h.sync.onEvent({ type: 'member_left', room_id: 2, user: alice });
  assert.equal(calls(h, 'history').length, 1);
});

test('a socket refusal of a room I am banned from is left to the member events', async () => {
  const h = harness();
  await h.sync.onEvent({ type: 'error', code: 'banned', message: 'banned from this room' });
  assert.deepEqual(h.toasts, []);
  await h.sync.onEvent({ type: 'error', code: 'rate_limited', message: 'slow down' });
  assert.deepEqual(h.toasts, ['slow down']);
});

test('the open room is deleted: a notice, no route, and the room is gone', async () => {
  const h = harness();
  h.store.setActiveRoom(1);
  h.sync.open(1);
  await h.sync.onEvent({ type: 'room_deleted', room_id: 1 });
  assert.deepEqual(h.toasts, ['This room was deleted.']);
  assert.deepEqual(h.routes, [null]);
  assert.equal(h.store.rooms.has(1), false);
  assert.equal(h.store.activeRoomId, null);
  assert.equal(h.sync.subscribed.has(1), false);
});

test('without a socket, sends go over REST with the same client_id, in order; offline they wait', async () => {
  const h = harness({
    api: {
      sendMessage: async (roomId, body, clientId) => {
        if (body === 'refused') throw problem(422, 'too long');
        if (body === 'busy') throw problem(503, 'busy');
        return msg(90, 1, alice, { body, client_id: clientId });
      },
    },
  });
  h.socket.up = false;
  for (const body of ['rest', 'refused', 'busy']) h.sync.send(1, body);
  for (let i = 0; i < 5; i++) await tick();
  assert.deepEqual(calls(h, 'sendMessage').map((c) => c[1]), ['rest', 'refused', 'busy'], 'one after the other');
  assert.deepEqual(h.store.messages(1).map((m) => [m.body, m.pending]), [['rest', undefined], ['refused', 'failed'], ['busy', 'pending']]);
  assert.deepEqual(h.timers.map((t) => t.ms), [2000]);
  h.store.setConnection('offline');
  h.timers[0].fn();
  await tick();
  assert.equal(calls(h, 'sendMessage').length, 3, 'offline: no request, the next ready writes it');
  h.socket.up = true;
  await h.sync.onReady(alice);
  assert.deepEqual(h.socket.sent.filter((f) => f.type === 'send').map((f) => f.body), ['busy']);
});

test('final REST statuses: 4xx but 401, 408 and 429', () => {
  assert.deepEqual([400, 403, 404, 409, 413, 422].map(finalStatus), [true, true, true, true, true, true]);
  assert.deepEqual([0, 401, 408, 429, 500, 503].map(finalStatus), [false, false, false, false, false, false]);
});

test('read markers: sent once per new seq, over the socket or REST, for joined rooms only', async () => {
  const h = harness({ rooms: [room(1), room(7, { joined: false })] });
  await h.sync.onEvent(subscribed(1, 3));
  h.store.bumpUnread(1);
  h.sync.markRead(1);
  h.sync.markRead(1);
  assert.equal(h.store.rooms.get(1).unread_count, 0);
  assert.deepEqual(h.socket.sent, [{ type: 'read', room_id: 1, seq: 3 }]);
  await h.sync.onEvent(change(4, msg(4, 4)));
  h.socket.up = false;
  h.sync.markRead(1);
  assert.deepEqual(calls(h, 'markRead'), [[1, 4]]);
  await h.sync.onEvent(subscribed(7, 2));
  h.sync.markRead(7);
  assert.equal(calls(h, 'markRead').length, 1);
});

test('typing notices are throttled; one that could not be sent does not count', () => {
  const h = harness();
  assert.equal(h.sync.typing(1, 10000), 0);
  assert.equal(h.sync.typing(1, 11000), TYPING_EVERY_MS - 1000);
  assert.equal(h.sync.typing(1, 10000 + TYPING_EVERY_MS), 0);
  assert.deepEqual(h.socket.sent, [{ type: 'typing', room_id: 1 }, { type: 'typing', room_id: 1 }]);
  h.socket.up = false;
  assert.equal(h.sync.typing(1, 20000), 0);
  h.socket.up = true;
  assert.equal(h.sync.typing(1, 20001), 0);
  assert.equal(h.socket.sent.length, 3);
});

test('opening a room loads only what is missing; a room I lost access to is dropped', async () => {
  const h = harness({ api: { history: async (id) => { if (id === 2) throw problem(404, 'gone'); return { messages: [msg(1, 1)], has_more: false }; } } });
  await h.sync.open(1);
  await h.sync.open(1);
  assert.deepEqual(h.socket.sent, [{ type: 'subscribe', room_id: 1 }]);
  assert.deepEqual(calls(h, 'history'), [[1, { limit: 50 }]]);
  assert.deepEqual(calls(h, 'members'), [[1], [1]]);
  await h.sync.open(2);
  assert.deepEqual(h.toasts, ['You no longer have access to that room.']);
  assert.deepEqual(h.routes, [null]);
  assert.equal(h.store.rooms.has(2), false);
});

test('leaving unsubscribes; disconnecting stops the socket and later sends go over REST', async () => {
  const h = harness();
  await h.sync.leave(1);
  assert.deepEqual(calls(h, 'leaveRoom'), [[1]]);
  assert.deepEqual(h.socket.sent, [{ type: 'unsubscribe', room_id: 1 }]);
  assert.equal(h.store.rooms.get(1).joined, false);
  h.sync.disconnect();
  assert.equal(h.socket.stopped, 1);
  h.sync.send(2, 'later');
  assert.equal(calls(h, 'sendMessage').length, 1);
});

test('a marker the server already has (the read of another tab) is not sent again', async () => {
  const h = harness({ rooms: [room(1, { last_read_seq: 2 })] });
  await h.sync.onEvent(subscribed(1, 6));
  h.sync.markRead(1, 2);
  assert.deepEqual(h.socket.sent.filter((f) => f.type === 'read'), []);
  await h.sync.onEvent({ type: 'read', room_id: 1, seq: 5 });
  h.sync.markRead(1, 4);
  assert.deepEqual(h.socket.sent.filter((f) => f.type === 'read'), []);
  h.sync.markRead(1, 6);
  assert.deepEqual(h.socket.sent.filter((f) => f.type === 'read'), [{ type: 'read', room_id: 1, seq: 6 }]);
  assert.equal(h.store.rooms.get(1).last_read_seq, 6);
});

test('opening a room at a seq loads the page around it; leaving a jump loads the newest page again', async () => {
  const h = harness({
    api: {
      history: async (roomId, opts) => (opts.aroundSeq !== undefined
        ? { messages: [msg(10, 10), msg(11, 11)], has_more: true, has_more_after: true }
        : { messages: [msg(30, 30)], has_more: true }),
    },
  });
  await h.sync.open(1, { aroundSeq: 10 });
  assert.deepEqual(calls(h, 'history'), [[1, { aroundSeq: 10, limit: 50 }]]);
  assert.equal(h.store.timeline(1).hasNewer, true);
  await h.sync.open(1);
  assert.equal(calls(h, 'history').length, 1, 'loaded: nothing to fetch');
  await h.sync.open(1, { latest: true });
  assert.deepEqual(calls(h, 'history')[1], [1, { limit: 50 }]);
  assert.deepEqual(h.store.messages(1).map((m) => m.id), [30]);
  assert.equal(h.store.timeline(1).hasNewer, false);
});

test('a reaction shows at once and goes out as PUT or DELETE; clicks while one is on its way send the last wish after it', async () => {
  const answers = [];
  const h = harness({ api: { react: () => new Promise((resolve, reject) => answers.push({ resolve, reject })) } });
  h.store.applyHistory(1, [msg(10, 1, bob, { reactions: [] })], false);
  const shown = () => h.store.messages(1)[0].reactions;
  const first = h.sync.react(1, 10, '👍', true);
  assert.deepEqual(shown(), [{ emoji: '👍', count: 1, user_ids: [alice.id] }], 'at once');
  assert.deepEqual(calls(h, 'react'), [[1, 10, '👍', true]]);
  h.sync.react(1, 10, '👍', false); // off, then on again, while the PUT is on its way
  assert.deepEqual(shown(), []);
  h.sync.react(1, 10, '👍', true);
  h.sync.react(1, 10, '👍', false);
  assert.equal(calls(h, 'react').length, 1, 'one request at a time');
  answers[0].resolve(null);
  await tick();
  assert.deepEqual(calls(h, 'react'), [[1, 10, '👍', true], [1, 10, '👍', false]], 'then the last wish');
  answers[1].resolve(null);
  await first;
  assert.deepEqual(shown(), []);
  assert.equal(h.store.wantedReaction(1, 10, '👍'), undefined, 'settled');
  // The same wish as the one on its way sends nothing more.
  const again = h.sync.react(1, 10, '🎉', true);
  h.sync.react(1, 10, '🎉', false);
  h.sync.react(1, 10, '🎉', true);
  answers[2].resolve(null);
  await again;
  assert.deepEqual(calls(h, 'react').slice(2), [[1, 10, '🎉', true]]);
  assert.deepEqual(shown(), [{ emoji: '🎉', count: 1, user_ids: [alice.id] }], 'kept until the server\'s message_updated');
  assert.deepEqual(h.toasts, []);
});

test('a refused reaction rolls back and says why', async () => {
  const h = harness({ api: { react: async () => { throw problem(409, 'This message has as many different emoji as it may (20).'); } } });
  h.store.applyHistory(1, [msg(10, 1, bob, { reactions: [{ emoji: '👍', count: 1, user_ids: [bob.id] }] })], false);
  await h.sync.react(1, 10, '🎉', true);
  assert.deepEqual(h.store.messages(1)[0].reactions, [{ emoji: '👍', count: 1, user_ids: [bob.id] }]);
  assert.deepEqual(h.toasts, ['Reaction not saved: This message has as many different emoji as it may (20).']);
  assert.equal(h.sync.reacting.size, 0);
});

test('sends get client ids without crypto.randomUUID too (plain HTTP on a LAN address)', () => {
  const proto = Object.getPrototypeOf(globalThis.crypto);
  const saved = Object.getOwnPropertyDescriptor(proto, 'randomUUID');
  delete proto.randomUUID;
  try {
    const h = harness();
    h.sync.send(1, 'over plain http');
    assert.match(h.socket.sent.at(-1).client_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  } finally {
    Object.defineProperty(proto, 'randomUUID', saved);
  }
});
