// The signed-in app, loaded on sign-in (or at once when a session is kept) so the sign-in screen
// stays small: wires the store, sync, socket, drafts, the local copy and the views; owns the route
// (#/rooms/{id}, #/admin/{tab}), rendering, network and push.
//
// A start with a local copy (local-copy.js) of this person paints from it without waiting for the
// network (the rooms, the open room's messages, the sends still on their way, the drafts), then
// resumes from its cursors over the socket; a first start loads the drafts (whose answer holds
// my user stream's head, the cursor), then my rooms, over REST. The local copy follows the store
// until the session ends, which deletes it.
import { Socket, wsUrl } from './socket.js';
import { Store } from './store.js';
import { Sync } from './sync.js';
import { Drafts } from './drafts.js';
import { LocalCopy, follow } from './local-copy.js';
import { $ } from './views/dom.js';
import { renderSidebar, renderConnection, navOpen, openNav, closeNav } from './views/sidebar.js';
import { initTimeline } from './views/timeline.js';
import { initShortcuts } from './views/shortcuts.js';
import { toast, announce } from './views/notices.js';
import { connectionLabel } from './format.js';
import { joinCode } from './invites.js';

/**
 * api (the signed-in client: its onSessionEnded() says the server ended the session);
 * endSession(message | null) ends it (app.js: back to the sign-in screen, which calls end());
 * markInteractive() once the first room shows. Returns {start(), end()}.
 */
