import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Api, ApiError } from '../../js/api.js';

function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
}
const pair = (n) => ({ user: { id: 1, username: 'a' }, access_token: 'acc' + n, refresh_token: 'ref' + n, token_type: 'Bearer', expires_in: 900 });
const json = (status, body, type = 'application/json') => ({ ok: status < 400, status, json: async () => body, headers: { get: () => type } });

test('concurrent 401s share one refresh and retry with the new token', async () => {
  let refreshes = 0;
  const seen = [];
  const fetchImpl = async (url, init) => {
    if (url.endsWith('/auth/refresh')) {
      refreshes++;
      assert.deepEqual(JSON.parse(init.body), { refresh_token: 'ref1' });
      await new Promise((r) => setTimeout(r, 10));
      return json(200, pair(2));
    }
    seen.push(init.headers.Authorization);
    return init.headers.Authorization === 'Bearer acc2' ? json(200, { ok: true }) : json(401, { code: 'unauthenticated' }, 'application/problem+json');
  };
  const api = new Api({ storage: memoryStorage(), fetchImpl });
  api.save(pair(1));
  const results = await Promise.all([api.request('GET', '/me'), api.request('GET', '/rooms'), api.request('GET', '/presence')]);
  assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
  assert.equal(refreshes, 1);
  assert.equal(api.tokens.refresh_token, 'ref2');
});

test('refresh shortly before expiry, and a failed refresh ends the session', async () => {
  let now = 0; let ended = 0; let calls = 0;
  const fetchImpl = async (url) => {
    if (url.endsWith('/auth/refresh')) { calls++; return json(401, { code: 'unauthenticated', detail: 'revoked' }); }
    return json(200, {});
  };
  const api = new Api({ storage: memoryStorage(), fetchImpl, now: () => now, onSessionEnded: () => ended++ });
  api.save(pair(1));
  now = 870 * 1000; // 30 s before expiry
  await assert.rejects(api.request('GET', '/me'), (e) => e instanceof ApiError && e.status === 401);
  assert.equal(calls, 1);
  assert.equal(ended, 1);
  assert.equal(api.loggedIn, false);
});

test('problem+json validation errors map to fields', async () => {
  const fetchImpl = async () => json(400, { type: 'about:blank', title: 'Bad', status: 400, code: 'validation_failed', detail: 'invalid input', errors: [{ field: 'username', message: 'must be 3-32 characters' }] }, 'application/problem+json');
  const api = new Api({ storage: memoryStorage(), fetchImpl });
  await assert.rejects(api.register('a', 'b'), (e) => {
    assert.equal(e.code, 'validation_failed');
    assert.deepEqual(e.fieldErrors(), { username: 'must be 3-32 characters' });
    return true;
  });
});

test('allRooms follows the pages of the room list', async () => {
  const asked = [];
  const fetchImpl = async (url) => {
    const q = new URL(url, 'http://x').searchParams;
    asked.push([q.get('after_id'), q.get('joined')]);
    const after = Number(q.get('after_id'));
    const ids = [after + 1, after + 2].filter((id) => id <= 5);
    return json(200, { rooms: ids.map((id) => ({ id })), has_more: ids[ids.length - 1] < 5 });
  };
  const api = new Api({ storage: memoryStorage(), fetchImpl });
  api.save(pair(1));
  const rooms = await api.allRooms({ joined: true });
  assert.deepEqual(rooms.map((r) => r.id), [1, 2, 3, 4, 5]);
  assert.deepEqual(asked, [['0', 'true'], ['2', 'true'], ['4', 'true']]);
});

test('GET /server needs no token; register carries the invite of a join link', async () => {
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push({ url, auth: init.headers.Authorization, body: init.body && JSON.parse(init.body) });
    return url.endsWith('/server') ? json(200, { name: 'Confab', registration: 'invite', version: '0.1.0', setup: false }) : json(201, pair(1));
  };
  const api = new Api({ storage: memoryStorage(), fetchImpl });
  assert.equal((await api.server()).registration, 'invite');
  await api.register('a', 'pw', 'code1');
  await api.register('b', 'pw');
  assert.deepEqual(seen.map((s) => [s.url, s.auth, s.body]), [
    ['/api/v1/server', undefined, undefined],
    ['/api/v1/auth/register', undefined, { username: 'a', password: 'pw', invite: 'code1' }],
    ['/api/v1/auth/register', undefined, { username: 'b', password: 'pw' }],
  ]);
});

// An XMLHttpRequest stand-in: records what is sent; the test answers with `respond` or fails it.
function fakeXhr() {
  const made = [];
  const make = () => {
    const x = {
      headers: {}, upload: {}, sent: undefined, aborted: false,
      open(method, url) { Object.assign(x, { method, url }); },
      setRequestHeader(name, value) { x.headers[name] = value; },
      send(body) { x.sent = body; },
      abort() { x.aborted = true; x.onabort(); },
      respond(status, body) { Object.assign(x, { status, responseText: JSON.stringify(body) }); x.onload(); },
    };
    made.push(x);
    return x;
  };
  return { made, make };
}
const settle = () => new Promise((r) => setImmediate(r));

