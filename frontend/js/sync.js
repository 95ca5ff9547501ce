// Keeps the store in step with the server: turns socket events into Store calls, and sends what
// the user does (messages, typing, read markers) over the socket, or over REST when it is down.
// No DOM: the store, the API client, the socket and the callbacks are handed in, so it is
// unit-tested in node.
//
// The bookkeeping of the connection lives here (which rooms it subscribed to, how often a room was
// resubscribed because its cursor was behind, whether my user stream is resumed), and of the
// session (the read marker last sent per room, the last typing notice, the send each room has on
// its way).
//
// My user stream (my rooms, read markers, notification levels, profiles, drafts: events with a
// `user_seq`) resumes from the store's cursor with `sync` on each connection. Its events are
// applied one at a time, in order, and the cursor moves only once the state it describes is in
// the store (the local copy keeps both): during the replay up to `synced` (which may repeat live
// events: they carry absolute state), then one by one. A long gap is caught up over REST first
// (GET /sync, 500 events a response, where the socket takes one frame per event), then `sync`
// replays the rest. A replay too long is replaced by the room list and the drafts over REST.
//
// Sends never need a manual retry for a transient failure. Each room's pending sends go out one at
// a time, in order: the head of the queue is written, the next one after its ack. An unanswered
// head is written again with the same client_id (the server stores it once and answers with the
// original) when a connection becomes ready, when a transient error's pause is over, and when no
// answer came within SEND_TIMEOUT_MS. Only a send refused for good waits for the person.
//
// Reactions go over REST, one request per message and emoji at a time: the last click wins.

/** At most one typing notice per this many ms (the server forwards one per 2 s). */
export const TYPING_EVERY_MS = 2100;
/** 'behind' resubscribes of one room per connection before trusting the head (a server bug). */
const MAX_RESUBSCRIBES = 3;
/** A send with no answer this long is written again (same client_id). */
export const SEND_TIMEOUT_MS = 10000;
/** A gap in my user stream longer than this is caught up over REST before `sync`. */
export const REST_CATCH_UP = 1000;
/** Pause after a transient refusal: `rate_limited` asks for about a second. */
const RETRY_MS = { rate_limited: 1000 };
const DEFAULT_RETRY_MS = 2000;
/** Socket error codes that refuse a send for good (docs/protocol.md section 5); others are retried. */
const FINAL_CODES = new Set(['validation_failed', 'not_a_member', 'not_found', 'conflict', 'forbidden']);

/**
 * A new client id (a v4 UUID): crypto.randomUUID exists only in secure contexts (HTTPS, localhost),
 * getRandomValues everywhere (a plain-HTTP LAN address too).
 */
