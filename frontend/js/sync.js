// Keeps the store in step with the server: turns socket events into Store calls, and sends what
// the user does (messages, typing, read markers) over the socket, or over REST when it is down.
// No DOM: the store, the API client, the socket and the callbacks are handed in, so it is
// unit-tested in node.
//
// The bookkeeping of the connection lives here (which rooms it subscribed to, how often a room was
// resubscribed because its cursor was behind), and of the session (the read marker last sent per
// room, the last typing notice).

/** At most one typing notice per this many ms (the server forwards one per 2 s). */
export const TYPING_EVERY_MS = 2100;
/** 'behind' resubscribes of one room per connection before trusting the head (a server bug). */
const MAX_RESUBSCRIBES = 3;

const sendFrame = (roomId, clientId, body) => ({ type: 'send', room_id: roomId, client_id: clientId, body });

export class Sync {
  /**
   * store, api; toast(text); navigate(roomId | null) points the address at a room or at none;
   * onMessage(message) is told about a new message from someone else in the open room.
   */
  constructor({ store, api, toast, navigate, onMessage }) {
    this.store = store;
    this.api = api;
    this.toast = toast;
    this.navigate = navigate;
    this.onMessage = onMessage;
    this.socket = null;
    this.firstReady = true; // the first ready of a session follows a fresh room list
    this.subscribed = new Set(); // rooms this connection subscribed to (reset on reconnect)
    this.resubscribes = new Map(); // room id -> 'behind' resubscribes on this connection
    this.lastReadSent = new Map(); // room id -> seq last sent as read marker
    this.lastTypingSent = 0; // when the last typing notice went out (ms)
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
  }

  /** Reconnects now (the browser came back online). */
  reconnectNow() { if (this.socket) this.socket.reconnectNow(); }

  /** Subscribes to rooms, resuming from their cursors (live-only for rooms never seen). */
  subscribe(roomIds) {
    if (this.socket && this.socket.subscribe(roomIds, this.store.cursors)) for (const id of roomIds) this.subscribed.add(id);
  }

