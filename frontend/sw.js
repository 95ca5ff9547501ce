// Confab's service worker (served at /sw.js, scope /): the app shell for a start with no network,
// and Web Push.
//
// The shell: every file of the build (SHELL, written into this file by the build's post-build
// hook, tools/shell.mjs, with a version that changes with any of them, so a new build is a new
// worker) is cached when the worker installs, one cache per version (the older ones go when it
// activates). Its files come from that cache (the network only for one not cached yet): a start
// needs no network and waits for none, and loads the files of one build, never a mix. A new
// build's worker installs in the background on the next page load and takes over at once; its
// files are used from the start after that. The API is never cached (the app keeps its own copy
// in IndexedDB).
//
// Push: the server sends one only while none of my tabs is connected; it shows as a notification
// unless a tab of Confab is in view. A click on it opens its room: in a tab already open (told
// with a message, which session.js follows), else in a new one. A subscription the browser
// replaces goes to the server on the next page load (push.js): the worker has no token to send it
// with. No imports.
'use strict';

/** A push's payload → [title, options] of its notification, or null when it is not one of ours. */
function notificationOf(p) {
  if (!p || p.type !== 'notification' || !Number.isInteger(p.room_id)) return null;
  return [String(p.title || 'Confab'), { body: String(p.body || ''), tag: 'room-' + p.room_id, data: { room_id: p.room_id, message_id: p.message_id } }];
}

/** The app's address of a room (app.js routes by the hash). */
const roomUrl = (roomId) => (Number.isInteger(roomId) ? '/#/rooms/' + roomId : '/');

/** The app's tabs (not the API docs or a JSON answer shown in a tab). */
const appTabs = () => self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  .then((list) => list.filter((c) => new URL(c.url).pathname === '/'));

// The build's files and version (tools/shell.mjs rewrites this line; as written: none).
const SHELL = { version: 'dev', files: [] };
const CACHE = 'confab-shell-' + SHELL.version;

/** The cache key of a request for a file of the shell (the app's page for `/`), or null: not one. */
function shellKey(request) {
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return null;
  const key = url.pathname === '/index.html' ? '/' : url.pathname;
  return SHELL.files.includes(key) ? key : null;
}

/** The cached file, else the network's answer. */
const fromShell = (request, key) => self.caches.open(CACHE).then((c) => c.match(key)).then((hit) => hit || fetch(request));

self.addEventListener('install', (event) => {
  self.skipWaiting();
  // Fresh from the server, not the HTTP cache: the files of this build.
  event.waitUntil(self.caches.open(CACHE).then((c) => c.addAll(SHELL.files.map((f) => new Request(f, { cache: 'no-cache' })))));
});
self.addEventListener('activate', (event) => event.waitUntil(self.caches.keys()
  .then((keys) => Promise.all(keys.filter((k) => k.startsWith('confab-shell-') && k !== CACHE).map((k) => self.caches.delete(k))))
  .then(() => self.clients.claim())));
self.addEventListener('fetch', (event) => {
  const key = shellKey(event.request);
  if (key) event.respondWith(fromShell(event.request, key));
});

self.addEventListener('push', (event) => {
  let payload = null;
  try { payload = event.data ? event.data.json() : null; } catch { /* not JSON: not ours */ }
  const shown = notificationOf(payload);
  if (!shown) return;
  event.waitUntil(appTabs().then((tabs) => (tabs.some((c) => c.visibilityState === 'visible') ? null : self.registration.showNotification(...shown))));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const roomId = (event.notification.data || {}).room_id;
  event.waitUntil(appTabs().then((tabs) => {
    const tab = tabs.find((c) => c.focused) || tabs[0];
    if (!tab) return self.clients.openWindow(roomUrl(roomId));
    tab.postMessage({ type: 'open-room', room_id: roomId });
    return tab.focus();
  }));
});
