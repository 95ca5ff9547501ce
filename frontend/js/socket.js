// WebSocket client: first-frame auth, per-room subscribe with resume cursors, reconnect with
// exponential backoff and full jitter, and an honest connection state: a client heartbeat with a
// deadline (a ping the server does not answer in time means the connection is dead, even when the
// browser still calls it open), a deadline for reaching `ready`, and the browser's online/offline
// signal (no attempts while offline; one at once when the network returns). No DOM; the WebSocket
// class, timers, clock and randomness are injectable so the logic is unit-tested in node.

// The server's close codes. A Rust test checks each `NAME: code` pair here against the enum in
// shared/, so keep the spelling. Only 4001, 4003 and 4009 need more than a reconnect and resume
// (1008 heartbeat timeout, 1009 frame too big or protocol error, 1011 server error at start,
// 1013 server busy, 4008 too slow to read).
export const CLOSE = { GOING_AWAY: 1001, POLICY: 1008, TOO_BIG: 1009, SERVER_ERROR: 1011, TRY_AGAIN: 1013, UNAUTHENTICATED: 4001, REVOKED: 4003, TOO_SLOW: 4008, TOO_MANY: 4009 };

/** Delay before reconnect attempt `attempt` (0-based): base·2^attempt capped, with jitter in [½, 1]. */
export function backoffDelay(attempt, { base = 500, max = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * ceiling / 2);
}

/** What to do after a close with `code`: 'refresh' | 'login' | 'reconnect' | 'stop'. */
export function closeAction(code) {
  if (code === CLOSE.UNAUTHENTICATED) return 'refresh';
  if (code === CLOSE.REVOKED) return 'login';
  if (code === CLOSE.TOO_MANY) return 'stop';
  return 'reconnect';
}

/** The subscribe frames for `roomIds`: with `after_seq` when a cursor is known, live-only otherwise. */
export function subscribeFrames(roomIds, cursors) {
  return roomIds.map((room_id) => {
    const c = cursors.get(room_id);
    return c === undefined ? { type: 'subscribe', room_id } : { type: 'subscribe', room_id, after_seq: c };
  });
}

