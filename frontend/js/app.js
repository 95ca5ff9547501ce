// Entry point: wires api, socket, store, sync and views; owns the session, the route (#/rooms/{id},
// #/admin/{tab}; #/join/… is the sign-in's, #/reset/… its own page), rendering, network and push.
import { Api } from './api.js';
import { Socket, wsUrl } from './socket.js';
import { Store } from './store.js';
import { Sync } from './sync.js';
import { $, fieldError } from './views/dom.js';
import { initAuth } from './views/auth.js';
import { renderSidebar, renderConnection, navOpen, openNav, closeNav } from './views/sidebar.js';
import { initTimeline } from './views/timeline.js';
import { initShortcuts } from './views/shortcuts.js';
import { toast, announce } from './views/notices.js';
import { connectionLabel } from './format.js';
import { joinCode } from './invites.js';

const SESSION_ENDED = 'Your session has ended. Please sign in again.';

const store = new Store();
const api = new Api({ onSessionEnded: () => endSession(SESSION_ENDED) });
const sync = new Sync({
  store, api, toast, navigate, onMessage: (message) => timeline.showIncoming(message),
  onNotification: (ev) => { window.confab.notificationLog.push(ev); if (attention) attention.then((a) => a && a.notify(ev)); },
});
const auth = initAuth({
  getServer: () => api.server(),
  onSubmit: async (mode, username, password, invite) => { // invite: with a new account only
    if (mode === 'login') await api.login(username, password);
    else await api.register(username, password, invite);
    await startSession();
  },
});
const timeline = initTimeline({ store, api, sync, invalidate, openRoom });
// Loaded on first use (one load, however fast the keys come): the first page stays small.
let searchView = null;
const search = {
  async open() {
    searchView ||= import('./views/search.js').then((m) => m.initSearch({ store, api, sync, openRoom }));
    (await searchView).open();
  },
  clear() { if (searchView) searchView.then((v) => v.clear()); },
};
// `lazy(load)` → a function giving the view's promise.
const lazy = (load) => { let view = null; return () => (view ||= load().catch((e) => { view = null; throw e; })); };
const switcherView = lazy(() => import('./views/switcher.js').then((m) => m.initSwitcher({ store, api, sync, openRoom })));
const dialogs = lazy(() => import('./views/dialogs.js').then((m) => m.initDialogs({ store, api, sync, openRoom })));
const settings = lazy(() => import('./views/settings.js').then((m) => m.initSettings({ api, store, avatars: timeline.avatars, openAdmin, onLoggedOutEverywhere: () => endSession('You logged out on every device.') })));
const directMessage = lazy(() => import('./views/direct-message.js').then((m) => m.initDirectMessage({ store, api, sync, openRoom })));
const notifySettings = lazy(() => import('./views/notify-settings.js').then((m) => m.initNotifySettings({ store, api })));
const roomSettings = lazy(() => import('./views/room-settings.js').then((m) => m.initRoomSettings({ store, api })));
const admin = lazy(() => import('./views/admin.js').then((m) => m.initAdmin({ store, api, toast, onClose: () => navigate(store.activeRoomId) })));
const openAdmin = async (tab) => (await admin()).open(tab);
// Moderation loads once the members of a room I may moderate show (the module decides exactly).
let moderation = null;
function moderate() {
  const r = store.rooms.get(store.activeRoomId);
  if (!moderation && !(r && r.kind !== 'direct' && !$('members').hidden && (store.me.role === 'admin' || r.role === 'owner' || r.role === 'admin'))) return;
  moderation ||= import('./views/moderation.js').then((m) => m.initModeration({ store, api, sync })).catch(() => { moderation = null; });
  moderation.then((v) => v && v.render(store.activeRoomId));
}
// A reset link's page shows instead of the app.
const isReset = () => location.hash.startsWith('#/reset/');
const resetPage = () => import('./views/reset.js').then((m) => m.showReset({ api, leave: (done) => {
  history.replaceState(null, '', '#/');
  if (done || !api.loggedIn) endSession(null); else startSession();
} }));
const switcher = { open: async () => (await switcherView()).open() };
for (const d of document.querySelectorAll('dialog')) {
  d.addEventListener('click', (e) => { if (e.target.closest('[data-close]') || e.target === d) d.close(); });
}
// The title's count, the favicon and notifications: with the session.
let attention = null;
// Push (loaded only where its flag is set): `then(devicePush)`.
const push = (then) => { try { if (localStorage.getItem('confab.push')) return import('./push.js').then((m) => then(new m.DevicePush({ api }))).catch(() => {}); } catch { /* no storage */ } return null; };
// A push notification's click with a tab open (sw.js) opens the room.
if (navigator.serviceWorker) navigator.serviceWorker.onmessage = ({ data: d }) => { if (d && d.type === 'open-room' && store.rooms.has(d.room_id)) openRoom(d.room_id); };
initShortcuts({
  store, openRoom, switcher, search, focusComposer: () => timeline.focusComposer(),
  closers: [() => timeline.closeEmoji(), () => timeline.closeThread(), () => { if (!navOpen()) return false; closeNav(); $('btn-nav').focus(); return true; }, () => timeline.closeMembers()],
});

