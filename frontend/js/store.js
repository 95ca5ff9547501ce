// Application state and its reducers. Pure: no DOM, no network; views subscribe to changes.
//
// Exactly-once display rests on the per-room cursor: the highest change `seq` applied.
// Change events (`message`, `message_updated`, `message_deleted`) with seq <= cursor are ignored;
// every message is kept by id, so a replay or a REST page merges instead of duplicating.
//
// Pending sends form one queue per room (in the order they were written): sync.js delivers the
// head and the next one only after its ack, so a room's messages are stored in that order.
//
// A timeline is one run of history without holes: the newest page and what came after it, or,
// after a jump (a search result, the first unread of a long absence), the page around one seq.
// Until the pages forward reach the live end (`hasNewer` false), messages after `newestPaged` are
// kept but not shown, so nothing shows after a hole.

export function createTimeline() {
  return {
    byId: new Map(), // message id -> Message
    pending: new Map(), // client_id -> {client_id, room_id, body, attachments: [File], status:'pending'|'failed', reason, created_at, author, order}
    loaded: false, // the newest page was fetched over REST
    hasMore: true, // older history exists on the server
    loadingOlder: false,
    hasNewer: false, // a jump loaded a page in the middle: newer history exists before the live end
    newestPaged: null, // with hasNewer: the newest seq of the pages loaded (shown up to it)
    loadingNewer: false,
    reacting: new Map(), // 'messageId emoji' -> {id, emoji, on}: my reactions on their way (shown)
  };
}

export class Store {
  constructor() {
    this.me = null;
    this.rooms = new Map(); // id -> Room
    this.timelines = new Map(); // room id -> timeline
    this.cursors = new Map(); // room id -> highest change seq applied
    this.members = new Map(); // room id -> [{user, role, online}]
    this.online = new Set(); // user ids
    this.typing = new Map(); // room id -> Map(user id -> {user, until})
    this.dmPeers = new Map(); // direct room id -> User (the other member)
    this.activeRoomId = null;
    this.connection = 'connecting'; // 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error'
    this.connectionInfo = {}; // {retryAt?: ms when the next attempt starts, message?: why it stopped}
    this.pendingOrder = 0; // queue position of the newest pending send
    this.listeners = new Set();
  }

