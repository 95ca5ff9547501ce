import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlobUrls } from '../../js/blob-urls.js';

function harness() {
  const loads = []; const revoked = []; let made = 0;
  const gates = new Map(); // key -> {resolve, reject} of its load
  const urls = new BlobUrls({
    load: (key) => { loads.push(key); return new Promise((resolve, reject) => gates.set(key, { resolve, reject })); },
    create: (blob) => `blob:${blob}#${++made}`,
    revoke: (url) => revoked.push(url),
  });
  return { urls, loads, revoked, gates };
}

test('one load per key, shared by callers at the same time, kept while shown', async () => {
  const h = harness();
  const [a, b] = [h.urls.url(5), h.urls.url(5)];
  h.gates.get(5).resolve('five');
  assert.deepEqual(await Promise.all([a, b]), ['blob:five#1', 'blob:five#1']);
  assert.equal(await h.urls.url(5), 'blob:five#1');
  assert.deepEqual(h.loads, [5]);
  h.urls.retain([5]);
  assert.deepEqual(h.revoked, []);
});

test('what is no longer shown is revoked, and loaded again when it comes back', async () => {
  const h = harness();
  const five = h.urls.url(5); const six = h.urls.url(6);
  h.gates.get(5).resolve('five'); h.gates.get(6).resolve('six');
  await Promise.all([five, six]);
  h.urls.retain([6]);
  assert.deepEqual(h.revoked, ['blob:five#1']);
  h.urls.retain([]);
  assert.deepEqual(h.revoked, ['blob:five#1', 'blob:six#2']);
  const again = h.urls.url(5);
  h.gates.get(5).resolve('five');
  assert.equal(await again, 'blob:five#3');
  assert.deepEqual(h.loads, [5, 6, 5]);
});

test('a key released while loading makes no URL; a failed load is tried again', async () => {
  const h = harness();
  const p = h.urls.url(5);
  h.urls.retain([]);
  h.gates.get(5).resolve('five');
  assert.equal(await p, null, 'nothing to revoke later');
  assert.deepEqual(h.revoked, []);
  const q = h.urls.url(6);
  h.gates.get(6).reject(new Error('404'));
  await assert.rejects(q, /404/);
  const r = h.urls.url(6);
  assert.deepEqual(h.loads, [5, 6, 6]);
  h.gates.get(6).resolve('six');
  assert.equal(await r, 'blob:six#1');
});