export function clientId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // the RFC 4122 variant
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True when a REST failure refuses a send for good: a 4xx other than 401 (the session's business), 408 and 429. */
export function finalStatus(status) { return status >= 400 && status < 500 && ![401, 408, 429].includes(status); }

/** The ids of a pending send's Files (the field is left out of a send without any). */
const fileIds = (p) => p.attachments.map((f) => f.id);
const sendFrame = (roomId, p) => ({ type: 'send', room_id: roomId, client_id: p.client_id, body: p.body, ...(p.attachments.length ? { attachments: fileIds(p) } : {}), ...(p.reply_to ? { reply_to: p.reply_to } : {}), ...(p.also_to_room ? { also_to_room: true } : {}) });

export class Sync {
  /**
   * store, api, drafts (drafts.js); toast(text); navigate(roomId | null) points the address at a room or at none;
   * onMessage(message) is told about a new message from someone else in the open room,
   * onNotification(ev) about a `notification` event; setTimeout/clearTimeout and now are
   * injectable for tests.
   */
  constructor({ store, api, drafts, toast, navigate, onMessage, onNotification = () => {}, setTimeout = (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout = (id) => globalThis.clearTimeout(id), now = () => Date.now() }) {
    this.store = store;
    this.api = api;
    this.drafts = drafts;
    this.toast = toast;
    this.navigate = navigate;
    this.onMessage = onMessage;
    this.onNotification = onNotification;
    this.socket = null;
    this.firstReady = true; // the first ready of a session (the open room's members are on their way already)
    this.resumed = false; // this connection's replay of my user stream is over (`synced`)
    this.reloadMine = false; // the cursor this connection resumed from was not the store's: reload over REST at `synced`
    this.userEvents = Promise.resolve(); // my user stream's events, applied one after the other
    this.subscribed = new Set(); // rooms this connection subscribed to (reset on reconnect)
    this.resubscribes = new Map(); // room id -> 'behind' resubscribes on this connection
    this.lastReadSent = new Map(); // room id -> seq last sent as read marker
    this.lastTypingSent = 0; // when the last typing notice went out (ms)
    this.inFlight = new Map(); // room id -> {clientId, at, via: 'socket' | 'rest', conn}: the head on its way
    this.reacting = new Set(); // 'roomId messageId emoji' of reactions on their way
    this.conn = 0; // counts ready connections, so a head written on an old one is written again
    this.retryTimer = 0; // a transient refusal's pause
    this.timers = { setTimeout, clearTimeout };
    this.now = now;
  }

  /** A session starts with `socket` (its onReady and onEvent come here). */
  connect(socket) {
    this.socket = socket;
    this.firstReady = true;
  }

  /** The session ends: stops the socket and forgets the connection's bookkeeping. */
  disconnect() {
    if (this.socket) { this.socket.stop(); this.socket = null; }
    this.subscribed.clear();
    this.lastReadSent.clear();
    this.inFlight.clear();
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = 0;
  }

  /** Subscribes to rooms, resuming from their cursors (live-only for rooms never seen). */
  subscribe(roomIds) {
    if (this.socket && this.socket.subscribe(roomIds, this.store.cursors)) for (const id of roomIds) this.subscribed.add(id);
  }

  // ---- loading -------------------------------------------------------------------------------
  /**
   * The newest page of a room (`replace`: it ends a jump's window); a room I lost access to is
   * dropped.
   */
  async loadHistory(roomId, { replace = false } = {}) {
    try {
      const page = await this.api.history(roomId, { limit: 50 });
      this.store.applyHistory(roomId, page.messages, page.has_more, { replace });
    } catch (e) { this.historyFailed(roomId, e); }
  }

  /** The page around `seq` (a jump to a message, or to the first unread). */
  async loadAround(roomId, seq) {
    try {
      const page = await this.api.history(roomId, { aroundSeq: seq, limit: 50 });
      this.store.applyAround(roomId, page.messages, page.has_more, page.has_more_after);
    } catch (e) { this.historyFailed(roomId, e); }
  }

  historyFailed(roomId, e) {
    if (e.status === 404 || e.status === 403) {
      this.toast(e.code === 'banned' ? e.detail : 'You no longer have access to that room.');
      const open = this.store.activeRoomId === roomId;
      this.store.removeRoom(roomId);
      if (open) this.store.setActiveRoom(null);
      this.navigate(null);
    } else this.toast(e.detail || e.message);
  }

  /** A room's members; for a direct room also the other member (its title). */
  async loadMembers(roomId) {
    const { store } = this;
    try {
      const res = await this.api.members(roomId);
      store.setMembers(roomId, res.members);
      const room = store.rooms.get(roomId);
      if (room && room.kind === 'direct') {
        const peer = res.members.find((m) => m.user.id !== store.me.id);
        if (peer) store.setDmPeer(roomId, peer.user);
      }
    } catch { /* shown as an empty list */ }
  }

  /**
   * Opening a room: subscribes if needed and loads what is missing (what is read is the view's
   * call): the page around `aroundSeq` when given, the newest page with `latest` (leaving a jump's
   * window), else the newest page unless loaded.
   */
  open(roomId, { aroundSeq, latest = false } = {}) {
    if (!this.subscribed.has(roomId)) this.subscribe([roomId]);
    const loads = [];
    if (aroundSeq !== undefined) loads.push(this.loadAround(roomId, aroundSeq));
    else if (latest) loads.push(this.loadHistory(roomId, { replace: true }));
    else if (!this.store.timeline(roomId).loaded) loads.push(this.loadHistory(roomId));
    loads.push(this.loadMembers(roomId));
    return Promise.all(loads);
  }

  /** A room I created, joined or was added to. */
  async addRoom(room) {
    this.store.upsertRoom(room);
    this.subscribe([room.id]);
    if (room.kind === 'direct') await this.loadMembers(room.id);
  }

  /** Leaves a room (rejects when the server refuses). */
  async leave(roomId) {
    await this.api.leaveRoom(roomId);
    if (this.socket) this.socket.send({ type: 'unsubscribe', room_id: roomId });
    this.subscribed.delete(roomId);
    this.store.leaveRoom(roomId);
  }

  // ---- sending -------------------------------------------------------------------------------
  /**
   * Sends a new message with the Files uploaded for it (`attachments`), a reply in the thread of
   * `replyTo` if given (`alsoToRoom`: shown in the timeline too): it joins its room's queue and
   * shows as pending until its ack; every write of it carries the same client_id and files (the
   * local copy keeps it until then: outbox.js). The room's draft goes with a send to the room.
   */
  send(roomId, body, attachments = [], replyTo = null, alsoToRoom = false) {
    this.store.addPending(roomId, body, clientId(), { attachments, replyTo, alsoToRoom });
    if (!replyTo) this.drafts.sent(roomId); // the server clears the room's draft with it (a thread reply leaves it)
    this.pump(roomId);
  }

  /** The person retries a send the server refused: it goes to the end of the room's queue. */
  retry(clientId) {
    const p = this.store.requeuePending(clientId);
    if (p) this.pump(p.room_id);
  }

  /** Writes every room's queue head that is not on its way (after a reconnect, a pause, a timeout). */
  pumpAll() { for (const roomId of this.store.pendingRooms()) this.pump(roomId); }

  /**
   * Writes the head of a room's queue unless it is on its way: over the socket, else over REST
   * unless the browser is offline (same client_id either way, so a head written twice is stored
   * once).
   */
  pump(roomId) {
    const head = this.store.nextPending(roomId);
    if (!head) { this.inFlight.delete(roomId); return; }
    const now = this.now();
    const f = this.inFlight.get(roomId);
    const onItsWay = f && f.clientId === head.client_id && now - f.at < SEND_TIMEOUT_MS;
    if (onItsWay && (f.via === 'rest' || f.conn === this.conn)) return;
    if (this.socket && this.socket.send(sendFrame(roomId, head))) {
      this.inFlight.set(roomId, { clientId: head.client_id, at: now, via: 'socket', conn: this.conn });
      return;
    }
    if (this.store.connection === 'offline') return; // the next ready writes it
    this.inFlight.set(roomId, { clientId: head.client_id, at: now, via: 'rest' });
    this.api.sendMessage(roomId, head.body, head.client_id, fileIds(head), head.reply_to, head.also_to_room)
      .then((message) => this.settled(roomId, head.client_id, () => this.store.applyAck({ client_id: head.client_id, message })))
      .catch((e) => this.refused(roomId, head.client_id, finalStatus(e.status), e.status === 429 ? 'rate_limited' : null, e.detail || e.message));
  }

  /** A send got its answer: `apply` it, and write the room's next one. */
  settled(roomId, clientId, apply) {
    const f = this.inFlight.get(roomId);
    if (f && f.clientId === clientId) this.inFlight.delete(roomId);
    apply();
    this.pump(roomId);
  }

  /** A send was refused: for good (the person decides) or for now (written again after a pause). */
  refused(roomId, clientId, final, code, reason) {
    if (final) {
      const why = reason || 'The server refused this message.';
      this.settled(roomId, clientId, () => this.store.failPending(clientId, why));
      this.toast(`Message not sent: ${why}`);
      return;
    }
    const f = this.inFlight.get(roomId);
    if (f && f.clientId === clientId) this.inFlight.delete(roomId);
    if (!this.retryTimer) this.retryTimer = this.timers.setTimeout(() => { this.retryTimer = 0; this.pumpAll(); }, RETRY_MS[code] || DEFAULT_RETRY_MS);
  }

  /** Puts my `emoji` on a message (`on`) or takes it off: shown at once, rolled back (and said) if refused. */
  async react(roomId, messageId, emoji, on) {
    const { store } = this;
    store.wantReaction(roomId, messageId, emoji, on);
    const key = `${roomId} ${messageId} ${emoji}`;
    if (this.reacting.has(key)) return; // the last wish goes after the request on its way
    this.reacting.add(key);
    try {
      let sent;
      for (let want = on; want !== undefined && want !== sent; want = store.wantedReaction(roomId, messageId, emoji)) {
        sent = want;
        await this.api.react(roomId, messageId, emoji, sent);
      }
      store.settleReaction(roomId, messageId, emoji, true);
    } catch (e) {
      store.settleReaction(roomId, messageId, emoji, false);
      this.toast(`Reaction not saved: ${e.detail || e.message}`);
    } finally {
      this.reacting.delete(key);
    }
  }

  /** A typing notice, throttled: returns how many ms to wait before trying again (0: done). */
  typing(roomId, now = Date.now()) {
    const wait = TYPING_EVERY_MS - (now - this.lastTypingSent);
    if (wait > 0) return wait;
    if (this.socket && this.socket.send({ type: 'typing', room_id: roomId })) this.lastTypingSent = now;
    return 0;
  }

  /**
   * The person has seen a joined room up to `seq` (default: all of it, its cursor): here, and on
   * the server once per new seq.
   */
  markRead(roomId, seq = this.store.cursor(roomId)) {
    const room = this.store.rooms.get(roomId);
    if (!room || !room.joined || seq === undefined) return;
    // The server has my marker up to here already (sent from here, or the `read` of another tab).
    const known = Math.max(this.lastReadSent.get(roomId) ?? 0, room.last_read_seq ?? 0);
    this.store.markReadUpTo(roomId, seq);
    if (seq <= known) return;
    this.lastReadSent.set(roomId, seq);
    if (!(this.socket && this.socket.send({ type: 'read', room_id: roomId, seq }))) this.api.markRead(roomId, seq).catch(() => {});
  }

  // ---- server events -------------------------------------------------------------------------
  /**
   * `ready`: resume my user stream from its cursor (without one: from the connection's start,
   * and the rest over REST), (re)subscribe with the rooms' cursors, resend what may not have
   * arrived.
   */
  onReady(user, userSeq) {
    const { store } = this;
    store.setMe(user);
    this.subscribed.clear();
    this.resubscribes.clear();
    this.resumed = false;
    this.reloadMine = store.userSeq === null;
    const from = store.userSeq ?? userSeq;
    const rooms = [...store.joinedRooms(), ...store.directRooms()].map((r) => r.id);
    if (store.activeRoomId && !rooms.includes(store.activeRoomId)) rooms.push(store.activeRoomId);
    this.subscribe(rooms);
    // After the subscribes, so a send stored before the drop is replayed first; then its resend
    // (same client_id) is answered with the original.
    const conn = ++this.conn;
    this.pumpAll();
    if (!this.firstReady && store.activeRoomId) this.loadMembers(store.activeRoomId); // fresh online states
    this.firstReady = false;
    const resume = (after) => { if (this.socket && this.conn === conn) this.socket.send({ type: 'sync', after_user_seq: after }); };
    if (userSeq - from > REST_CATCH_UP) this.userEvents = this.userEvents.then(() => this.catchUp(from)).then(resume);
    else resume(from);
  }

  /**
   * Applies my user stream after `after` over REST, a page at a time, in the queue of its events;
   * resolves with the last user_seq applied (where it got when a page fails; `after` when the gap
   * is past what the server keeps: `sync` says so).
   */
  async catchUp(after) {
    try {
      for (;;) {
        const page = await this.api.userStream(after);
        if (page.replay_truncated) return after;
        for (const ev of page.events) { await this.apply(ev); after = ev.user_seq; }
        if (!page.more || !page.events.length) return after;
      }
    } catch { return after; }
  }

  /**
   * My user stream is replayed (`synced`): the cursor is its head; after a replay too long (or
   * none: no cursor), or below mine (a server restored from a backup), my rooms and drafts are
   * reloaded over REST first (failing, the cursor stays where it was). Edits of drafts made
   * offline go to the server now.
   */
  async onSynced(ev) {
    const { store } = this;
    if (ev.replay_truncated || this.reloadMine || ev.head_user_seq < (store.userSeq ?? 0)) {
      try {
        const mine = await this.api.allRooms({ joined: true });
        store.setRooms(mine, { keepUnread: true });
        for (const r of mine) {
          if (!r.joined || this.subscribed.has(r.id)) continue;
          this.subscribe([r.id]);
          if (r.kind === 'direct' && !store.dmPeers.has(r.id)) this.loadMembers(r.id);
        }
        await this.drafts.reload();
      } catch { return; } // the cursor stays: the next connection tries again
    }
    store.setUserSeq(ev.head_user_seq);
    this.resumed = true;
    this.drafts.flush();
  }

  /**
   * A server event: my user stream's (and `synced`) in order, one after the other (resolves once
   * applied); the others at once.
   */
  onEvent(ev) {
    if (ev.type !== 'synced' && typeof ev.user_seq !== 'number') return this.apply(ev);
    this.userEvents = this.userEvents.then(async () => {
      if (ev.type === 'synced') { await this.onSynced(ev); return; }
      if (this.resumed && ev.user_seq <= this.store.userSeq) return; // already applied
      await this.apply(ev);
      if (this.resumed) this.store.setUserSeq(ev.user_seq);
    }).catch(() => {});
    return this.userEvents;
  }

  /** Applies a server event: change events, subscriptions, acks, errors, members, rooms, drafts. */
  async apply(ev) {
    const { store } = this;
    switch (ev.type) {
      case 'message': case 'message_updated': case 'message_deleted': {
        const res = store.applyChange(ev);
        if (res === 'gap') { this.subscribe([ev.room_id]); return; }
        if (res === 'applied' && ev.type === 'message' && ev.room_id === store.activeRoomId && ev.message.author.id !== store.me.id) this.onMessage(ev.message);
        return;
      }
      case 'subscribed': {
        const res = store.applySubscribed(ev);
        if (res === 'behind') {
          // A REST page moved past the live head: replay the gap (bounded, in case of a server bug).
          const n = (this.resubscribes.get(ev.room_id) || 0) + 1;
          this.resubscribes.set(ev.room_id, n);
          if (n <= MAX_RESUBSCRIBES) this.subscribe([ev.room_id]); else store.advanceCursor(ev.room_id, ev.head_seq);
        }
        if (res === 'truncated' || res === 'reset') {
          store.dropRoomCache(ev.room_id);
          if (ev.room_id === store.activeRoomId) await this.loadHistory(ev.room_id);
          store.advanceCursor(ev.room_id, ev.head_seq);
        }
        return;
      }
      case 'ack': this.settled(ev.message.room_id, ev.client_id, () => store.applyAck(ev)); return;
      case 'error':
        if (ev.client_id) {
          const f = store.findPending(ev.client_id);
          if (f) this.refused(f.roomId, ev.client_id, FINAL_CODES.has(ev.code), ev.code, ev.message);
        } else if (ev.code === 'not_found' || ev.code === 'not_a_member' || ev.code === 'banned') {
          // A room went away under us: the member and room events update the UI.
        } else this.toast(ev.message || ev.code);
        return;
      case 'typing': store.setTyping(ev.room_id, ev.user); return;
      case 'presence': store.setPresence(ev.user, ev.online); return;
      case 'user_updated': store.updateUser(ev.user); return;
      case 'member_joined': await this.memberJoined(ev); return;
      case 'member_updated': store.memberUpdated(ev.room_id, ev.user, ev.role); return;
      case 'member_left':
        if (ev.user.id === store.me.id) {
          this.subscribed.delete(ev.room_id);
          store.leaveRoom(ev.room_id);
          // The open room: a private one goes; a public one stays to read, unless I am banned from it.
          if (store.activeRoomId === ev.room_id) { if (store.rooms.has(ev.room_id)) await this.loadHistory(ev.room_id); else { store.setActiveRoom(null); this.navigate(null); } }
        } else store.memberLeft(ev.room_id, ev.user);
        return;
      case 'room_updated': store.upsertRoom(ev.room, { neutral: true }); return;
      case 'room_deleted':
        this.subscribed.delete(ev.room_id);
        if (store.rooms.has(ev.room_id) && store.activeRoomId === ev.room_id) { this.toast('This room was deleted.'); this.navigate(null); }
        store.removeRoom(ev.room_id);
        return;
      case 'read': store.markReadUpTo(ev.room_id, ev.seq); return;
      case 'notification_level': store.setNotify(ev.room_id, ev.level); return;
      case 'notification': this.onNotification(ev); return;
      case 'draft_updated': this.drafts.serverChanged(ev); return;
      default:
    }
  }

  /** `member_joined`: someone joined a room I know, or I joined or was added somewhere. */
  async memberJoined(ev) {
    const { store } = this;
    const me = ev.user.id === store.me.id;
    const room = store.rooms.get(ev.room_id);
    if (!me && room && room.joined) {
      store.memberJoined(ev.room_id, ev.user);
      // Presence only flows between users who share a room: fetch the newcomer's online state.
      if (store.members.has(ev.room_id)) this.loadMembers(ev.room_id);
    } else if (!me && room) {
      store.memberJoined(ev.room_id, ev.user);
    } else if (me && room && room.joined) {
      if (!this.subscribed.has(ev.room_id)) this.subscribe([ev.room_id]); // a replay of my joining: known already
    } else {
      // I joined (another tab) or was added, or someone joined a room I do not know yet.
      try { const fresh = await this.api.room(ev.room_id); if (fresh.joined) await this.addRoom(fresh); } catch { /* not visible */ }
    }
  }
}
