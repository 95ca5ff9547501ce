// Confab's service worker (served at /sw.js, scope /), for Web Push only. The server sends a push
// only while none of my tabs is connected; it shows as a notification unless a tab of Confab is in
// view. A click on it opens its room: in a tab already open (told with a message, which app.js
// follows), else in a new one. No fetch handler (pages load from the network as without it), no
// imports. A subscription the browser replaces goes to the server on the next page load (push.js):
// the worker has no token to send it with.
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

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

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