// ---- rendering: changes mark parts dirty, one frame renders them
const dirty = new Set();
let frame = 0;
function invalidate(...parts) {
  for (const p of parts) dirty.add(p);
  if (!frame) frame = requestAnimationFrame(flush);
}
function flush() {
  frame = 0;
  const parts = new Set(dirty);
  dirty.clear();
  if (!store.me) return;
  if (parts.has('sidebar')) renderSidebar(store, { onOpen: openRoom });
  if (parts.has('connection')) renderConnection(store);
  if (parts.has('header')) timeline.renderHeader();
  if (parts.has('timeline')) timeline.renderTimeline();
  if (parts.has('members') && store.activeRoomId) { timeline.renderMembers(); moderate(); }
  if (parts.has('typing')) timeline.renderTyping();
}

store.subscribe((what, roomId) => {
  switch (what) {
    case 'rooms': invalidate('sidebar', 'header'); break;
    case 'connection': invalidate('connection', 'timeline'); break;
    case 'timeline': if (roomId === store.activeRoomId) invalidate('timeline'); break;
    case 'members': if (roomId === store.activeRoomId) invalidate('members', 'header', 'timeline'); break;
    case 'presence': invalidate('members', 'sidebar'); break;
    case 'typing': if (roomId === store.activeRoomId) invalidate('typing'); break;
    case 'active': invalidate('sidebar', 'header', 'timeline', 'members', 'typing'); break;
    default: invalidate('sidebar', 'header', 'timeline', 'members', 'typing', 'connection');
  }
});

// Once a second: typing expires, the countdown ticks, unanswered sends are written again.
setInterval(() => {
  if (!store.me) return;
  timeline.renderTyping();
  renderConnection(store);
  sync.pumpAll();
}, 1000);

// A change of connection state is read out once.
let lastAnnounced = '';
store.subscribe((what) => {
  if (what !== 'connection' || store.connection === lastAnnounced || !store.me) return;
  if (lastAnnounced || store.connection !== 'connected') announce(`Connection: ${connectionLabel(store.connection, {})}`);
  lastAnnounced = store.connection;
});

