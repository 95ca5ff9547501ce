// Entry point: wires the API client, the socket, the store and the views together.
import { Api } from './api.js';
import { Socket, wsUrl } from './socket.js';
import { Store } from './store.js';
import { plainText } from './markdown.js';
import { typingText } from './format.js';
import { $, h, setChildren, fieldError } from './views/dom.js';
import { initAuth, showProblem } from './views/auth.js';
import { renderSidebar, renderConnection } from './views/sidebar.js';
import { renderMembers } from './views/members.js';
import { MessageList } from './views/messages.js';

const store = new Store();
const api = new Api({ onSessionEnded: () => endSession('Your session has ended. Please sign in again.') });
let socket = null;
let firstReady = true;
const subscribedRooms = new Set(); // rooms this connection subscribed to (reset on reconnect)
const resubscribes = new Map(); // room id -> 'behind' resubscribes on this connection
const lastReadSent = new Map(); // room id -> seq last sent as read marker
let lastTypingSent = 0;
let membersOpen = false;

// ---- views ---------------------------------------------------------------------------------
const auth = initAuth({
  onSubmit: async (mode, username, password) => {
    if (mode === 'login') await api.login(username, password);
    else await api.register(username, password);
    await startSession();
  },
});

const list = new MessageList($('messages'), {
  onEdit: (msg) => { list.editingId = msg.id; renderTimeline(); },
  onCancelEdit: () => { list.editingId = null; renderTimeline(); $('composer-input').focus(); },
  onSaveEdit: async (msg, body) => {
    try {
      if (body !== msg.body) {
        const updated = await api.editMessage(msg.room_id, msg.id, body);
        store.mergeMessage(msg.room_id, updated);
      }
      list.editingId = null;
      renderTimeline();
      $('composer-input').focus();
    } catch (e) { toast(e.detail || e.message); }
  },
  onDelete: async (msg) => {
    try {
      await api.deleteMessage(msg.room_id, msg.id);
      const t = store.timeline(msg.room_id);
      const cur = t.byId.get(msg.id);
      if (cur) t.byId.set(msg.id, { ...cur, body: '', deleted: true });
      renderTimeline();
    } catch (e) { toast(e.detail || e.message); }
  },
  onRetry: (clientId) => retrySend(clientId),
  onDiscard: (clientId) => {
    const f = store.findPending(clientId);
    if (f) { store.timeline(f.roomId).pending.delete(clientId); renderTimeline(); }
  },
});

// Coalesce renders into one animation frame.
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
  if (parts.has('header')) renderHeader();
  if (parts.has('timeline')) renderTimeline();
  if (parts.has('members') && store.activeRoomId) renderMembers(store, store.activeRoomId);
  if (parts.has('typing')) renderTyping();
}

store.subscribe((what, roomId) => {
  switch (what) {
    case 'rooms': invalidate('sidebar', 'header'); break;
    case 'connection': invalidate('connection'); break;
    case 'timeline': if (roomId === store.activeRoomId) invalidate('timeline'); break;
    case 'members': if (roomId === store.activeRoomId) invalidate('members', 'header'); break;
    case 'presence': invalidate('members', 'sidebar'); break;
    case 'typing': if (roomId === store.activeRoomId) invalidate('typing'); break;
    case 'active': invalidate('sidebar', 'header', 'timeline', 'members', 'typing'); break;
    default: invalidate('sidebar', 'header', 'timeline', 'members', 'typing', 'connection');
  }
});

function renderHeader() {
  const room = store.rooms.get(store.activeRoomId);
  const has = Boolean(room);
  $('room-name').textContent = has ? (room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name) : 'Welcome';
  $('room-topic').textContent = has ? (room.kind === 'direct' ? 'Direct message' : room.topic || '') : 'Pick a room, or create one.';
  $('btn-members').hidden = !has;
  const count = has ? ((store.members.get(room.id) || []).length || room.member_count || 0) : 0;
  $('member-count').textContent = `${count} member${count === 1 ? '' : 's'}`;
  $('btn-leave').hidden = !has || !room.joined || room.kind === 'direct';
  $('btn-join').hidden = !has || room.joined;
  $('composer').hidden = !has || !room.joined;
  $('composer-hint').hidden = !has || !room.joined;
  $('empty').hidden = has;
  $('members').hidden = !has || !membersOpen;
  $('btn-members').setAttribute('aria-expanded', String(has && membersOpen));
  $('composer-input').placeholder = has ? `Message ${room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name}` : 'Message';
}