export function initSession({ api, endSession, markInteractive }) {
  const store = new Store();
  let copy = null; // the local copy (null: none here, or none yet)
  let keeper = null; // follow(store, copy) while a session runs
  const drafts = new Drafts({ api, save: (r) => copy && copy.write({ put: { drafts: [r] } }), onChange: (id) => timeline.draftChanged(id) });
  const sync = new Sync({
    store, api, drafts, toast, navigate, onMessage: (message) => timeline.showIncoming(message),
    onNotification: (ev) => { window.confab.notificationLog.push(ev); if (attention) attention.then((a) => a && a.notify(ev)); },
  });
  const timeline = initTimeline({ store, api, sync, drafts, invalidate, openRoom });
  // Loaded on first use (one load, however fast the keys come).
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
  // `focused`: the member list's element that had the focus before the list was drawn again.
  function moderate(focused) {
    const r = store.rooms.get(store.activeRoomId);
    if (!moderation && !(r && r.kind !== 'direct' && !$('members').hidden && (store.me.role === 'admin' || r.role === 'owner' || r.role === 'admin'))) return;
    moderation ||= import('./views/moderation.js').then((m) => m.initModeration({ store, api, sync })).catch(() => { moderation = null; });
    moderation.then((v) => v && v.render(store.activeRoomId, focused));
  }
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
    if (parts.has('members') && store.activeRoomId) {
      const focused = $('member-list').contains(document.activeElement) ? document.activeElement : null;
      timeline.renderMembers();
      moderate(focused);
    }
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
      case 'user_seq': break;
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

  // A start from the local copy opens what it has; my user stream may bring more: the room the
  // address names (a room id), or the first of mine when none was there ('first'). It opens when
  // it comes, unless another one was opened meanwhile.
  let awaited = null;
  store.subscribe((what) => {
    const id = awaited === 'first' ? firstRoom() : awaited;
    if (what === 'rooms' && id && store.rooms.has(id)) openRoom(id);
  });

  /** Opens a room (unknown: none) at `target` ({id, seq}) or where the timeline decides; `thread`: {rootId, at} too. */
  async function openRoom(roomId, { target, thread } = {}) {
    awaited = null;
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
    if (!store.me) return;
    const id = roomInHash();
    if (id && store.rooms.has(id) && id !== store.activeRoomId) openRoom(id); else if (id && !store.rooms.has(id)) awaited = id;
    if (adminInHash()) openAdmin(adminInHash());
  });

  /** The room a start opens: the address's, else the first of mine. */
  function firstRoom() {
    const want = roomInHash();
    return (want && store.rooms.has(want)) ? want : (store.joinedRooms()[0] || store.directRooms()[0] || {}).id;
  }

  /** The local copy of this person, painted: true when there was one (its other rooms' messages follow). */
  async function fromCopy() {
    copy = await LocalCopy.open();
    const kept = copy && await copy.load(api.user.id).catch(() => null);
    if (!kept) {
      if (copy) { await LocalCopy.wipe(undefined, copy); copy = await LocalCopy.open(); } // someone else's, or unreadable
      return false;
    }
    store.restore(kept);
    drafts.restore(kept.drafts);
    const first = firstRoom();
    const run = first && store.kept.has(first) && await copy.timeline(first).catch(() => null);
    if (run) store.restoreTimeline(first, run.messages, run.has_more);
    return true;
  }

  /** A first start here: my drafts (their answer's head is my user stream's cursor), me and my rooms over REST. */
  async function fromServer() {
    store.setMe(api.user);
    try {
      store.setUserSeq(await drafts.reload());
      const [me, rooms] = await Promise.all([api.me(), api.allRooms({ joined: true })]);
      store.setMe(me);
      store.setRooms(rooms);
    } catch (e) {
      if (!api.loggedIn) return; // session ended
      toast(e.detail || e.message);
    }
    for (const r of store.directRooms()) sync.loadMembers(r.id);
  }

  // The page is being hidden (or closed): what is due goes to the copy and the server now.
  const hidden = () => { if (keeper) keeper.flush(); drafts.flush(); };
  window.addEventListener('pagehide', hidden);

  // ---- session
  async function start() {
    const adminAt = adminInHash(); // the first room replaces it
    // The session's views: a first start waits for the network anyway, so its room shows whole; a
    // start from the local copy paints first and loads them after.
    const views = () => {
      attention ||= import('./views/attention.js').then((m) => m.initAttention({ store, open: openRoom })).catch(() => null);
      return timeline.loadViews();
    };
    store.setVisible(document.visibilityState === 'visible');
    $('app').hidden = false;
    $('skip-link').hidden = false;
    const warm = await fromCopy();
    const loading = warm ? null : views();
    if (!warm) await fromServer();
    if (copy) keeper = follow(store, copy);
    invalidate('sidebar', 'header', 'connection');
    // The other rooms' kept messages, read before the socket can change them.
    const rest = warm ? copy.timelines().catch(() => []) : null;
    push((p) => p.resume());
    const socket = new Socket({
      url: wsUrl(),
      getToken: () => api.accessToken(),
      refreshToken: () => api.refresh(),
      onReady: (user, userSeq) => sync.onReady(user, userSeq),
      onEvent: (ev) => sync.onEvent(ev),
      onState: (state, info) => { window.confab.connectionLog.push(state); store.setConnection(state, info); },
      onSessionEnded: () => api.onSessionEnded(),
    });
    sync.connect(socket);
    window.confab.socket = socket;
    socket.start();
    if (joinCode(location.hash)) navigate(null); // an invite link has done its job
    const want = roomInHash();
    const first = firstRoom();
    await loading;
    const opened = first ? openRoom(first) : null;
    if (!first) { invalidate('header', 'timeline'); $('btn-browse').focus(); }
    if (warm) views();
    await opened;
    if (want && want !== store.activeRoomId) { if (store.rooms.has(want)) openRoom(want); else awaited = want; } else if (!first) awaited = 'first';
    markInteractive();
    if (adminAt) openAdmin(adminAt);
    if (rest) for (const r of await rest) store.restoreTimeline(r.room_id, r.messages, r.has_more);
    // The app shell for a start with no network (sw.js); a plain-HTTP address has no workers.
    if (navigator.serviceWorker && isSecureContext) navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  }

  /** The session ended (signed out, or the server ended it): nothing of it stays, the local copy neither. */
  function end() {
    push((p) => p.disable({ server: false })); // no token left: the server drops it
    sync.disconnect();
    if (keeper) { keeper.stop(); keeper = null; }
    LocalCopy.wipe(undefined, copy);
    copy = null;
    drafts.clear();
    store.reset();
    timeline.clear();
    for (const d of document.querySelectorAll('dialog[open]')) d.close();
    search.clear();
    $('skip-link').hidden = true;
    lastAnnounced = '';
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
  // A tab coming back checks its connection instead of trusting it; one going away saves.
  document.addEventListener('visibilitychange', () => {
    store.setVisible(document.visibilityState === 'visible');
    if (document.visibilityState === 'visible') socketNow((s) => s.network(navigator.onLine)); else hidden();
  });
  for (const id of ['btn-reconnect', 'banner-retry']) $(id).addEventListener('click', () => socketNow((s) => s.reconnectNow()));

  // ---- navigation drawer (narrow screens)
  $('btn-nav').addEventListener('click', openNav);
  $('scrim').addEventListener('click', closeNav);

  Object.assign(window.confab, { store, sync, drafts }); // debug, tests
  return { start, end };
}
