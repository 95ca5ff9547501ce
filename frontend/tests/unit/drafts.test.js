// Drafts (drafts.js) with a fake API and timers: kept at once, put once typing stops, based on the
// version seen; a newer draft from another device adopted, a stale offline edit never put over a
// newer one (the 409's draft wins, the typed text kept for a restore); a send clears its room's
// draft without turning what is typed after it into a conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Drafts, SAVE_DELAY_MS } from '../../js/drafts.js';

const tick = () => new Promise((r) => setImmediate(r));
const conflict = (draft) => Object.assign(new Error('conflict'), { status: 409, code: 'conflict', draft });
const offline = () => Object.assign(new Error('unreachable'), { status: 0 });

/** The server's side: drafts by room with their user_seq (one head for all), and what was put. */
function harness({ fail = null } = {}) {
  const server = { head: 10, drafts: new Map(), puts: [] };
  const api = {
    async putDraft(roomId, body, base) {
      server.puts.push([roomId, body, base]);
      if (fail) throw fail();
      const cur = server.drafts.get(roomId) || { room_id: roomId, body: '', user_seq: 0 };
      if (cur.user_seq > base) throw conflict(cur);
      const stored = { room_id: roomId, body, user_seq: ++server.head };
      server.drafts.set(roomId, stored);
      return stored;
    },
    async drafts() { return { drafts: [...server.drafts.values()].filter((d) => d.body), user_seq: server.head }; },
  };
  const timers = new Map();
  let next = 1;
  const saved = []; const changed = [];
  const drafts = new Drafts({
    api, save: (r) => saved.push(r), onChange: (id) => changed.push(id),
    setTimeout: (fn, ms) => { timers.set(next, { fn, ms }); return next++; }, clearTimeout: (id) => timers.delete(id),
  });
  /** Runs the timers due (the debounce), then lets the answers in. */
  const later = async () => { const due = [...timers.values()]; timers.clear(); for (const t of due) t.fn(); await tick(); };
  /** Another device writes the room's draft. */
  const elsewhere = (roomId, body) => { const d = { room_id: roomId, body, user_seq: ++server.head }; server.drafts.set(roomId, d); return { type: 'draft_updated', ...d }; };
  return { server, api, drafts, timers, saved, changed, later, elsewhere, setFail: (f) => { fail = f; } };
}

test('what is typed is kept at once and put once typing stops, based on the version it started from', async () => {
  const h = harness();
  h.drafts.edit(1, 'h');
  h.drafts.edit(1, 'hello');
  assert.equal(h.drafts.text(1), 'hello');
  assert.deepEqual(h.saved.at(-1), { room_id: 1, seq: 0, body: '', local: { body: 'hello', base: 0 }, conflict: null }, 'kept locally at once');
  assert.deepEqual(h.server.puts, [], 'not while typing');
  assert.deepEqual([...h.timers.values()].map((t) => t.ms), [SAVE_DELAY_MS], 'one debounce, restarted by each keystroke');
  await h.later();
  assert.deepEqual(h.server.puts, [[1, 'hello', 0]]);
  h.drafts.edit(1, 'hello there');
  h.drafts.flush(1); // a room switch, a blur: at once
  await tick();
  assert.deepEqual(h.server.puts.at(-1), [1, 'hello there', 11], 'based on the version just stored');
  assert.deepEqual(h.saved.at(-1), { room_id: 1, seq: 12, body: 'hello there', local: null, conflict: null });
});

test('a draft from another device is adopted; an older or repeated version is not', async () => {
  const h = harness();
  h.drafts.serverChanged(h.elsewhere(1, 'from the phone'));
  assert.equal(h.drafts.text(1), 'from the phone');
  assert.deepEqual(h.changed, [1]);
  h.drafts.serverChanged({ room_id: 1, body: 'older', user_seq: 3 });
  assert.equal(h.drafts.text(1), 'from the phone');
  assert.deepEqual(h.changed, [1]);
});