// ---- timeline and scrolling ------------------------------------------------------------------
const timelineEl = $('timeline');
let stickToBottom = true;
let anchorFromBottom = null; // set while prepending older history

function atBottom() { return timelineEl.scrollHeight - timelineEl.scrollTop - timelineEl.clientHeight < 48; }

function renderTimeline() {
  const roomId = store.activeRoomId;
  if (!roomId) { $('messages').replaceChildren(); $('history-status').textContent = ''; return; }
  const t = store.timeline(roomId);
  const wasBottom = stickToBottom;
  list.render(store.messages(roomId), store.me);
  const msgs = store.messages(roomId);
  $('history-status').textContent = !t.loaded ? 'Loading messages…' : t.loadingOlder ? 'Loading older messages…'
    : t.hasMore ? '' : (msgs.length ? 'This is the beginning of the room.' : 'No messages yet. Say hello!');
  if (wasBottom) timelineEl.scrollTop = timelineEl.scrollHeight;
  else if (anchorFromBottom !== null) { timelineEl.scrollTop = timelineEl.scrollHeight - anchorFromBottom; anchorFromBottom = null; }
  updateJump();
  maybeMarkRead();
}

function updateJump() {
  const show = Boolean(store.activeRoomId) && !atBottom();
  $('btn-jump').hidden = !show;
}

timelineEl.addEventListener('scroll', () => {
  stickToBottom = atBottom();
  updateJump();
  if (stickToBottom) { $('btn-jump').textContent = 'Jump to latest ↓'; maybeMarkRead(); }
  if (timelineEl.scrollTop < 150) loadOlder();
}, { passive: true });

$('btn-jump').addEventListener('click', () => {
  stickToBottom = true;
  timelineEl.scrollTop = timelineEl.scrollHeight;
  $('btn-jump').textContent = 'Jump to latest ↓';
  $('composer-input').focus();
});

async function loadOlder() {
  const roomId = store.activeRoomId;
  if (!roomId) return;
  const t = store.timeline(roomId);
  if (!t.loaded || !t.hasMore || t.loadingOlder) return;
  const stored = [...t.byId.values()];
  if (!stored.length) return;
  const oldest = Math.min(...stored.map((m) => m.seq));
  t.loadingOlder = true;
  try {
    const page = await api.history(roomId, { beforeSeq: oldest, limit: 50 });
    if (store.activeRoomId === roomId) anchorFromBottom = timelineEl.scrollHeight - timelineEl.scrollTop;
    t.loadingOlder = false;
    store.applyHistory(roomId, page.messages, page.has_more, { older: true });
  } catch (e) {
    t.loadingOlder = false;
    toast(e.detail || e.message);
  }
}

async function loadHistory(roomId) {
  try {
    const page = await api.history(roomId, { limit: 50 });
    store.applyHistory(roomId, page.messages, page.has_more);
    return true;
  } catch (e) {
    if (e.status === 404 || e.status === 403) { toast('You no longer have access to that room.'); store.removeRoom(roomId); navigate(null); }
    else toast(e.detail || e.message);
    return false;
  }
}

function maybeMarkRead() {
  const roomId = store.activeRoomId;
  const room = store.rooms.get(roomId);
  if (!room || !room.joined || document.visibilityState !== 'visible' || !atBottom()) return;
  store.markRead(roomId);
  const seq = store.cursor(roomId);
  if (seq === undefined || seq <= (lastReadSent.get(roomId) ?? 0)) return;
  lastReadSent.set(roomId, seq);
  if (!(socket && socket.send({ type: 'read', room_id: roomId, seq }))) api.markRead(roomId, seq).catch(() => {});
}
document.addEventListener('visibilitychange', maybeMarkRead);

function renderTyping() {
  const names = store.activeRoomId ? store.typingNames(store.activeRoomId) : [];
  $('typing').textContent = typingText(names);
}
setInterval(() => {
  if (!store.me) return;
  renderTyping();
  for (const id of store.expirePending()) toast('A message could not be sent. Use Retry to try again.', id);
}, 1000);

