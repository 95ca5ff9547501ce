// The outbox without IndexedDB: the records kept of pending sends, what changed since the last
// write, and the order they come back in (each room's queue as written), so a reload resends them
// in order with their client ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outboxOf, outboxChanges, outboxVersions, restoreOrder } from '../../js/outbox.js';
import { Store } from '../../js/store.js';

const alice = { id: 1, username: 'alice' };
const file = { id: 9, name: 'a.png', size: 10, content_type: 'image/png' };

test('each pending send is kept with its client id, body, files, thread and place in the queue; not its author', () => {
  const s = new Store();
  s.setMe(alice);
  s.addPending(1, 'one', 'c1', { now: new Date('2026-01-01T00:00:00Z') });
  s.addPending(2, 'with a file', 'c2', { attachments: [file], replyTo: 44, alsoToRoom: true, now: new Date('2026-01-01T00:00:01Z') });
  assert.deepEqual([...outboxOf(s).values()], [
    { client_id: 'c1', room_id: 1, body: 'one', attachments: [], reply_to: null, also_to_room: false, status: 'pending', reason: '', created_at: '2026-01-01T00:00:00.000Z', order: 1 },
    { client_id: 'c2', room_id: 2, body: 'with a file', attachments: [file], reply_to: 44, also_to_room: true, status: 'pending', reason: '', created_at: '2026-01-01T00:00:01.000Z', order: 2 },
  ]);
});

test('what to write: new and changed sends (a refusal, a retry\'s new place), and the acked or discarded ones to delete', () => {
  const s = new Store();
  s.setMe(alice);
  for (const n of [1, 2, 3]) s.addPending(1, `m${n}`, `c${n}`);
  let written = outboxVersions(outboxOf(s));
  assert.deepEqual(outboxChanges(new Map(), outboxOf(s)).put.map((r) => r.client_id), ['c1', 'c2', 'c3']);
  assert.deepEqual(outboxChanges(written, outboxOf(s)), { put: [], del: [] }, 'nothing changed: nothing written');
  s.applyAck({ client_id: 'c1', message: { id: 5, room_id: 1, seq: 1, author: alice, body: 'm1', client_id: 'c1', reactions: [] } });
  s.failPending('c2', 'too long');
  let changes = outboxChanges(written, outboxOf(s));
  assert.deepEqual(changes.del, ['c1']);
  assert.deepEqual(changes.put.map((r) => [r.client_id, r.status, r.reason]), [['c2', 'failed', 'too long']]);
  written = outboxVersions(outboxOf(s));
  s.requeuePending('c2');
  changes = outboxChanges(written, outboxOf(s));
  assert.deepEqual(changes.put.map((r) => [r.client_id, r.status, r.order]), [['c2', 'pending', 4]], 'a retry goes to the end of the queue');
  written = outboxVersions(outboxOf(s));
  s.discardPending('c3');
  assert.deepEqual(outboxChanges(written, outboxOf(s)), { put: [], del: ['c3'] });
});

test('after a reload the sends come back in the order they were written, refused ones still refused, and the queue goes on after them', () => {
  const s = new Store();
  s.setMe(alice);
  for (let n = 1; n <= 20; n++) s.addPending(n % 2 ? 1 : 2, `queued ${n}`, `c${n}`);
  s.failPending('c4', 'refused');
  // IndexedDB hands records back by key (client_id), not in the order written.
  const shuffled = [...outboxOf(s).values()].sort((a, b) => (a.client_id < b.client_id ? -1 : 1));
  const again = new Store();
  again.restore({ me: alice, rooms: [], cursors: [], members: [], peers: [], userSeq: 3, outbox: restoreOrder(shuffled), kept: [] });
  const queue = (roomId) => again.messages(roomId).map((m) => m.body);
  assert.deepEqual(queue(1), Array.from({ length: 10 }, (_, i) => `queued ${2 * i + 1}`));
  assert.deepEqual(queue(2), Array.from({ length: 10 }, (_, i) => `queued ${2 * i + 2}`));
  assert.equal(again.nextPending(1).client_id, 'c1');
  assert.equal(again.nextPending(2).client_id, 'c2', 'its head: the first written');
  assert.equal(again.findPending('c4').p.status, 'failed');
  assert.equal(again.findPending('c4').p.author, alice);
  assert.equal(again.addPending(1, 'after the reload', 'c21').order, 21, 'queue positions continue after the kept ones');
  // The server answers a resend with the original: the kept send becomes the message, shown once.
  again.applyAck({ client_id: 'c1', message: { id: 70, room_id: 1, seq: 1, author: alice, body: 'queued 1', client_id: 'c1', reactions: [] } });
  again.mergeMessage(1, { id: 70, room_id: 1, seq: 1, author: alice, body: 'queued 1', client_id: 'c1', reactions: [] });
  assert.equal(again.messages(1).filter((m) => m.body === 'queued 1').length, 1);
});