test('a stale edit made offline is never put over a newer draft: the newer one shows, the typed text can be restored', async () => {
  const h = harness({ fail: offline });
  h.drafts.serverChanged(h.elsewhere(1, 'first'));
  h.drafts.edit(1, 'on the train');
  await h.later();
  assert.deepEqual(h.server.puts, [[1, 'on the train', 11]], 'tried, but offline: it stays');
  assert.equal(h.drafts.text(1), 'on the train');
  h.setFail(null);
  const newer = h.elsewhere(1, 'at the desk');
  h.changed.length = 0;
  h.drafts.serverChanged(newer); // the replay once the connection is back: the edit is put, and refused
  await tick();
  assert.deepEqual(h.server.puts.at(-1), [1, 'on the train', 11]);
  assert.equal(h.server.drafts.get(1).body, 'at the desk', 'not overwritten');
  assert.equal(h.drafts.text(1), 'at the desk');
  assert.equal(h.drafts.conflict(1), 'on the train');
  assert.deepEqual(h.changed, [1]);
  h.drafts.restoreMine(1);
  assert.equal(h.drafts.text(1), 'on the train');
  assert.equal(h.drafts.conflict(1), null);
  await tick();
  assert.deepEqual(h.server.puts.at(-1), [1, 'on the train', 12], 'based on the newer one now: the person chose');
  assert.equal(h.server.drafts.get(1).body, 'on the train');
  // Dismissing keeps the newer one.
  h.drafts.edit(1, 'again on the train');
  h.drafts.lost(1, h.elsewhere(1, 'desk again'));
  h.drafts.dismiss(1);
  assert.deepEqual([h.drafts.text(1), h.drafts.conflict(1)], ['desk again', null]);
});

test('a refused put with nothing typed since, or the same text, adopts the newer draft without a notice', async () => {
  const h = harness();
  h.drafts.edit(1, 'same');
  h.elsewhere(1, 'same');
  await h.later();
  assert.equal(h.drafts.conflict(1), null);
  assert.equal(h.drafts.text(1), 'same');
});

test('my own put echoed while I type on: the next put is based on its answer, no conflict', async () => {
  const h = harness();
  h.drafts.edit(1, 'abc');
  const put = h.later(); // on its way
  h.drafts.edit(1, 'abcd');
  await put;
  h.drafts.serverChanged({ type: 'draft_updated', ...h.server.drafts.get(1) }); // the echo, after the answer
  await h.later();
  assert.deepEqual(h.server.puts, [[1, 'abc', 0], [1, 'abcd', 11]]);
  assert.equal(h.drafts.conflict(1), null);
});

test('a send clears its room\'s draft; what is typed before its draft_updated comes is based on it, not a conflict', async () => {
  const h = harness();
  h.drafts.edit(1, 'to send');
  await h.later();
  h.drafts.sent(1);
  assert.equal(h.drafts.text(1), '');
  h.drafts.edit(1, 'next');
  const cleared = h.elsewhere(1, ''); // the server cleared it with the message
  h.drafts.serverChanged(cleared);
  await tick();
  assert.deepEqual(h.server.puts.at(-1), [1, 'next', cleared.user_seq]);
  assert.equal(h.drafts.conflict(1), null);
  assert.equal(h.server.drafts.get(1).body, 'next');
});

test('all drafts over REST (a first start, a replay too long): listed ones adopted, the others cleared; its head is the cursor', async () => {
  const h = harness();
  h.drafts.restore([{ room_id: 2, seq: 4, body: 'gone since', local: null, conflict: null }, { room_id: 3, seq: 5, body: '', local: { body: 'typed offline', base: 5 }, conflict: null }]);
  h.elsewhere(1, 'listed');
  assert.equal(await h.drafts.reload(), 11);
  assert.equal(h.drafts.text(1), 'listed');
  assert.equal(h.drafts.text(2), '');
  assert.equal(h.drafts.text(3), 'typed offline', 'an edit not put yet stays');
  h.drafts.clear();
  assert.equal(h.drafts.text(3), '');
});