  subscribe(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  emit(what, roomId = null) { for (const fn of this.listeners) fn(what, roomId); }

  // ---- session -------------------------------------------------------------------------------
  setMe(user) { this.me = user; this.emit('me'); }
  reset() {
    const listeners = this.listeners;
    Object.assign(this, new Store());
    this.listeners = listeners;
    this.emit('reset');
  }
  setConnection(state, info = {}) { this.connection = state; this.connectionInfo = info; this.emit('connection'); }

  // ---- rooms ---------------------------------------------------------------------------------
  /**
   * Replaces the room list from GET /rooms; keeps locally tracked unread counts of known rooms when
   * asked (and the later of the two read markers: mine only moves forward).
   */
  setRooms(rooms, { keepUnread = false } = {}) {
    const next = new Map();
    for (const r of rooms) {
      const old = this.rooms.get(r.id);
      next.set(r.id, keepUnread && old && old.joined
        ? { ...r, unread_count: old.unread_count, last_read_seq: laterMarker(old.last_read_seq, r.last_read_seq) } : r);
    }
    this.rooms = next;
    this.emit('rooms');
  }

  /** Upserts a room. `neutral` rooms (room_updated) do not carry my joined/role/unread/read-marker fields. */
  upsertRoom(room, { neutral = false } = {}) {
    const old = this.rooms.get(room.id);
    const merged = neutral && old
      ? { ...old, ...room, joined: old.joined, role: old.role, unread_count: old.unread_count, last_read_seq: old.last_read_seq }
      : { ...(old || {}), ...room };
    this.rooms.set(room.id, merged);
    this.emit('rooms');
    return merged;
  }

  removeRoom(roomId) {
    this.rooms.delete(roomId);
    this.timelines.delete(roomId);
    this.cursors.delete(roomId);
    this.members.delete(roomId);
    this.typing.delete(roomId);
    if (this.activeRoomId === roomId) this.activeRoomId = null;
    this.emit('rooms');
  }

  /** Marks a room as left (public rooms stay browsable). */
  leaveRoom(roomId) {
    const r = this.rooms.get(roomId);
    if (!r) return;
    if (r.visibility === 'public' && r.kind === 'room') {
      this.rooms.set(roomId, { ...r, joined: false, role: null, unread_count: 0, member_count: Math.max(0, r.member_count - 1) });
    } else {
      this.rooms.delete(roomId);
    }
    this.timelines.delete(roomId);
    this.cursors.delete(roomId);
    this.emit('rooms');
  }

  joinedRooms() {
    return [...this.rooms.values()].filter((r) => r.joined && r.kind !== 'direct').sort(byName);
  }
  directRooms() {
    return [...this.rooms.values()].filter((r) => r.joined && r.kind === 'direct')
      .sort((a, b) => (b.last_seq || 0) - (a.last_seq || 0) || a.id - b.id);
  }
  publicRooms() {
    return [...this.rooms.values()].filter((r) => r.kind !== 'direct' && r.visibility === 'public').sort(byName);
  }

  /** Display name: the other member's username for a direct room. */
  roomTitle(room) {
    if (!room) return '';
    if (room.kind === 'direct') {
      const peer = this.dmPeers.get(room.id);
      return peer ? peer.username : 'Direct message';
    }
    return room.name;
  }

  setDmPeer(roomId, user) { this.dmPeers.set(roomId, user); this.emit('rooms'); }

  setActiveRoom(roomId) {
    this.activeRoomId = roomId;
    this.emit('active', roomId);
  }

  // ---- unread --------------------------------------------------------------------------------
  markRead(roomId) {
    const r = this.rooms.get(roomId);
    if (r && r.unread_count) { this.rooms.set(roomId, { ...r, unread_count: 0 }); this.emit('rooms'); }
  }
  /**
   * My read marker moved to `seq` (here or on another connection: the `read` event): it becomes
   * the room's `last_read_seq` (never backwards), and what was unread between the old marker and
   * this one is no longer. Markers move only over loaded messages (what was on screen), so those
   * are the ones to count; at the live end nothing is left.
   */
  markReadUpTo(roomId, seq) {
    const r = this.rooms.get(roomId);
    if (!r) return;
    const before = r.last_read_seq;
    const marker = laterMarker(before, seq);
    const t = this.timelines.get(roomId);
    let left = r.unread_count || 0;
    if (left) {
      const oldest = t ? oldestSeq(t) : null;
      if (!t || seq >= (this.cursors.get(roomId) ?? Infinity)) left = 0;
      else if (typeof before === 'number' && (!t.hasMore || (oldest !== null && oldest <= before + 1))) {
        // Everything between the old marker and this one is loaded: those of others are read now.
        for (const m of t.byId.values()) if (m.seq > before && m.seq <= seq && this.unreadKind(m)) left--;
        left = Math.max(0, left);
      } else {
        // Not all of it is loaded (or no marker is known): what stays unread are the loaded
        // messages of others after it.
        let after = 0;
        for (const m of t.byId.values()) if (m.seq > seq && this.unreadKind(m)) after++;
        left = Math.min(left, after);
      }
    }
    if (left === (r.unread_count || 0) && marker === before) return;
    this.rooms.set(roomId, { ...r, unread_count: left, ...(marker === undefined ? {} : { last_read_seq: marker }) });
    this.emit('rooms');
  }
  /** A message that counts as unread when after my marker: someone else's, not deleted. */
  unreadKind(m) { return !m.deleted && !(this.me && m.author && m.author.id === this.me.id); }
  bumpUnread(roomId) {
    const r = this.rooms.get(roomId);
    if (r) { this.rooms.set(roomId, { ...r, unread_count: (r.unread_count || 0) + 1 }); this.emit('rooms'); }
  }

  // ---- messages ------------------------------------------------------------------------------
  timeline(roomId) {
    let t = this.timelines.get(roomId);
    if (!t) { t = createTimeline(); this.timelines.set(roomId, t); }
    return t;
  }

  cursor(roomId) { return this.cursors.get(roomId); }

  /** Moves the cursor forward (never backwards). */
  advanceCursor(roomId, seq) {
    const c = this.cursors.get(roomId);
    if (typeof seq === 'number' && (c === undefined || seq > c)) this.cursors.set(roomId, seq);
  }

  /** Forgets the cursor, e.g. when the server's head is below it (restored database). */
  dropRoomCache(roomId) {
    this.cursors.delete(roomId);
    this.timelines.delete(roomId);
    this.emit('timeline', roomId);
  }

  /**
   * Upserts one message by id; a deleted message never comes back to life; later edits win. A
   * `snapshot` (an ack, an edit's answer: reactions may have changed since) replaces only an older edit.
   */
  mergeMessage(roomId, msg, { snapshot = false } = {}) {
    const t = this.timeline(roomId);
    const old = t.byId.get(msg.id);
    let next = msg;
    if (old) {
      if (old.deleted && !msg.deleted) next = old;
      else if (!msg.deleted && old.edited_at && (!msg.edited_at || msg.edited_at < old.edited_at)) next = old;
      else if (snapshot && !(msg.edited_at && (!old.edited_at || msg.edited_at > old.edited_at))) next = old;
    }
    t.byId.set(msg.id, next);
    if (msg.client_id && t.pending.has(msg.client_id) && this.me && msg.author.id === this.me.id) {
      t.pending.delete(msg.client_id);
    }
    return !old;
  }

  /**
   * Merges a REST history page (ascending seq). `newest` pages move the cursor; an older page ends
   * its load. `replace`: the newest page after a jump, which ends it (the page and what came live
   * after it are the timeline; the jump's window goes).
   */
  applyHistory(roomId, messages, hasMore, { older = false, replace = false } = {}) {
    const t = this.timeline(roomId);
    if (replace) {
      this.dropStoredUpTo(t, messages.length ? messages[messages.length - 1].seq : Infinity);
      t.loaded = false;
      t.hasNewer = false;
      t.newestPaged = null;
      t.loadingNewer = false;
      t.loadingOlder = false;
    }
    for (const m of messages) this.mergeMessage(roomId, m);
    if (older) t.loadingOlder = false;
    if (older || !t.loaded) t.hasMore = hasMore;
    if (!older) {
      t.loaded = true;
      // A live subscription owns the cursor once it exists (a REST page may be ahead of events
      // still in flight); before the first subscribe, the page's newest seq is where replay starts.
      if (messages.length && !this.cursors.has(roomId)) this.advanceCursor(roomId, messages[messages.length - 1].seq);
    }
    this.emit('timeline', roomId);
  }

  /**
   * The page around one seq (a jump): it replaces what was loaded up to its newest message (what
   * came live after that stays). With `hasMoreAfter` newer history lies between it and the live end:
   * it loads forward (startLoadingNewer / applyNewer) and is not shown until then.
   */
  applyAround(roomId, messages, hasMore, hasMoreAfter) {
    const t = this.timeline(roomId);
    const newest = messages.length ? messages[messages.length - 1].seq : null;
    this.dropStoredUpTo(t, newest ?? Infinity);
    for (const m of messages) this.mergeMessage(roomId, m);
    t.loaded = true;
    t.hasMore = hasMore;
    t.loadingOlder = false;
    t.loadingNewer = false;
    t.hasNewer = Boolean(hasMoreAfter) && newest !== null;
    t.newestPaged = t.hasNewer ? newest : null;
    if (!t.hasNewer && newest !== null && !this.cursors.has(roomId)) this.advanceCursor(roomId, newest);
    this.emit('timeline', roomId);
  }

  /** Starts loading the page after a jump's window: returns its `after_seq`, or null (none, or under way). */
  startLoadingNewer(roomId) {
    const t = this.timeline(roomId);
    if (!t.loaded || !t.hasNewer || t.loadingNewer) return null;
    t.loadingNewer = true;
    return t.newestPaged;
  }

  /** A page forward after a jump's window; the last one (`hasMore` false) joins the live end. */
  applyNewer(roomId, messages, hasMore) {
    const t = this.timeline(roomId);
    t.loadingNewer = false;
    if (!t.hasNewer) return;
    for (const m of messages) this.mergeMessage(roomId, m);
    if (messages.length) t.newestPaged = Math.max(t.newestPaged, messages[messages.length - 1].seq);
    if (!hasMore || !messages.length) {
      t.hasNewer = false;
      t.newestPaged = null;
      if (messages.length && !this.cursors.has(roomId)) this.advanceCursor(roomId, messages[messages.length - 1].seq);
    }
    this.emit('timeline', roomId);
  }

  /** Ends a newer-page load that failed. */
  stopLoadingNewer(roomId) { this.timeline(roomId).loadingNewer = false; }

  dropStoredUpTo(t, seq) {
    for (const [id, m] of t.byId) if (m.seq <= seq) t.byId.delete(id);
  }

  /**
   * Starts loading the page before the oldest stored message: returns its `before_seq`, or null
   * when the newest page is not loaded yet, nothing older exists, or a load is under way. Emits
   * nothing: the page (applyHistory) or stopLoadingOlder ends the load.
   */
  startLoadingOlder(roomId) {
    const t = this.timeline(roomId);
    const oldest = oldestSeq(t);
    if (!t.loaded || !t.hasMore || t.loadingOlder || oldest === null) return null;
    t.loadingOlder = true;
    return oldest;
  }

  /** Ends an older-page load that failed (a later scroll tries again). */
  stopLoadingOlder(roomId) { this.timeline(roomId).loadingOlder = false; }

  /**
   * Applies a change event. Returns 'applied', 'duplicate' (seq <= cursor: already shown) or
   * 'gap' (seq > cursor + 1: the caller resubscribes from the cursor; nothing applied).
   */
  applyChange(ev) {
    const roomId = ev.room_id;
    const cur = this.cursors.get(roomId);
    if (cur !== undefined && ev.seq <= cur) return 'duplicate';
    if (cur !== undefined && ev.seq > cur + 1) return 'gap';
    this.cursors.set(roomId, ev.seq);
    const t = this.timeline(roomId);
    if (ev.type === 'message') {
      const isNew = this.mergeMessage(roomId, ev.message);
      const fromOther = !this.me || ev.message.author.id !== this.me.id;
      if (isNew && fromOther && !ev.message.deleted && roomId !== this.activeRoomId) this.bumpUnread(roomId);
      const r = this.rooms.get(roomId);
      if (r) this.rooms.set(roomId, { ...r, last_seq: Math.max(r.last_seq || 0, ev.seq) });
      if (isNew && fromOther) this.clearTyping(roomId, ev.message.author.id);
    } else if (ev.type === 'message_updated') {
      const known = t.byId.has(ev.message.id);
      const oldest = oldestSeq(t);
      // Outside the loaded window an edit would show out of context: it loads with that page.
      if (known || oldest === null || ev.message.seq >= oldest || !t.loaded) this.mergeMessage(roomId, ev.message);
    } else if (ev.type === 'message_deleted') {
      const old = t.byId.get(ev.message_id);
      if (old) t.byId.set(ev.message_id, tombstone(old));
    }
    this.emit('timeline', roomId);
    return 'applied';
  }

  /** `subscribed`: after a full replay the cursor is head_seq. */
  applySubscribed(ev) {
    const cur = this.cursors.get(ev.room_id);
    if (cur !== undefined && ev.head_seq < cur) { this.dropRoomCache(ev.room_id); return 'reset'; }
    if (ev.replay_truncated) return 'truncated';
    // The cursor is behind the head after a full replay only when a live-only subscribe raced
    // with a REST page: replay from the cursor instead of skipping what lies in between.
    if (cur !== undefined && cur < ev.head_seq) return 'behind';
    this.advanceCursor(ev.room_id, ev.head_seq);
    return 'ok';
  }

  /** Tombstones a loaded message (my delete succeeded; the event may still be on its way). */
  markDeleted(roomId, messageId) {
    const t = this.timelines.get(roomId);
    const old = t && t.byId.get(messageId);
    if (!old) return false;
    t.byId.set(messageId, tombstone(old));
    this.emit('timeline', roomId);
    return true;
  }

  /** Adds a pending (unsent) message, with the Files it carries, at the end of its room's queue; returns it. */
  addPending(roomId, body, clientId, { attachments = [], now = new Date() } = {}) {
    const t = this.timeline(roomId);
    const p = { client_id: clientId, room_id: roomId, body, attachments, status: 'pending', reason: '', created_at: now.toISOString(), author: this.me, order: ++this.pendingOrder };
    t.pending.set(clientId, p);
    this.emit('timeline', roomId);
    return p;
  }

  findPending(clientId) {
    for (const [roomId, t] of this.timelines) {
      const p = t.pending.get(clientId);
      if (p) return { roomId, p };
    }
    return null;
  }

  /** The first send of a room's queue still to deliver (failed ones wait for the person). */
  nextPending(roomId) {
    const t = this.timelines.get(roomId);
    let head = null;
    if (t) for (const p of t.pending.values()) if (p.status === 'pending' && (!head || p.order < head.order)) head = p;
    return head;
  }

  /** Rooms with a send still to deliver. */
  pendingRooms() {
    return [...this.timelines.keys()].filter((id) => this.nextPending(id));
  }

  /** `ack`: the pending entry becomes the stored message (no duplicate if the event came first). */
  applyAck(ev) {
    const roomId = ev.message.room_id;
    const t = this.timeline(roomId);
    t.pending.delete(ev.client_id);
    this.mergeMessage(roomId, ev.message, { snapshot: true });
    this.emit('timeline', roomId);
  }

  /** The server refused a send for good: it waits for the person (Retry or Discard), with `reason`. */
  failPending(clientId, reason) {
    const f = this.findPending(clientId);
    if (!f) return false;
    Object.assign(f.p, { status: 'failed', reason });
    this.emit('timeline', f.roomId);
    return true;
  }

  /** The person retries a refused send: it goes to the end of its room's queue. */
  requeuePending(clientId) {
    const f = this.findPending(clientId);
    if (!f) return null;
    Object.assign(f.p, { status: 'pending', reason: '', order: ++this.pendingOrder });
    this.emit('timeline', f.roomId);
    return f.p;
  }

  /** Drops a pending (failed) message the user gave up on. */
  discardPending(clientId) {
    const f = this.findPending(clientId);
    if (!f) return false;
    this.timelines.get(f.roomId).pending.delete(clientId);
    this.emit('timeline', f.roomId);
    return true;
  }

  /** Messages in display order: stored ones by seq (with my reactions on their way), then pending ones in queue order. */
  messages(roomId) {
    const t = this.timelines.get(roomId);
    if (!t) return [];
    const stored = [...t.byId.values()].filter((m) => !t.hasNewer || m.seq <= t.newestPaged).sort((a, b) => a.seq - b.seq);
    const pending = [...t.pending.values()].sort((a, b) => a.order - b.order)
      .map((p) => ({ id: 'p:' + p.client_id, pending: p.status, reason: p.reason, client_id: p.client_id, room_id: p.room_id, body: p.body, attachments: p.attachments, reactions: [], author: p.author, created_at: p.created_at, edited_at: null, deleted: false }));
    return (t.reacting.size ? stored.map((m) => this.withMine(t, m)) : stored).concat(pending);
  }

  // ---- my reactions: shown at once, until the server took them (or refused) ------------------
  withMine(t, m) {
    let reactions = m.reactions;
    for (const w of t.reacting.values()) if (w.id === m.id && !m.deleted) reactions = withReaction(reactions, w.emoji, this.me.id, w.on);
    return reactions === m.reactions ? m : { ...m, reactions };
  }
  /** I put my `emoji` on a message or took it off: shown so, whatever the server sends meanwhile. */
  wantReaction(roomId, messageId, emoji, on) {
    this.timeline(roomId).reacting.set(`${messageId} ${emoji}`, { id: messageId, emoji, on });
    this.emit('timeline', roomId);
  }
  /** My last wish (on: true), undefined once settled. */
  wantedReaction(roomId, messageId, emoji) {
    const w = this.timelines.get(roomId)?.reacting.get(`${messageId} ${emoji}`);
    return w && w.on;
  }
  /** The server took my wish (`ok`: kept until its message_updated) or refused it (rolled back). */
  settleReaction(roomId, messageId, emoji, ok) {
    const t = this.timelines.get(roomId);
    const w = t && t.reacting.get(`${messageId} ${emoji}`);
    if (!w) return;
    t.reacting.delete(`${messageId} ${emoji}`);
    const m = t.byId.get(messageId);
    if (ok && m && !m.deleted) t.byId.set(messageId, { ...m, reactions: withReaction(m.reactions, emoji, this.me.id, w.on) });
    this.emit('timeline', roomId);
  }

  // ---- members, presence, typing -------------------------------------------------------------
  setMembers(roomId, members) {
    this.members.set(roomId, members);
    for (const m of members) { if (m.online) this.online.add(m.user.id); else this.online.delete(m.user.id); }
    this.emit('members', roomId);
  }
  memberJoined(roomId, user) {
    const list = this.members.get(roomId);
    if (list && !list.some((m) => m.user.id === user.id)) {
      list.push({ user, role: 'member', online: this.online.has(user.id) || (this.me && user.id === this.me.id) });
      const r = this.rooms.get(roomId);
      if (r) this.rooms.set(roomId, { ...r, member_count: list.length });
      this.emit('members', roomId);
      this.emit('rooms');
    }
  }
  memberLeft(roomId, user) {
    const list = this.members.get(roomId);
    if (list && list.some((m) => m.user.id === user.id)) {
      this.members.set(roomId, list.filter((m) => m.user.id !== user.id));
      const r = this.rooms.get(roomId);
      if (r) this.rooms.set(roomId, { ...r, member_count: list.length - 1 });
      this.emit('members', roomId);
      this.emit('rooms');
    }
  }
  setPresence(user, online) {
    if (online) this.online.add(user.id); else this.online.delete(user.id);
    for (const list of this.members.values()) for (const m of list) if (m.user.id === user.id) m.online = online;
    this.emit('presence');
  }
  isOnline(userId) { return this.online.has(userId) || (this.me != null && userId === this.me.id); }

  setTyping(roomId, user, now = Date.now(), ttl = 3000) {
    if (this.me && user.id === this.me.id) return;
    let m = this.typing.get(roomId);
    if (!m) { m = new Map(); this.typing.set(roomId, m); }
    m.set(user.id, { user, until: now + ttl });
    this.emit('typing', roomId);
  }
  clearTyping(roomId, userId) {
    const m = this.typing.get(roomId);
    if (m && m.delete(userId)) this.emit('typing', roomId);
  }
  /** Usernames currently typing in a room (expired entries dropped). */
  typingNames(roomId, now = Date.now()) {
    const m = this.typing.get(roomId);
    if (!m) return [];
    for (const [id, e] of m) if (e.until <= now) m.delete(id);
    return [...m.values()].map((e) => e.user.username).sort();
  }
}

/** `reactions` with `userId`'s `emoji` on or off as the server does it (a new emoji last, an unused one gone); the same array if so already. */
export function withReaction(reactions = [], emoji, userId, on) {
  const r = reactions.find((x) => x.emoji === emoji);
  if (on === Boolean(r && r.user_ids.includes(userId))) return reactions;
  const ids = on ? [...(r ? r.user_ids : []), userId] : r.user_ids.filter((id) => id !== userId);
  const next = { emoji, count: ids.length, user_ids: ids };
  if (!r) return [...reactions, next];
  return ids.length ? reactions.map((x) => (x === r ? next : x)) : reactions.filter((x) => x !== r);
}
function byName(a, b) { return a.name.localeCompare(b.name); }
function laterMarker(a, b) { return typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) : (typeof b === 'number' ? b : a); }
function tombstone(m) { return { ...m, body: '', attachments: [], reactions: [], deleted: true }; }
function oldestSeq(t) {
  let min = null;
  for (const m of t.byId.values()) if (min === null || m.seq < min) min = m.seq;
  return min;
}