// ---- rooms -----------------------------------------------------------------------------------
function navigate(roomId) {
  const hash = roomId ? `#/rooms/${roomId}` : '#/';
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

async function openRoom(roomId, { focus = true } = {}) {
  const room = store.rooms.get(roomId);
  if (!room) { navigate(null); store.setActiveRoom(null); return; }
  if (list.editingId) list.editingId = null;
  stickToBottom = true;
  store.setActiveRoom(roomId);
  navigate(roomId);
  closeNav();
  store.markRead(roomId);
  if (!subscribedRooms.has(roomId)) subscribeRoom(roomId);
  const t = store.timeline(roomId);
  const loads = [];
  if (!t.loaded) loads.push(loadHistory(roomId));
  loads.push(loadMembers(roomId));
  if (focus && room.joined && matchMedia('(min-width: 721px)').matches) $('composer-input').focus();
  await Promise.all(loads);
}

async function loadMembers(roomId) {
  try {
    const res = await api.members(roomId);
    store.setMembers(roomId, res.members);
    const room = store.rooms.get(roomId);
    if (room && room.kind === 'direct') {
      const peer = res.members.find((m) => m.user.id !== store.me.id);
      if (peer) store.setDmPeer(roomId, peer.user);
    }
  } catch { /* shown as an empty list */ }
}

function subscribeRoom(roomId) {
  if (socket && socket.subscribe(roomId, store.cursor(roomId))) subscribedRooms.add(roomId);
}

async function addRoom(room, { open = false } = {}) {
  store.upsertRoom(room);
  subscribeRoom(room.id);
  if (room.kind === 'direct') await loadMembers(room.id);
  if (open) await openRoom(room.id);
}

$('btn-join').addEventListener('click', async () => {
  const id = store.activeRoomId;
  try { const room = await api.joinRoom(id); await addRoom(room); await loadMembers(id); $('composer-input').focus(); } catch (e) { toast(e.detail || e.message); }
});
$('btn-leave').addEventListener('click', async () => {
  const id = store.activeRoomId;
  const btn = $('btn-leave');
  if (!btn.dataset.armed) {
    btn.dataset.armed = '1'; btn.textContent = 'Leave room?';
    setTimeout(() => { delete btn.dataset.armed; btn.textContent = 'Leave'; }, 4000);
    return;
  }
  delete btn.dataset.armed; btn.textContent = 'Leave';
  try {
    await api.leaveRoom(id);
    socket && socket.send({ type: 'unsubscribe', room_id: id });
    subscribedRooms.delete(id);
    store.leaveRoom(id);
    const next = store.joinedRooms()[0] || store.directRooms()[0];
    if (next) openRoom(next.id); else { store.setActiveRoom(null); navigate(null); }
  } catch (e) { toast(e.detail || e.message); }
});
$('btn-members').addEventListener('click', () => { membersOpen = !membersOpen; invalidate('header', 'members'); });
$('btn-members-close').addEventListener('click', () => { membersOpen = false; invalidate('header'); $('btn-members').focus(); });

// ---- composer --------------------------------------------------------------------------------
const input = $('composer-input');
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitComposer(); }
  if (e.key === 'ArrowUp' && input.value === '') {
    const mine = store.messages(store.activeRoomId).filter((m) => !m.pending && !m.deleted && m.author && m.author.id === store.me.id);
    if (mine.length) { e.preventDefault(); list.editingId = mine[mine.length - 1].id; renderTimeline(); }
  }
});
// Typing notices: at most one per TYPING_EVERY_MS (the server forwards one per 2 s); a keystroke
// inside the window schedules one trailing notice so a short burst is still announced.
const TYPING_EVERY_MS = 2100;
let typingTimer = 0;
function sendTyping() {
  typingTimer = 0;
  if (!input.value.trim() || !store.activeRoomId) return;
  const wait = TYPING_EVERY_MS - (Date.now() - lastTypingSent);
  if (wait > 0) { typingTimer = setTimeout(sendTyping, wait); return; }
  if (socket && socket.send({ type: 'typing', room_id: store.activeRoomId })) lastTypingSent = Date.now();
}
input.addEventListener('input', () => { if (!typingTimer) sendTyping(); });
$('composer').addEventListener('submit', (e) => { e.preventDefault(); submitComposer(); });

function submitComposer() {
  const body = input.value.trim();
  const roomId = store.activeRoomId;
  if (!body || !roomId) return;
  if (body.length > 4000) { toast('Messages can be at most 4000 characters.'); return; }
  input.value = '';
  clearTimeout(typingTimer);
  typingTimer = 0;
  const clientId = crypto.randomUUID();
  store.addPending(roomId, body, clientId);
  stickToBottom = true;
  sendFrame(roomId, clientId, body);
}

