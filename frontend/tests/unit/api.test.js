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
