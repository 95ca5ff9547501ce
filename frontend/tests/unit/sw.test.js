// The service worker (sw.js, a classic script) run in a vm context with a fake `self`: the app
// shell cached at install (the build's list, as tools/shell.mjs writes it), older versions' caches
// dropped at activation, its files from that cache; a push's payload → its notification, shown only while no tab of the app is in
// view; a click opens the room in an open tab (a message to it) or a new one at the app's route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const source = readFileSync(new URL('../../sw.js', import.meta.url), 'utf8');
const ORIGIN = 'https://chat.example';

/** The Cache Storage: caches by name, each a Map of path → body; what was fetched into them. */
function cacheStorage(names = []) {
  const caches = new Map(names.map((n) => [n, new Map()]));
  const cache = (c) => ({
    addAll: async (requests) => { for (const r of requests) c.set(new URL(r.url).pathname, `${r.cache} ${new URL(r.url).pathname}`); },
    match: async (key) => (c.has(key) ? { body: c.get(key) } : undefined),
  });
  return {
    caches,
    open: async (name) => { if (!caches.has(name)) caches.set(name, new Map()); return cache(caches.get(name)); },
    keys: async () => [...caches.keys()],
    delete: async (name) => caches.delete(name),
  };
}

/**
 * Runs sw.js with `tabs` (window clients: {url, visibilityState, focused}), `shell` (the SHELL
 * line the build writes), the Cache Storage and a fetch; returns its handlers and what it did.
 */
function worker(tabs = [], { shell = null, storage = cacheStorage(), fetch = async (r) => ({ body: r.url }) } = {}) {
  const did = [];
  const handlers = {};
  const clients = tabs.map((t) => ({
    focused: false, visibilityState: 'hidden', ...t, url: ORIGIN + (t.path || '/'),
    postMessage(m) { did.push(['postMessage', t.path || '/', JSON.parse(JSON.stringify(m))]); },
    focus() { did.push(['focus', t.path || '/']); return Promise.resolve(this); },
  }));
  const self = {
    addEventListener: (type, fn) => { handlers[type] = fn; },
    skipWaiting: () => did.push(['skipWaiting']),
    registration: { showNotification: async (title, options) => { did.push(['showNotification', title, JSON.parse(JSON.stringify(options))]); } },
    clients: {
      matchAll: async (opts) => { did.push(['matchAll', JSON.parse(JSON.stringify(opts))]); return clients; },
      openWindow: async (url) => { did.push(['openWindow', url]); return null; },
      claim: async () => { did.push(['claim']); },
    },
  };
  Object.assign(self, { caches: storage, location: new URL(ORIGIN) });
  // A worker's Request resolves its URL against the worker's.
  const Request = class { constructor(url, init = {}) { this.url = new URL(url, ORIGIN).href; this.cache = init.cache; } };
  const ctx = vm.createContext({ self, URL, Request, fetch });
  const code = shell ? source.replace("const SHELL = { version: 'dev', files: [] };", `const SHELL = ${JSON.stringify(shell)};`) : source;
  vm.runInContext(code, ctx, { filename: 'sw.js' });
  /** Dispatches an event to its handler; resolves once what it waits for is done. */
  async function fire(type, event) {
    const waits = [];
    handlers[type]({ ...event, waitUntil: (p) => waits.push(p), respondWith: (p) => waits.push(p) });
    return (await Promise.all(waits)).length;
  }
  /** A fetch event for `path` ({mode}): what the worker answered with, or null when it let the page fetch. */
  async function request(path, { mode = 'no-cors', method = 'GET', origin = ORIGIN } = {}) {
    let answer = null;
    handlers.fetch({ request: { url: origin + path, method, mode }, respondWith: (p) => { answer = p; } });
    return answer && answer.then((r) => r.body || r.url);
  }
  return { ctx, did, handlers, fire, request, storage, run: (expr) => vm.runInContext(expr, ctx) };
}

const payload = { type: 'notification', room_id: 7, message_id: 1046, seq: 46, reason: 'mention', title: 'alice in #general', body: '@bob can you look?' };
const pushData = (value) => ({ data: { json: () => (typeof value === 'string' ? JSON.parse(value) : value) } });

test('a payload → its notification: the title and body as sent, one tag per room, the room and message in its data', () => {
  const w = worker();
  assert.deepEqual(JSON.parse(JSON.stringify(w.run(`notificationOf(${JSON.stringify(payload)})`))),
    ['alice in #general', { body: '@bob can you look?', tag: 'room-7', data: { room_id: 7, message_id: 1046 } }]);
  assert.deepEqual(JSON.parse(JSON.stringify(w.run('notificationOf({ type: "notification", room_id: 3, message_id: 9, title: "alice", body: "" })'))),
    ['alice', { body: '', tag: 'room-3', data: { room_id: 3, message_id: 9 } }], 'a direct room: the person');
  for (const other of ['null', '{ type: "other", room_id: 1 }', '{ type: "notification", room_id: "7" }']) assert.equal(w.run(`notificationOf(${other})`), null, other);
  assert.equal(w.run('roomUrl(7)'), '/#/rooms/7', 'the app\'s route of a room (app.js: #/rooms/{id})');
  assert.equal(w.run('roomUrl(undefined)'), '/');
});