function sendFrame(roomId, clientId, body) {
  if (socket && socket.send({ type: 'send', room_id: roomId, client_id: clientId, body })) return;
  // No live socket: fall back to REST with the same client_id (idempotent on the server).
  api.sendMessage(roomId, body, clientId)
    .then((message) => store.applyAck({ client_id: clientId, message }))
    .catch((e) => { if (e.status && e.status !== 429 && e.status < 500) { store.setPendingStatus(clientId, 'failed'); toast(e.detail || e.message); } });
}

function retrySend(clientId) {
  const f = store.findPending(clientId);
  if (!f) return;
  store.setPendingStatus(clientId, 'pending');
  sendFrame(f.roomId, clientId, f.p.body);
}

// ---- socket events ---------------------------------------------------------------------------
function announce(text) {
  const live = $('live');
  live.append(h('p', { text }));
  while (live.childElementCount > 3) live.firstElementChild.remove();
}

async function onReady(user) {
  store.setMe(user);
  subscribedRooms.clear();
  resubscribes.clear();
  const rooms = [...store.joinedRooms(), ...store.directRooms()].map((r) => r.id);
  if (store.activeRoomId && !rooms.includes(store.activeRoomId)) rooms.push(store.activeRoomId);
  for (const id of rooms) subscribeRoom(id);
  // Resend what may not have arrived, with the same client_id (never a duplicate).
  for (const p of store.allPending()) socket.send({ type: 'send', room_id: p.room_id, client_id: p.client_id, body: p.body });
  if (!firstReady) {
    // Rooms I was added to while away, and fresh online states.
    try {
      const mine = await api.allRooms({ joined: true });
      store.setRooms(mine, { keepUnread: true });
      for (const r of mine) if (r.joined && !subscribedRooms.has(r.id)) { subscribeRoom(r.id); if (r.kind === 'direct' && !store.dmPeers.has(r.id)) loadMembers(r.id); }
    } catch { /* next reconnect */ }
    if (store.activeRoomId) loadMembers(store.activeRoomId);
  }
  firstReady = false;
}

async function onEvent(ev) {
  switch (ev.type) {
    case 'message': case 'message_updated': case 'message_deleted': {
      const res = store.applyChange(ev);
      if (res === 'gap') { subscribeRoom(ev.room_id); return; }
      if (res === 'applied' && ev.type === 'message' && ev.room_id === store.activeRoomId && ev.message.author.id !== store.me.id) {
        announce(`${ev.message.author.username}: ${plainText(ev.message.body)}`);
        if (!stickToBottom) $('btn-jump').textContent = 'New messages ↓';
      }
      return;
    }
    case 'subscribed': {
      const res = store.applySubscribed(ev);
      if (res === 'behind') {
        // A REST page moved past the live head: replay the gap (bounded, in case of a server bug).
        const n = (resubscribes.get(ev.room_id) || 0) + 1;
        resubscribes.set(ev.room_id, n);
        if (n <= 3) subscribeRoom(ev.room_id); else store.advanceCursor(ev.room_id, ev.head_seq);
      }
      if (res === 'truncated' || res === 'reset') {
        store.dropRoomCache(ev.room_id);
        if (ev.room_id === store.activeRoomId) await loadHistory(ev.room_id);
        store.advanceCursor(ev.room_id, ev.head_seq);
      }
      return;
    }
    case 'ack': store.applyAck(ev); return;
    case 'error':
      if (ev.client_id) {
        store.setPendingStatus(ev.client_id, 'failed');
        toast(ev.code === 'rate_limited' ? 'You are sending too fast. Retry in a moment.' : ev.message || 'Message not sent.');
      } else if (ev.code === 'not_found' || ev.code === 'not_a_member') {
        /* a room went away under us: the member/room events update the UI */
      } else toast(ev.message || ev.code);
      return;
    case 'typing': store.setTyping(ev.room_id, ev.user); return;
    case 'presence': store.setPresence(ev.user, ev.online); return;
    case 'member_joined':
      if (ev.user.id === store.me.id || !store.rooms.has(ev.room_id) || !store.rooms.get(ev.room_id).joined) {
        if (ev.user.id !== store.me.id && store.rooms.has(ev.room_id)) { store.memberJoined(ev.room_id, ev.user); return; }
        try { const room = await api.room(ev.room_id); if (room.joined) await addRoom(room); } catch { /* not visible */ }
      } else {
        store.memberJoined(ev.room_id, ev.user);
        // Presence only flows between users who share a room: fetch the newcomer's online state.
        if (store.members.has(ev.room_id)) loadMembers(ev.room_id);
      }
      return;
    case 'member_left':
      if (ev.user.id === store.me.id) {
        subscribedRooms.delete(ev.room_id);
        store.leaveRoom(ev.room_id);
        if (store.activeRoomId === ev.room_id && !store.rooms.has(ev.room_id)) { store.setActiveRoom(null); navigate(null); }
      } else store.memberLeft(ev.room_id, ev.user);
      return;
    case 'room_updated': store.upsertRoom(ev.room, { neutral: true }); return;
    case 'room_deleted':
      subscribedRooms.delete(ev.room_id);
      if (store.rooms.has(ev.room_id) && store.activeRoomId === ev.room_id) { toast('This room was deleted.'); navigate(null); }
      store.removeRoom(ev.room_id);
      return;
    case 'read': store.markRead(ev.room_id); return;
    default:
  }
}