export function wsUrl(loc = globalThis.location) {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${loc.host}/api/v1/ws`;
}

export class Socket {
  /**
   * opts: url, getToken() → Promise<access token>, refreshToken() → Promise (rejects when the
   * session is over), onEvent(ev), onState(state, info) with state 'connecting' | 'connected' |
   * 'reconnecting' | 'offline' | 'error' and info {retryAt?: ms, message?}, onReady(user, userSeq)
   * (userSeq: my user stream's head when the connection started),
   * onSessionEnded(), WebSocketImpl, setTimeout/clearTimeout, now, random, online() (the
   * browser's guess), pingMs (heartbeat interval), pongMs (its deadline), readyMs (deadline from
   * opening to `ready`).
   */
  constructor(opts) {
    this.o = {
      WebSocketImpl: globalThis.WebSocket, setTimeout: (...a) => globalThis.setTimeout(...a),
      clearTimeout: (...a) => globalThis.clearTimeout(...a), now: () => Date.now(), random: Math.random,
      online: () => globalThis.navigator?.onLine ?? true, pingMs: 15000, pongMs: 5000, readyMs: 10000, ...opts,
    };
    this.ws = null;
    this.ready = false;
    this.attempt = 0;
    this.stopped = true;
    this.timer = null; // the scheduled reconnect
    this.pingTimer = null; // the next heartbeat
    this.deadline = null; // a heartbeat or `ready` the server has not answered yet
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.o.clearTimeout(this.timer);
    this.abandon(1000, 'bye');
  }

  /** Test and debug hook: drop the connection as if the network failed (it reconnects). */
  drop() { if (this.ws) this.ws.close(4000, 'dropped by client'); }

  async connect() {
    if (this.stopped) return;
    if (!this.o.online()) { this.o.onState('offline', {}); return; }
    this.o.onState(this.attempt === 0 ? 'connecting' : 'reconnecting', {});
    let token;
    try { token = await this.o.getToken(); } catch (e) {
      if (e && e.status === 401) { this.stopped = true; this.o.onSessionEnded(); return; }
      this.scheduleReconnect(); return;
    }
    if (this.stopped || this.ws) return;
    let ws;
    try { ws = new this.o.WebSocketImpl(this.o.url); } catch { this.scheduleReconnect(); return; }
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (e) => {
      let ev;
      try { ev = JSON.parse(e.data); } catch { return; }
      this.handle(ev);
    };
    ws.onclose = (e) => { if (this.ws === ws) this.onClose(e.code); };
    ws.onerror = () => { /* onclose follows */ };
    this.expect(this.o.readyMs);
  }

  handle(ev) {
    this.o.clearTimeout(this.deadline); // any frame proves the connection alive
    this.deadline = null;
    if (ev.type === 'ready') {
      this.ready = true;
      this.attempt = 0;
      this.o.onState('connected', {});
      this.o.onReady(ev.user, ev.user_seq);
      this.schedulePing();
      return;
    }
    if (ev.type === 'pong') return;
    this.o.onEvent(ev);
  }

  /** Declares the connection dead unless a frame arrives within `ms`. */
  expect(ms) {
    if (this.deadline) return;
    this.deadline = this.o.setTimeout(() => { this.deadline = null; this.dead(); }, ms);
  }

  schedulePing() {
    this.o.clearTimeout(this.pingTimer);
    this.pingTimer = this.o.setTimeout(() => this.probe(), this.o.pingMs);
  }

  /** Sends a heartbeat now; no answer within pongMs means the connection is dead. */
  probe() {
    if (!this.send({ type: 'ping' })) return;
    this.expect(this.o.pongMs);
    this.schedulePing();
  }

  /** The connection stopped answering: give up on it (without waiting for a close handshake) and reconnect. */
  dead() {
    if (!this.ws) return;
    this.abandon(4000, 'no answer');
    this.scheduleReconnect();
  }

  /** Forgets the current connection and closes it; its late events are ignored. */
  abandon(code, reason) {
    this.o.clearTimeout(this.pingTimer);
    this.o.clearTimeout(this.deadline);
    this.deadline = null;
    this.ready = false;
    const ws = this.ws;
    this.ws = null;
    if (ws) { ws.onclose = null; ws.onmessage = null; try { ws.close(code, reason); } catch { /* closed */ } }
  }

  async onClose(code) {
    this.abandon();
    if (this.stopped) return;
    const action = closeAction(code);
    if (action === 'login') { this.stopped = true; this.o.onSessionEnded(); return; }
    if (action === 'stop') { this.stopped = true; this.o.onState('error', { message: 'Too many open connections: close another Confab tab, then reload.' }); return; }
    if (action === 'refresh') {
      try { await this.o.refreshToken(); } catch (e) {
        if (e && e.status && e.status !== 0 && e.status < 500) { this.stopped = true; this.o.onSessionEnded(); return; }
      }
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.o.clearTimeout(this.timer);
    if (!this.o.online()) { this.o.onState('offline', {}); return; } // network() starts again
    const delay = backoffDelay(this.attempt, { random: this.o.random });
    this.attempt += 1;
    this.o.onState('reconnecting', { retryAt: this.o.now() + delay });
    this.timer = this.o.setTimeout(() => this.connect(), delay);
  }

  /**
   * The browser's network signal changed (the `online`/`offline` events). Offline: the connection
   * is treated as gone at once. Online: a waiting reconnect happens now, and a connection that
   * still looks open is probed.
   */
  network(online) {
    if (this.stopped) return;
    if (!online) {
      this.o.clearTimeout(this.timer);
      this.abandon(4000, 'offline');
      this.o.onState('offline', {});
      return;
    }
    if (this.ws) { if (this.ready) this.probe(); return; }
    this.attempt = 0;
    this.o.clearTimeout(this.timer);
    this.connect();
  }

  /** Reconnects now if no connection is open or being opened (the "Reconnect now" button). */
  reconnectNow() {
    if (this.stopped || this.ws) return;
    this.o.clearTimeout(this.timer);
    this.connect();
  }

  send(frame) {
    if (!this.ws || !this.ready) return false;
    try { this.ws.send(JSON.stringify(frame)); return true; } catch { return false; }
  }

  /** Subscribes to `roomIds`, resuming from `cursors` (room id → seq). False when not connected. */
  subscribe(roomIds, cursors) {
    return subscribeFrames(roomIds, cursors).every((frame) => this.send(frame));
  }
}