// ---- route
function navigate(roomId) {
  const hash = roomId ? `#/rooms/${roomId}` : '#/';
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

function roomInHash() {
  const m = /^#\/rooms\/(\d+)/.exec(location.hash);
  return m ? Number(m[1]) : null;
}

/** The tab of `#/admin/<tab>` ('people' for `#/admin`), else null. */
function adminInHash() {
  const m = /^#\/admin\/?(\w*)/.exec(location.hash);
  return m && (m[1] || 'people');
}

/** Opens a room (unknown: none) at `target` ({id, seq}) or where the timeline decides; `thread`: {rootId, at} too. */
async function openRoom(roomId, { target, thread } = {}) {
  const room = store.rooms.get(roomId);
  if (!room) { navigate(null); store.setActiveRoom(null); return; }
  const plan = timeline.enter(roomId, { target });
  store.setActiveRoom(roomId);
  navigate(roomId);
  closeNav();
  const loading = sync.open(roomId, plan);
  if (!target) timeline.autofocus();
  await loading;
  timeline.opened(roomId);
  if (thread && store.activeRoomId === roomId) timeline.openThread(thread.rootId, thread.at);
}

window.addEventListener('hashchange', () => {
  const id = roomInHash();
  if (id && store.rooms.has(id) && id !== store.activeRoomId) openRoom(id);
  if (adminInHash() && store.me) openAdmin(adminInHash());
  if (isReset() && !store.me) resetPage();
});

// ---- session
async function startSession() {
  const adminAt = adminInHash(); // the first room replaces it
  const views = timeline.loadViews();
  attention ||= import('./views/attention.js').then((m) => m.initAttention({ store, open: openRoom })).catch(() => null);
  store.setVisible(document.visibilityState === 'visible');
  store.setMe(api.user);
  auth.hide();
  $('app').hidden = false;
  $('skip-link').hidden = false;
  invalidate('sidebar', 'header', 'connection');
  try {
    const [me, rooms] = await Promise.all([api.me(), api.allRooms({ joined: true })]);
    store.setMe(me);
    store.setRooms(rooms);
  } catch (e) {
    if (!api.loggedIn) return; // session ended
    toast(e.detail || e.message);
  }
  for (const r of store.directRooms()) sync.loadMembers(r.id);
  push((p) => p.resume());
  const socket = new Socket({
    url: wsUrl(),
    getToken: () => api.accessToken(),
    refreshToken: () => api.refresh(),
    onReady: (user) => sync.onReady(user),
    onEvent: (ev) => sync.onEvent(ev),
    onState: (state, info) => { window.confab.connectionLog.push(state); store.setConnection(state, info); },
    onSessionEnded: () => endSession(SESSION_ENDED),
  });
  sync.connect(socket);
  window.confab.socket = socket;
  socket.start();
  if (joinCode(location.hash)) navigate(null); // an invite link has done its job
  const want = roomInHash();
  const first = (want && store.rooms.has(want)) ? want : (store.joinedRooms()[0] || store.directRooms()[0] || {}).id;
  await views;
  if (first) await openRoom(first); else { invalidate('header', 'timeline'); $('btn-browse').focus(); }
  markInteractive();
  if (adminAt) openAdmin(adminAt);
}

function endSession(message) {
  push((p) => p.disable({ server: false })); // no token left: the server drops it
  sync.disconnect();
  api.save(null);
  store.reset();
  timeline.clear();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  search.clear();
  $('skip-link').hidden = true;
  lastAnnounced = '';
  auth.show();
  if (message) fieldError('auth-error', message);
}

$('btn-logout').addEventListener('click', async () => {
  sync.disconnect();
  await push((p) => p.disable());
  await api.logout();
  endSession(null);
});

$('btn-settings').addEventListener('click', async () => (await settings()).open());
$('btn-search').addEventListener('click', () => search.open());
$('btn-invite').addEventListener('click', () => openAdmin('invites'));
$('btn-create').addEventListener('click', async () => (await dialogs()).create());
$('btn-browse').addEventListener('click', async () => (await dialogs()).browse());
$('btn-dm').addEventListener('click', async () => (await directMessage()).open());
$('btn-room-settings').addEventListener('click', async () => (await roomSettings()).open(store.activeRoomId));
$('btn-notify').addEventListener('click', async (e) => { const from = e.currentTarget; (await notifySettings()).open(store.activeRoomId, from); });

// ---- the network and the tab: the socket is told at once
const socketNow = (fn) => { if (window.confab.socket) fn(window.confab.socket); };
window.addEventListener('online', () => socketNow((s) => s.network(true)));
window.addEventListener('offline', () => socketNow((s) => s.network(false)));
// A tab coming back checks its connection instead of trusting it.
document.addEventListener('visibilitychange', () => {
  store.setVisible(document.visibilityState === 'visible');
  if (document.visibilityState === 'visible') socketNow((s) => s.network(navigator.onLine));
});
$('btn-reconnect').addEventListener('click', () => socketNow((s) => s.reconnectNow()));

// ---- navigation drawer (narrow screens)
$('btn-nav').addEventListener('click', openNav);
$('scrim').addEventListener('click', closeNav);

// ---- boot
let interactiveMarked = false;
function markInteractive() {
  if (interactiveMarked) return;
  interactiveMarked = true;
  performance.mark('confab-interactive');
}

window.confab = { store, api, sync, socket: null, connectionLog: [], notificationLog: [] }; // debug, tests
if (isReset()) {
  resetPage().then(markInteractive);
} else if (api.loggedIn) {
  startSession();
} else {
  auth.show();
  markInteractive();
}