// ---- session ---------------------------------------------------------------------------------
async function startSession() {
  store.setMe(api.user);
  auth.hide();
  $('app').hidden = false;
  $('me-name').textContent = api.user ? api.user.username : '';
  invalidate('sidebar', 'header', 'connection');
  try {
    const [me, rooms] = await Promise.all([api.me(), api.allRooms({ joined: true })]);
    store.setMe(me);
    $('me-name').textContent = me.username;
    store.setRooms(rooms);
  } catch (e) {
    if (!api.loggedIn) return; // session ended: back at the login screen
    toast(e.detail || e.message);
  }
  for (const r of store.directRooms()) loadMembers(r.id);
  firstReady = true;
  socket = new Socket({
    url: wsUrl(),
    getToken: () => api.accessToken(),
    refreshToken: () => api.refresh(),
    onReady,
    onEvent,
    onState: (state, detail) => { window.confab.connectionLog.push(state); store.setConnection(state, detail); },
    onSessionEnded: () => endSession('Your session has ended. Please sign in again.'),
  });
  window.confab.socket = socket;
  socket.start();
  const m = /^#\/rooms\/(\d+)/.exec(location.hash);
  const want = m ? Number(m[1]) : null;
  const first = (want && store.rooms.has(want)) ? want : (store.joinedRooms()[0] || store.directRooms()[0] || {}).id;
  if (first) await openRoom(first, { focus: true }); else invalidate('header', 'timeline');
  markInteractive();
}

function endSession(message) {
  if (socket) { socket.stop(); socket = null; }
  api.save(null);
  store.reset();
  subscribedRooms.clear();
  lastReadSent.clear();
  list.editingId = null;
  $('messages').replaceChildren();
  closeDialogs();
  auth.show();
  if (message) fieldError('auth-error', message);
}

$('btn-logout').addEventListener('click', async () => {
  if (socket) { socket.stop(); socket = null; }
  await api.logout();
  endSession(null);
});

window.addEventListener('online', () => socket && socket.reconnectNow());
window.addEventListener('hashchange', () => {
  const m = /^#\/rooms\/(\d+)/.exec(location.hash);
  if (m && store.rooms.has(Number(m[1])) && Number(m[1]) !== store.activeRoomId) openRoom(Number(m[1]));
});

// ---- navigation drawer (narrow screens) ------------------------------------------------------
function openNav() { document.body.classList.add('nav-open'); $('scrim').hidden = false; $('btn-nav').setAttribute('aria-expanded', 'true'); const a = $('sidebar').querySelector('a,button'); if (a) a.focus(); }
function closeNav() { if (!document.body.classList.contains('nav-open')) return; document.body.classList.remove('nav-open'); $('scrim').hidden = true; $('btn-nav').setAttribute('aria-expanded', 'false'); }
$('btn-nav').addEventListener('click', openNav);
$('scrim').addEventListener('click', closeNav);
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') { if (document.body.classList.contains('nav-open')) { closeNav(); $('btn-nav').focus(); } else if (membersOpen && !document.querySelector('dialog[open]')) { membersOpen = false; invalidate('header'); } } });

// ---- dialogs ---------------------------------------------------------------------------------
function closeDialogs() { for (const d of document.querySelectorAll('dialog[open]')) d.close(); }
for (const d of document.querySelectorAll('dialog')) {
  d.addEventListener('click', (e) => { if (e.target.closest('[data-close]') || e.target === d) d.close(); });
}

