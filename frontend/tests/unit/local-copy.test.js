// The local copy (local-copy.js) on fake-indexeddb: each room's run of messages bounded to its
// newest MAX_MESSAGES, what is kept of a timeline (not replies, not a jump's pages), the copy
// written by following the store (the outbox at once, the rest in one later write) and read back
// for the same person only, and wiped whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { LocalCopy, follow, bounded, timelineRecord, MAX_MESSAGES } from '../../js/local-copy.js';
import { Store } from '../../js/store.js';

const alice = { id: 1, username: 'alice' };
const bob = { id: 2, username: 'bob' };
const room = (id) => ({ id, name: 'r' + id, kind: 'room', visibility: 'public', joined: true, member_count: 2, unread_count: 1, last_read_seq: 3 });
const msg = (seq, extra = {}) => ({ id: 100 + seq, room_id: 1, seq, author: bob, body: 'm' + seq, client_id: null, reactions: [], deleted: false, edited_at: null, reply_to: null, ...extra });
const tick = () => new Promise((r) => setTimeout(r, 0));
const outbox = (copy) => new Promise((r) => { const q = copy.tx(['outbox']).objectStore('outbox').getAll(); q.onsuccess = () => r(q.result); });

/** A store and the copy following it, with a timer run by hand (`due()`). */
async function setup(idb = new IDBFactory()) {
  const store = new Store();
  store.setMe(alice);
  store.setRooms([room(1), room(2)]);
  const copy = await LocalCopy.open(idb);
  let timer = null;
  const keeper = follow(store, copy, { setTimeout: (fn) => { timer = fn; return 1; }, clearTimeout: () => { timer = null; } });
  const due = async () => { if (timer) await keeper.flush(); await tick(); };
  return { idb, store, copy, keeper, due };
}

test('a room keeps its newest MAX_MESSAGES messages, by seq; older ones are said to be on the server', () => {
  const many = Array.from({ length: 600 }, (_, i) => msg(600 - i)); // newest first
  const b = bounded(many, false);
  assert.equal(MAX_MESSAGES, 500);
  assert.equal(b.messages.length, 500);
  assert.deepEqual([b.messages[0].seq, b.messages.at(-1).seq], [101, 600]);
  assert.equal(b.has_more, true);
  assert.deepEqual(bounded([msg(2), msg(1)], false), { messages: [msg(1), msg(2)], has_more: false });
  assert.equal(bounded([msg(1)], true).has_more, true, 'older history known to exist stays known');
});

test('what is kept of a timeline: its run up to the live end without replies or roots known from a thread; nothing for a jump\'s pages', () => {
  const s = new Store();
  s.setMe(alice);
  assert.equal(timelineRecord(1, s.timeline(1)), null, 'not loaded');
  s.applyHistory(1, [msg(1), msg(2), msg(3, { reply_to: 101 }), msg(4, { reply_to: 101, also_to_room: true })], false);
  s.applyThread(1, 150, [msg(50, { id: 150 })], false);
  assert.deepEqual(timelineRecord(1, s.timeline(1)).messages.map((m) => m.seq), [1, 2, 4]);
  s.applyAround(1, [msg(1)], false, true);
  assert.equal(timelineRecord(1, s.timeline(1)), null, 'a hole before the live end');
});

test('the copy follows the store: sends at once, the session, runs and members in one later write; read back by its person only', async () => {
  const { idb, store, copy, due } = await setup();
  store.applyHistory(1, [msg(1), msg(2)], true);
  store.setMembers(1, [{ user: bob, role: 'member', online: true }]);
  store.setDmPeer(2, bob);
  store.setUserSeq(12);
  store.addPending(1, 'on its way', 'c1');
  await tick();
  assert.deepEqual((await outbox(copy)).map((r) => r.client_id), ['c1'], 'the send is kept before the rest is written');
  await due();
  const kept = await (await LocalCopy.open(idb)).load(1);
  assert.deepEqual(kept.me, alice);
  assert.deepEqual(kept.rooms.map((r) => [r.id, r.unread_count, r.last_read_seq]), [[1, 1, 3], [2, 1, 3]]);
  assert.deepEqual(kept.cursors, [[1, 2]]);
  assert.equal(kept.userSeq, 12);
  assert.deepEqual(kept.peers, [[2, bob]]);
  assert.deepEqual(kept.members, [[1, [{ user: bob, role: 'member', online: false }]]], 'presence is not kept: it is the server\'s');
  assert.deepEqual(kept.kept, [1]);
  assert.deepEqual((await copy.timeline(1)).messages.map((m) => m.seq), [1, 2]);
  assert.equal((await copy.timeline(1)).has_more, true);
  assert.equal(await copy.load(2), null, 'someone else signing in finds nothing');
  // The ack: the send leaves the outbox at once; the message joins the run with the next write.
  store.applyAck({ client_id: 'c1', message: msg(3, { author: alice, client_id: 'c1', body: 'on its way' }) });
  store.advanceCursor(1, 3);
  await tick();
  assert.deepEqual(await outbox(copy), []);
  await due();
  assert.deepEqual((await copy.timeline(1)).messages.map((m) => m.body), ['m1', 'm2', 'on its way']);
  assert.deepEqual((await copy.load(1)).cursors, [[1, 3]]);
});

test('a start from the copy: the store as it was, the open room\'s run at once and the others later, unless their cache was dropped meanwhile', async () => {
  const first = await setup();
  first.store.applyHistory(1, [msg(1), msg(2)], false);
  first.store.applyHistory(2, [msg(7, { room_id: 2 })], false);
  await first.due();
  const copy = await LocalCopy.open(first.idb);
  const kept = await copy.load(1);
  const store = new Store();
  store.restore(kept);
  assert.deepEqual([...store.kept].sort(), [1, 2]);
  store.restoreTimeline(1, (await copy.timeline(1)).messages, false);
  assert.deepEqual(store.messages(1).map((m) => m.seq), [1, 2]);
  assert.equal(store.timeline(1).loaded, true);
  store.dropRoomCache(2); // its replay was too long: the run no longer joins the cursor
  for (const r of await copy.timelines()) store.restoreTimeline(r.room_id, r.messages, r.has_more);
  assert.equal(store.timeline(2).loaded, false);
  assert.deepEqual(store.messages(1).map((m) => m.seq), [1, 2], 'restored once');
  // A kept run still to restore is not overwritten by the state of a room that is not loaded yet.
  const again = await LocalCopy.open(first.idb);
  const keeper = follow(store, again, { setTimeout: () => 1, clearTimeout: () => {} });
  store.kept.add(2);
  store.emit('timeline', 2);
  await keeper.flush();
  assert.deepEqual((await again.timeline(2)).messages.map((m) => m.seq), [7]);
});

test('a timeline that is no run any more (a jump\'s pages, a room left) is dropped from the copy; wiping deletes the whole database', async () => {
  const { idb, store, copy, keeper, due } = await setup();
  store.applyHistory(1, [msg(1)], false);
  store.applyHistory(2, [msg(7, { room_id: 2 })], false);
  await due();
  store.applyAround(1, [msg(1)], false, true);
  store.leaveRoom(2);
  await due();
  assert.equal(await copy.timeline(1), undefined);
  assert.equal(await copy.timeline(2), undefined);
  keeper.stop();
  await LocalCopy.wipe(idb, copy);
  assert.deepEqual(await idb.databases(), []);
  assert.equal(await (await LocalCopy.open(idb)).load(1), null);
  assert.equal(await LocalCopy.open(null), null, 'no IndexedDB (some private modes): no copy');
});