test('an upload posts the raw bytes with the bearer header, the name in the query, and reports progress', async () => {
  const xhr = fakeXhr();
  const api = new Api({ storage: memoryStorage(), xhrImpl: xhr.make });
  api.save(pair(1));
  const file = { name: 'Grüße & co?.png', type: 'image/png', size: 3 };
  const seen = [];
  const up = api.upload(7, file, { onProgress: (loaded, total) => seen.push([loaded, total]) });
  await settle();
  const [x] = xhr.made;
  assert.equal(x.method, 'POST');
  assert.equal(x.url, '/api/v1/rooms/7/files?name=Gr%C3%BC%C3%9Fe%20%26%20co%3F.png');
  assert.deepEqual(x.headers, { Accept: 'application/json', 'Content-Type': 'image/png', Authorization: 'Bearer acc1' });
  assert.equal(x.sent, file, 'the file itself, not a form');
  x.upload.onprogress({ lengthComputable: true, loaded: 1, total: 3 });
  x.upload.onprogress({ lengthComputable: false, loaded: 2, total: 0 });
  x.respond(201, { id: 5, name: file.name, size: 3 });
  assert.deepEqual(await up.promise, { id: 5, name: file.name, size: 3 });
  assert.deepEqual(seen, [[1, 3]]);
  api.upload(7, { name: 'x', type: '', size: 1 });
  await settle();
  assert.equal(xhr.made[1].headers['Content-Type'], 'application/octet-stream', 'a file of no known type');
});

test('an upload refused says why (problem+json); a 401 refreshes once and sends again; abort cancels', async () => {
  const xhr = fakeXhr();
  const fetchImpl = async (url) => { assert.ok(url.endsWith('/auth/refresh')); return json(200, pair(2)); };
  const api = new Api({ storage: memoryStorage(), fetchImpl, xhrImpl: xhr.make });
  api.save(pair(1));
  const big = api.upload(1, { name: 'big', type: '', size: 9 });
  await settle();
  xhr.made[0].respond(413, { code: 'payload_too_large', detail: 'Files can be at most 10 MB.' });
  await assert.rejects(big.promise, (e) => e instanceof ApiError && e.status === 413 && e.code === 'payload_too_large' && e.message === 'Files can be at most 10 MB.');
  const again = api.upload(1, { name: 'a', type: '', size: 1 });
  await settle();
  xhr.made[1].respond(401, { code: 'unauthenticated' });
  await settle(); await settle();
  assert.equal(xhr.made[2].headers.Authorization, 'Bearer acc2');
  xhr.made[2].respond(201, { id: 9 });
  assert.deepEqual(await again.promise, { id: 9 });
  const cancelled = api.upload(1, { name: 'c', type: '', size: 1 });
  await settle();
  cancelled.abort();
  assert.equal(xhr.made[3].aborted, true);
  await assert.rejects(cancelled.promise, (e) => e.code === 'aborted');
  const early = api.upload(1, { name: 'd', type: '', size: 1 });
  early.abort(); // before the token is in: nothing is sent
  await assert.rejects(early.promise, (e) => e.code === 'aborted');
  assert.equal(xhr.made.length, 4);
  const offline = api.upload(1, { name: 'e', type: '', size: 1 });
  await settle();
  xhr.made[4].onerror();
  await assert.rejects(offline.promise, (e) => e.code === 'network_error');
});

test('files download with the bearer header, never a token in the URL; a send names its files', async () => {
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push([url, init.headers.Authorization, init.body && JSON.parse(init.body)]);
    return url.includes('/files/') ? { ok: true, status: 200, blob: async () => 'bytes of ' + url } : json(201, {});
  };
  const api = new Api({ storage: memoryStorage(), fetchImpl });
  api.save(pair(1));
  assert.equal(await api.fileBlob(5), 'bytes of /api/v1/files/5');
  assert.equal(await api.fileBlob(5, { thumbnail: true }), 'bytes of /api/v1/files/5/thumbnail');
  await api.sendMessage(1, '', 'c1', [5, 6]);
  await api.sendMessage(1, 'hi', 'c2');
  assert.deepEqual(seen, [
    ['/api/v1/files/5', 'Bearer acc1', undefined],
    ['/api/v1/files/5/thumbnail', 'Bearer acc1', undefined],
    ['/api/v1/rooms/1/messages', 'Bearer acc1', { body: '', client_id: 'c1', attachments: [5, 6] }],
    ['/api/v1/rooms/1/messages', 'Bearer acc1', { body: 'hi', client_id: 'c2' }],
  ]);
  const missing = new Api({ storage: memoryStorage(), fetchImpl: async () => json(404, { code: 'not_found', detail: 'No such file' }) });
  missing.save(pair(1));
  await assert.rejects(missing.fileBlob(9), (e) => e.status === 404 && e.message === 'No such file');
});