$('btn-create').addEventListener('click', () => {
  $('form-create').reset();
  for (const id of ['err-create-name', 'err-create-topic', 'create-error']) fieldError(id);
  $('dlg-create').showModal();
  $('create-name').focus();
});
$('form-create').addEventListener('submit', async (e) => {
  e.preventDefault();
  for (const id of ['err-create-name', 'err-create-topic', 'create-error']) fieldError(id);
  const name = $('create-name').value.trim();
  if (!name) { fieldError('err-create-name', 'Give the room a name.'); return; }
  const topic = $('create-topic').value.trim();
  const visibility = new FormData($('form-create')).get('visibility') || 'public';
  try {
    const room = await api.createRoom(name, topic || undefined, visibility);
    $('dlg-create').close();
    await addRoom(room, { open: true });
  } catch (err) { showProblem(err, { name: 'err-create-name', topic: 'err-create-topic' }, 'create-error'); }
});

$('btn-browse').addEventListener('click', async () => {
  fieldError('browse-error');
  $('dlg-browse').showModal();
  // The first page of public rooms I have not joined (the sidebar holds mine).
  try { const res = await api.roomsPage({ joined: false }); for (const r of res.rooms) store.upsertRoom(r); } catch (e) { fieldError('browse-error', e.detail || e.message); }
  const rooms = store.publicRooms();
  setChildren($('browse-list'), rooms.length ? rooms.map((r) => h('li', { class: 'browse-item' },
    h('div', {}, h('strong', { text: '#' + r.name }), h('span', { class: 'muted small', text: ` · ${r.member_count} member${r.member_count === 1 ? '' : 's'}` }),
      r.topic ? h('p', { class: 'muted small', text: r.topic }) : null),
    h('button', { type: 'button', class: 'btn ' + (r.joined ? 'subtle' : 'primary'), onclick: async () => {
      try {
        if (!r.joined) await addRoom(await api.joinRoom(r.id));
        $('dlg-browse').close();
        await openRoom(r.id);
      } catch (err) { fieldError('browse-error', err.detail || err.message); }
    } }, r.joined ? 'Open' : 'Join'))) : h('li', { class: 'muted', text: 'No public rooms yet. Create one!' }));
  const firstBtn = $('browse-list').querySelector('button');
  if (firstBtn) firstBtn.focus();
});

let dmTimer = 0;
$('btn-dm').addEventListener('click', () => {
  $('dm-query').value = '';
  $('dm-results').replaceChildren();
  fieldError('dm-error');
  $('dlg-dm').showModal();
  $('dm-query').focus();
});
$('form-dm').addEventListener('submit', (e) => { e.preventDefault(); const b = $('dm-results').querySelector('button'); if (b) b.click(); });
$('dm-query').addEventListener('input', () => {
  clearTimeout(dmTimer);
  dmTimer = setTimeout(async () => {
    const q = $('dm-query').value.trim();
    fieldError('dm-error');
    if (!q) { $('dm-results').replaceChildren(); return; }
    try {
      const res = await api.searchUsers(q);
      if ($('dm-query').value.trim() !== q) return;
      const users = res.users.filter((u) => u.id !== store.me.id);
      setChildren($('dm-results'), users.length ? users.map((u) => h('li', { class: 'browse-item' },
        h('span', {}, h('span', { class: 'dot' + (store.isOnline(u.id) ? ' on' : ''), 'aria-hidden': 'true' }), ' ', h('strong', { text: u.username })),
        h('button', { type: 'button', class: 'btn primary', 'aria-label': `Message ${u.username}`, onclick: async () => {
          try {
            const room = await api.openDm(u.id);
            store.setDmPeer(room.id, u);
            $('dlg-dm').close();
            await addRoom(room, { open: true });
          } catch (err) { fieldError('dm-error', err.detail || err.message); }
        } }, 'Message'))) : h('li', { class: 'muted', text: 'Nobody by that name.' }));
    } catch (err) { fieldError('dm-error', err.detail || err.message); }
  }, 200);
});

// ---- toast -----------------------------------------------------------------------------------
let toastTimer = 0;
function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

// ---- boot ------------------------------------------------------------------------------------
let interactiveMarked = false;
function markInteractive() {
  if (interactiveMarked) return;
  interactiveMarked = true;
  performance.mark('confab-interactive');
}

window.confab = { store, api, socket: null, connectionLog: [] }; // debug and test hook
if (api.loggedIn) {
  startSession();
} else {
  auth.show();
  markInteractive();
}