  // ---- loading -------------------------------------------------------------------------------
  /** The newest page of a room; a room I lost access to is dropped. */
  async loadHistory(roomId) {
    try {
      const page = await this.api.history(roomId, { limit: 50 });
      this.store.applyHistory(roomId, page.messages, page.has_more);
    } catch (e) {
      if (e.status === 404 || e.status === 403) {
        this.toast('You no longer have access to that room.');
        this.store.removeRoom(roomId);
        this.navigate(null);
      } else this.toast(e.detail || e.message);
    }
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

  /** Opening a room: clears its unread badge, subscribes if needed, loads what is missing. */
  open(roomId) {
    this.store.markRead(roomId);
    if (!this.subscribed.has(roomId)) this.subscribe([roomId]);
    const loads = [];
    if (!this.store.timeline(roomId).loaded) loads.push(this.loadHistory(roomId));
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
  /** Sends a new message; it shows as pending until its ack. */
  send(roomId, body) {
    const clientId = crypto.randomUUID();
    this.store.addPending(roomId, body, clientId);
    this.deliver(roomId, clientId, body);
  }

  /** Sends a failed message again, with the same client_id. */
  retry(clientId) {
    const f = this.store.findPending(clientId);
    if (!f) return;
    this.store.setPendingStatus(clientId, 'pending');
    this.deliver(f.roomId, clientId, f.p.body);
  }

  /** Sends over the socket, else over REST; either way the ack replaces the pending entry. */
  deliver(roomId, clientId, body) {
    if (this.socket && this.socket.send(sendFrame(roomId, clientId, body))) return;
    // No live socket: fall back to REST with the same client_id (idempotent on the server).
    this.api.sendMessage(roomId, body, clientId)
      .then((message) => this.store.applyAck({ client_id: clientId, message }))
      .catch((e) => { if (e.status && e.status !== 429 && e.status < 500) { this.store.setPendingStatus(clientId, 'failed'); this.toast(e.detail || e.message); } });
  }

  /** A typing notice, throttled: returns how many ms to wait before trying again (0: done). */
  typing(roomId, now = Date.now()) {
    const wait = TYPING_EVERY_MS - (now - this.lastTypingSent);
    if (wait > 0) return wait;
    if (this.socket && this.socket.send({ type: 'typing', room_id: roomId })) this.lastTypingSent = now;
    return 0;
  }

  /** Marks a joined room read up to its cursor: here, and on the server once per new seq. */
  markRead(roomId) {
    const room = this.store.rooms.get(roomId);
    if (!room || !room.joined) return;
    this.store.markRead(roomId);
    const seq = this.store.cursor(roomId);
    if (seq === undefined || seq <= (this.lastReadSent.get(roomId) ?? 0)) return;
    this.lastReadSent.set(roomId, seq);
    if (!(this.socket && this.socket.send({ type: 'read', room_id: roomId, seq }))) this.api.markRead(roomId, seq).catch(() => {});
  }

  // ---- server events -------------------------------------------------------------------------
  /** `ready`: (re)subscribe with the cursors and resend what may not have arrived. */
  async onReady(user) {
    const { store } = this;
    store.setMe(user);
    this.subscribed.clear();
    this.resubscribes.clear();
    const rooms = [...store.joinedRooms(), ...store.directRooms()].map((r) => r.id);
    if (store.activeRoomId && !rooms.includes(store.activeRoomId)) rooms.push(store.activeRoomId);
    this.subscribe(rooms);
    // Same client_id: never a duplicate.
    for (const p of store.allPending()) this.socket.send(sendFrame(p.room_id, p.client_id, p.body));
    if (!this.firstReady) {
      // Rooms I was added to while away, and fresh online states.
      try {
        const mine = await this.api.allRooms({ joined: true });
        store.setRooms(mine, { keepUnread: true });
        for (const r of mine) {
          if (!r.joined || this.subscribed.has(r.id)) continue;
          this.subscribe([r.id]);
          if (r.kind === 'direct' && !store.dmPeers.has(r.id)) this.loadMembers(r.id);
        }
      } catch { /* next reconnect */ }
      if (store.activeRoomId) this.loadMembers(store.activeRoomId);
    }
    this.firstReady = false;
  }

  /** Every other server event: change events, subscriptions, acks, errors, members, rooms. */
  async onEvent(ev) {
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
      case 'ack': store.applyAck(ev); return;
      case 'error':
        if (ev.client_id) {
          store.setPendingStatus(ev.client_id, 'failed');
          this.toast(ev.code === 'rate_limited' ? 'You are sending too fast. Retry in a moment.' : ev.message || 'Message not sent.');
        } else if (ev.code === 'not_found' || ev.code === 'not_a_member') {
          // A room went away under us: the member and room events update the UI.
        } else this.toast(ev.message || ev.code);
        return;
      case 'typing': store.setTyping(ev.room_id, ev.user); return;
      case 'presence': store.setPresence(ev.user, ev.online); return;
      case 'member_joined': await this.memberJoined(ev); return;
      case 'member_left':
        if (ev.user.id === store.me.id) {
          this.subscribed.delete(ev.room_id);
          store.leaveRoom(ev.room_id);
          if (store.activeRoomId === ev.room_id && !store.rooms.has(ev.room_id)) { store.setActiveRoom(null); this.navigate(null); }
        } else store.memberLeft(ev.room_id, ev.user);
        return;
      case 'room_updated': store.upsertRoom(ev.room, { neutral: true }); return;
      case 'room_deleted':
        this.subscribed.delete(ev.room_id);
        if (store.rooms.has(ev.room_id) && store.activeRoomId === ev.room_id) { this.toast('This room was deleted.'); this.navigate(null); }
        store.removeRoom(ev.room_id);
        return;
      case 'read': store.markRead(ev.room_id); return;
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
    } else {
      // I joined (another tab) or was added, or someone joined a room I do not know yet.
      try { const fresh = await this.api.room(ev.room_id); if (fresh.joined) await this.addRoom(fresh); } catch { /* not visible */ }
    }
  }
}
