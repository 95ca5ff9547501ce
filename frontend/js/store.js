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
//
// Replies are room messages like any other (their seq moves the cursor, they count as unread and
// mentions), kept with the rest by id but shown only in their thread: `messages` is the timeline
// without them (but those `also_to_room`), `threadMessages` a root and its replies. A root (or
// such a reply) known only from a thread page (`extra`) stays out of the timeline until a page of
// it brings it, so no hole shows there.
import { displayName } from './format.js';

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
    threads: new Map(), // root id -> {loaded, hasMore}: its thread's pages
    extra: new Set(), // ids of roots known from a thread page only (not part of the timeline)
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
    this.visible = true; // the page is shown: the open room is being read (nothing new there counts as unread)
    this.connection = 'connecting'; // 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error'
    this.connectionInfo = {}; // {retryAt?: ms when the next attempt starts, message?: why it stopped}
    this.pendingOrder = 0; // queue position of the newest pending send
    this.userSeq = null; // my user stream's cursor: the newest user_seq applied (null: not known yet)
    this.kept = new Set(); // rooms whose run of messages the local copy has, still to restore (valid until their cache is dropped)
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
  /** My user stream is applied up to `seq` (the local copy keeps it with the state it describes). */
  setUserSeq(seq) { this.userSeq = seq; this.emit('user_seq'); }

  /**
   * The local copy of the session (local-copy.js): me, my rooms, cursors, members, direct rooms'
   * peers, my user stream's cursor and the sends still on their way (in queue order), shown before
   * the server answers. The timelines of the rooms `kept` come with restoreTimeline.
   */
  restore({ me, rooms, cursors, members, peers, userSeq, outbox, kept }) {
    this.me = me;
    this.rooms = new Map(rooms.map((r) => [r.id, r]));
    this.cursors = new Map(cursors);
    this.members = new Map(members);
    this.dmPeers = new Map(peers);
    this.userSeq = userSeq;
    this.kept = new Set(kept);
    for (const p of outbox) {
      this.timeline(p.room_id).pending.set(p.client_id, { ...p, author: me });
      this.pendingOrder = Math.max(this.pendingOrder, p.order);
    }
    this.emit('restored');
  }

  /**
   * A room's kept run of messages (the newest ones up to its cursor): the timeline is loaded, unless
   * the server's page came first (then that one stands) or the cache was dropped meanwhile (a
   * replay too long, a room left: the run no longer joins the cursor).
   */
  restoreTimeline(roomId, messages, hasMore) {
    const t = this.timeline(roomId);
    if (!this.kept.delete(roomId) || t.loaded) return;
    for (const m of messages) this.mergeMessage(roomId, m);
    t.loaded = true;
    t.hasMore = hasMore;
    this.emit('timeline', roomId);
  }

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
        ? { ...r, unread_count: old.unread_count, mention_count: old.mention_count, last_read_seq: laterMarker(old.last_read_seq, r.last_read_seq) } : r);
    }
    this.rooms = next;
    this.emit('rooms');
  }

  /** Upserts a room. `neutral` rooms (room_updated) do not carry my joined/role/unread/mentions/read-marker/notify fields. */
  upsertRoom(room, { neutral = false } = {}) {
    const old = this.rooms.get(room.id);
    const merged = neutral && old
      ? { ...old, ...room, joined: old.joined, role: old.role, unread_count: old.unread_count, mention_count: old.mention_count, last_read_seq: old.last_read_seq, notify: old.notify }
      : { ...(old || {}), ...room };
    this.rooms.set(room.id, merged);
    this.emit('rooms');
    return merged;
  }

  removeRoom(roomId) {
    this.rooms.delete(roomId);
    this.kept.delete(roomId);
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
      this.rooms.set(roomId, { ...r, joined: false, role: null, unread_count: 0, mention_count: 0, member_count: Math.max(0, r.member_count - 1) });
    } else {
      this.rooms.delete(roomId);
    }
    this.timelines.delete(roomId);
    this.cursors.delete(roomId);
    this.kept.delete(roomId);
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

  /** Display name: the other member's name for a direct room; a group's is the others' names. */
  roomTitle(room) {
    if (!room) return '';
    if (room.kind === 'direct') {
      const peer = !isGroup(room) && this.dmPeers.get(room.id);
      return peer ? displayName(peer) : (isGroup(room) && room.name) || 'Direct message';
    }
    return room.name;
  }

  /** My notification level of a room (PUT /rooms/{id}/notifications, or another tab's `notification_level`). */
  setNotify(roomId, level) {
    const r = this.rooms.get(roomId);
    if (r) { this.rooms.set(roomId, { ...r, notify: level }); this.emit('rooms'); }
  }

  setDmPeer(roomId, user) { this.dmPeers.set(roomId, user); this.emit('rooms'); }

  setActiveRoom(roomId) {
    this.activeRoomId = roomId;
    this.emit('active', roomId);
  }

  // ---- unread --------------------------------------------------------------------------------
  markRead(roomId) {
    const r = this.rooms.get(roomId);
    if (r && (r.unread_count || r.mention_count)) { this.rooms.set(roomId, { ...r, unread_count: 0, mention_count: 0 }); this.emit('rooms'); }
  }
  /**
   * My read marker moved to `seq` (here or on another connection: the `read` event): it becomes
   * the room's `last_read_seq` (never backwards), and what was unread between the old marker and
   * this one is no longer. Markers move only over loaded messages (what was on screen), so those
   * are the ones to count; at the live end nothing is left. The mentions of me among them go the
   * same way.
   */
  markReadUpTo(roomId, seq) {
    const r = this.rooms.get(roomId);
    if (!r) return;
    const before = r.last_read_seq;
    const marker = laterMarker(before, seq);
    const unread = this.leftAfter(roomId, before, seq, r.unread_count || 0, (m) => this.unreadKind(m));
    const mentions = this.leftAfter(roomId, before, seq, r.mention_count || 0, (m) => this.mentionKind(m));
    if (unread === (r.unread_count || 0) && mentions === (r.mention_count || 0) && marker === before) return;
    this.rooms.set(roomId, { ...r, unread_count: unread, mention_count: mentions, ...(marker === undefined ? {} : { last_read_seq: marker }) });
    this.emit('rooms');
  }
  /** Of `left` messages of a `kind` after my marker `before`, those still after it once it is at `seq`. */
  leftAfter(roomId, before, seq, left, kind) {
    const t = this.timelines.get(roomId);
    if (!left || !t || seq >= (this.cursors.get(roomId) ?? Infinity)) return 0;
    const oldest = oldestSeq(t);
    if (typeof before === 'number' && (!t.hasMore || (oldest !== null && oldest <= before + 1))) {
      // Everything between the old marker and this one is loaded: those are read now.
      for (const m of t.byId.values()) if (m.seq > before && m.seq <= seq && kind(m)) left--;
      return Math.max(0, left);
    }
    // Not all of it is loaded (or no marker is known): what stays are the loaded ones after it.
    let after = 0;
    for (const m of t.byId.values()) if (m.seq > seq && kind(m)) after++;
    return Math.min(left, after);
  }
  /** A message that counts as unread when after my marker: someone else's, not deleted. */
  unreadKind(m) { return !m.deleted && !(this.me && m.author && m.author.id === this.me.id); }
  /** An unread kind of message that mentions me, or @room. */
  mentionKind(m) { return this.unreadKind(m) && this.mentionsMe(m); }
  mentionsMe(m) { return Boolean(m.mentions_room || (this.me && m.mentions && m.mentions.includes(this.me.id))); }
  /** The open room in a shown page is being read: what comes there is not counted. */
  reading(roomId) { return roomId === this.activeRoomId && this.visible; }
  setVisible(visible) { this.visible = visible; }
  bumpUnread(roomId, mention = false) {
    const r = this.rooms.get(roomId);
    if (r) { this.rooms.set(roomId, { ...r, unread_count: (r.unread_count || 0) + 1, mention_count: (r.mention_count || 0) + mention }); this.emit('rooms'); }
  }
  /** A loaded message after my marker changed (an edit, a delete): the counts follow it (an edit can add a mention of me). */
  recount(roomId, old, next) {
    const r = this.rooms.get(roomId);
    if (!old || !r || !r.joined || this.reading(roomId) || old.seq <= (r.last_read_seq ?? -1)) return;
    const unread = (r.unread_count || 0) + this.unreadKind(next) - this.unreadKind(old);
    const mentions = (r.mention_count || 0) + this.mentionKind(next) - this.mentionKind(old);
    this.rooms.set(roomId, { ...r, unread_count: Math.max(0, unread), mention_count: Math.max(0, mentions) });
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
    this.kept.delete(roomId);
    this.timelines.delete(roomId);
    this.emit('timeline', roomId);
  }

  /**
   * Upserts one message by id; a deleted message never comes back to life; later edits win. A
   * `snapshot` (an ack, an edit's answer: reactions may have changed since) replaces only an older edit.
   * A root first known from a `thread` page is `extra` until a page of the timeline brings it.
   */
  mergeMessage(roomId, msg, { snapshot = false, thread = false } = {}) {
    const t = this.timeline(roomId);
    const old = t.byId.get(msg.id);
    let next = msg;
    if (old) {
      if (old.deleted && !msg.deleted) next = old;
      else if (!msg.deleted && old.edited_at && (!msg.edited_at || msg.edited_at < old.edited_at)) next = old;
      else if (snapshot && !(msg.edited_at && (!old.edited_at || msg.edited_at > old.edited_at))) next = old;
    }
    t.byId.set(msg.id, next);
    if (thread && !old && inMainTimeline(msg)) t.extra.add(msg.id);
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
    this.mergePage(roomId, messages);
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
    this.mergePage(roomId, messages);
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
    this.mergePage(roomId, messages);
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

  /** A page of the timeline: its messages are part of it. */
  mergePage(roomId, messages) {
    const t = this.timeline(roomId);
    for (const m of messages) { this.mergeMessage(roomId, m); t.extra.delete(m.id); }
  }

  /** Forgets the timeline's messages up to `seq` (replies stay for their threads, out of the timeline). */
  dropStoredUpTo(t, seq) {
    for (const [id, m] of t.byId) if (m.seq <= seq && inTimeline(t, m)) { if (m.reply_to) t.extra.add(id); else t.byId.delete(id); }
  }

  // ---- threads -------------------------------------------------------------------------------
  /** What is loaded of the thread of `rootId`: {loaded, hasMore} (older replies on the server). */
  thread(roomId, rootId) {
    const t = this.timeline(roomId);
    if (!t.threads.has(rootId)) t.threads.set(rootId, { loaded: false, hasMore: true });
    return t.threads.get(rootId);
  }

  /**
   * A page of a thread (its root, then replies by seq): the newest or the one around a reply
   * loads it. `hasMore`: whether older ones came before it (undefined for a page after them).
   */
  applyThread(roomId, rootId, messages, hasMore) {
    const th = this.thread(roomId, rootId);
    for (const m of messages) this.mergeMessage(roomId, m, { thread: true });
    if (hasMore !== undefined) th.hasMore = hasMore;
    th.loaded = true;
    this.emit('timeline', roomId);
  }

  /** The seq before which older replies load (the oldest loaded), or null: none older, or not loaded. */
  threadBefore(roomId, rootId) {
    const th = this.thread(roomId, rootId);
    const replies = this.threadMessages(roomId, rootId).filter((m) => m.reply_to && m.seq !== undefined);
    return th.loaded && th.hasMore && replies.length ? replies[0].seq : null;
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
      const m = ev.message;
      const isNew = this.mergeMessage(roomId, m);
      const fromOther = !this.me || m.author.id !== this.me.id;
      const r = this.rooms.get(roomId);
      if (isNew && fromOther && !m.deleted && !this.reading(roomId) && !(m.seq <= r?.last_read_seq)) this.bumpUnread(roomId, this.mentionsMe(m));
      if (r) this.rooms.set(roomId, { ...this.rooms.get(roomId), last_seq: Math.max(r.last_seq || 0, ev.seq) });
      if (isNew && fromOther) this.clearTyping(roomId, m.author.id);
    } else if (ev.type === 'message_updated') {
      const old = t.byId.get(ev.message.id);
      const oldest = oldestSeq(t);
      // Outside the loaded window an edit would show out of context: it loads with that page.
      if (old || oldest === null || ev.message.seq >= oldest || !t.loaded) this.mergeMessage(roomId, ev.message);
      this.recount(roomId, old, t.byId.get(ev.message.id));
    } else if (ev.type === 'message_deleted') {
      const old = t.byId.get(ev.message_id);
      if (old) t.byId.set(ev.message_id, tombstone(old));
      this.recount(roomId, old, t.byId.get(ev.message_id));
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

  /** Adds a pending (unsent) message, with the Files it carries (a reply: in the thread of `replyTo`; `alsoToRoom`), at the end of its room's queue; returns it. */
  addPending(roomId, body, clientId, { attachments = [], replyTo = null, alsoToRoom = false, now = new Date() } = {}) {
    const t = this.timeline(roomId);
    const p = { client_id: clientId, room_id: roomId, body, attachments, reply_to: replyTo, also_to_room: Boolean(replyTo && alsoToRoom), status: 'pending', reason: '', created_at: now.toISOString(), author: this.me, order: ++this.pendingOrder };
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

  /** The timeline in display order: stored messages by seq (with my reactions on their way), then pending ones in queue order. */
  messages(roomId) {
    const t = this.timelines.get(roomId);
    return t ? this.ordered(t, (m) => inTimeline(t, m) && (!t.hasNewer || m.seq <= t.newestPaged), inMainTimeline) : [];
  }

  /** A thread in display order: its root (once loaded), its replies, then mine on their way. */
  threadMessages(roomId, rootId) {
    const t = this.timelines.get(roomId);
    return t ? this.ordered(t, (m) => m.id === rootId || m.reply_to === rootId, (p) => p.reply_to === rootId) : [];
  }

  ordered(t, storedOf, pendingOf) {
    const stored = [...t.byId.values()].filter(storedOf).sort((a, b) => a.seq - b.seq);
    const pending = [...t.pending.values()].filter(pendingOf).sort((a, b) => a.order - b.order)
      .map((p) => ({ id: 'p:' + p.client_id, pending: p.status, reason: p.reason, client_id: p.client_id, room_id: p.room_id, reply_to: p.reply_to, also_to_room: p.also_to_room, body: p.body, attachments: p.attachments, reactions: [], author: p.author, created_at: p.created_at, edited_at: null, deleted: false }));
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
  /** member_updated: a member's role changed (mine too: the room's role follows). */
  memberUpdated(roomId, user, role) {
    const list = this.members.get(roomId);
    const m = list && list.find((x) => x.user.id === user.id);
    if (m) m.role = role;
    const r = this.rooms.get(roomId);
    if (r && this.me && user.id === this.me.id) this.rooms.set(roomId, { ...r, role });
    this.emit('members', roomId);
    this.emit('rooms');
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
  /** The names of those typing in a room (expired entries dropped). */
  typingNames(roomId, now = Date.now()) {
    const m = this.typing.get(roomId);
    if (!m) return [];
    for (const [id, e] of m) if (e.until <= now) m.delete(id);
    return [...m.values()].map((e) => displayName(e.user)).sort();
  }

  /** user_updated (or my profile saved): a person's new profile wherever they show. */
  updateUser(u) {
    const fix = (x) => (x && x.id === u.id ? { ...x, ...u } : x);
    this.me = fix(this.me);
    for (const l of this.members.values()) for (const m of l) m.user = fix(m.user);
    for (const [id, p] of this.dmPeers) this.dmPeers.set(id, fix(p));
    for (const t of this.timelines.values()) {
      for (const [id, m] of t.byId) if (m.author?.id === u.id) t.byId.set(id, { ...m, author: fix(m.author) });
      for (const p of t.pending.values()) p.author = fix(p.author);
    }
    this.emit('user');
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
/** A direct room of more than two people. */
export const isGroup = (room) => room.kind === 'direct' && room.member_count > 2;
/** A message the room's timeline shows: not a reply, unless also sent to the room. */
export const inMainTimeline = (m) => !m.reply_to || Boolean(m.also_to_room);
/** A message of the timeline: one it shows, not a root known from its thread only. */
const inTimeline = (t, m) => inMainTimeline(m) && !t.extra.has(m.id);
function byName(a, b) { return a.name.localeCompare(b.name); }
function laterMarker(a, b) { return typeof a === 'number' && typeof b === 'number' ? Math.max(a, b) : (typeof b === 'number' ? b : a); }
function tombstone(m) { return { ...m, body: '', attachments: [], reactions: [], deleted: true }; }
/** The oldest seq of the timeline's loaded messages (null: none). */
export function oldestSeq(t) {
  let min = null;
  for (const m of t.byId.values()) if (inTimeline(t, m) && (min === null || m.seq < min)) min = m.seq;
  return min;
}