test('a push shows its notification while no tab of the app is in view', async () => {
  const w = worker([{ path: '/', visibilityState: 'hidden' }]);
  assert.equal(await w.fire('push', pushData(payload)), 1);
  assert.deepEqual(w.did, [
    ['matchAll', { type: 'window', includeUncontrolled: true }],
    ['showNotification', 'alice in #general', { body: '@bob can you look?', tag: 'room-7', data: { room_id: 7, message_id: 1046 } }],
  ]);
  const none = worker([]);
  await none.fire('push', pushData(payload));
  assert.equal(none.did.filter((d) => d[0] === 'showNotification').length, 1, 'no tab at all');
  const docs = worker([{ path: '/docs/', visibilityState: 'visible', focused: true }]);
  await docs.fire('push', pushData(payload));
  assert.equal(docs.did.filter((d) => d[0] === 'showNotification').length, 1, 'the API docs in view are not the app');
});

test('a tab of the app in view (focused or not): no notification; a payload not ours: nothing', async () => {
  for (const tab of [{ visibilityState: 'visible', focused: true }, { visibilityState: 'visible' }]) {
    const w = worker([{ path: '/', visibilityState: 'hidden' }, { path: '/', ...tab }]);
    await w.fire('push', pushData(payload));
    assert.deepEqual(w.did.filter((d) => d[0] === 'showNotification'), [], JSON.stringify(tab));
  }
  const w = worker();
  assert.equal(await w.fire('push', { data: { json: () => { throw new SyntaxError('not JSON'); } } }), 0);
  assert.equal(await w.fire('push', { data: null }), 0);
  assert.equal(await w.fire('push', pushData({ type: 'something_else' })), 0);
  assert.deepEqual(w.did, []);
});

test('a click closes it and opens the room: in the open tab (the focused one first) by a message, else a new tab at the room\'s route', async () => {
  const notification = () => { const n = { closed: 0, data: { room_id: 7, message_id: 1046 }, close() { n.closed++; } }; return n; };
  const open = worker([{ path: '/', visibilityState: 'hidden' }, { path: '/docs/' }]);
  const n = notification();
  await open.fire('notificationclick', { notification: n });
  assert.equal(n.closed, 1);
  assert.deepEqual(open.did.slice(1), [['postMessage', '/', { type: 'open-room', room_id: 7 }], ['focus', '/']]);

  const two = worker([{ path: '/', visibilityState: 'hidden' }, { path: '/?second', focused: true, visibilityState: 'visible' }]);
  await two.fire('notificationclick', { notification: notification() });
  assert.deepEqual(two.did.filter((d) => d[0] === 'postMessage'), [['postMessage', '/?second', { type: 'open-room', room_id: 7 }]], 'the focused tab, only');

  const closed = worker([{ path: '/docs/' }]);
  await closed.fire('notificationclick', { notification: notification() });
  assert.deepEqual(closed.did.slice(1), [['openWindow', '/#/rooms/7']]);
});

const SHELL = { version: 'abc123', files: ['/', '/app-0123456789abcdef.css', '/js/app.js'] };

test('a new version of the worker caches its build\'s files fresh from the server, drops the older versions\' caches and takes over at once', async () => {
  const storage = cacheStorage(['confab-shell-old', 'something-else']);
  const w = worker([], { shell: SHELL, storage });
  assert.equal(await w.fire('install', {}), 1);
  assert.deepEqual([...storage.caches.get('confab-shell-abc123').values()], ['no-cache /', 'no-cache /app-0123456789abcdef.css', 'no-cache /js/app.js']);
  assert.equal(await w.fire('activate', {}), 1);
  assert.deepEqual([...storage.caches.keys()], ['something-else', 'confab-shell-abc123'], 'another app\'s cache stays');
  assert.deepEqual(w.did, [['skipWaiting'], ['claim']]);
  const unbuilt = worker();
  await unbuilt.fire('install', {});
  assert.equal(unbuilt.storage.caches.get('confab-shell-dev').size, 0, 'sw.js as written (no build) caches nothing');
});

test('the shell\'s files come from the cache (the network only for one not cached yet); the API, other files and other origins are left alone', async () => {
  const storage = cacheStorage();
  const w = worker([], { shell: SHELL, storage, fetch: async (r) => ({ body: 'network ' + new URL(r.url).pathname }) });
  assert.equal(await w.request('/js/app.js'), 'network /js/app.js', 'not installed yet: the network');
  await w.fire('install', {});
  assert.equal(await w.request('/js/app.js'), 'no-cache /js/app.js', 'the build\'s file, with the network or without');
  assert.equal(await w.request('/#/rooms/7', { mode: 'navigate' }), 'no-cache /', 'the page, at any route');
  assert.equal(await w.request('/index.html', { mode: 'navigate' }), 'no-cache /');
  for (const path of ['/api/v1/rooms', '/docs/', '/js/unknown.js']) assert.equal(await w.request(path), null, path);
  assert.equal(await w.request('/js/app.js', { method: 'POST' }), null);
  assert.equal(await w.request('/js/app.js', { origin: 'https://elsewhere.example' }), null);
});
