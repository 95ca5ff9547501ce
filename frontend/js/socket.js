// WebSocket client: first-frame auth, per-room subscribe with resume cursors, reconnect with
// exponential backoff and full jitter, keepalive pings. No DOM; the WebSocket class, timers and
// randomness are injectable so the logic is unit-tested in node.

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
   * session is over), onEvent(ev), onState(state, detail), onReady(user), onSessionEnded(),
   * WebSocketImpl, setTimeout/clearTimeout, random, pingMs.
   */
  constructor(opts) {
    this.o = {
      WebSocketImpl: globalThis.WebSocket, setTimeout: (...a) => globalThis.setTimeout(...a),
      clearTimeout: (...a) => globalThis.clearTimeout(...a), random: Math.random, pingMs: 25000, ...opts,
    };
    this.ws = null;
    this.ready = false;
    this.attempt = 0;
    this.stopped = true;
    this.timer = null;
    this.pingTimer = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.o.clearTimeout(this.timer);
    this.o.clearTimeout(this.pingTimer);
    if (this.ws) { const ws = this.ws; this.ws = null; try { ws.close(1000, 'bye'); } catch { /* closed */ } }
    this.ready = false;
  }

  /** Test and debug hook: drop the connection as if the network failed (it reconnects). */
  drop() { if (this.ws) this.ws.close(4000, 'dropped by client'); }

  async connect() {
    if (this.stopped) return;
    this.o.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let token;
    try { token = await this.o.getToken(); } catch (e) {
      if (e && e.status === 401) { this.stopped = true; this.o.onSessionEnded(); return; }
      this.scheduleReconnect(); return;
    }
    if (this.stopped) return;
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
  }

  handle(ev) {
    if (ev.type === 'ready') {
      this.ready = true;
      this.attempt = 0;
      this.o.onState('connected');
      this.o.onReady(ev.user);
      this.schedulePing();
      return;
    }
    if (ev.type === 'pong') return;
    this.o.onEvent(ev);
  }

  schedulePing() {
    this.o.clearTimeout(this.pingTimer);
    this.pingTimer = this.o.setTimeout(() => { if (this.send({ type: 'ping' })) this.schedulePing(); }, this.o.pingMs);
  }

  async onClose(code) {
    this.ws = null;
    this.ready = false;
    this.o.clearTimeout(this.pingTimer);
    if (this.stopped) return;
    const action = closeAction(code);
    if (action === 'login') { this.stopped = true; this.o.onSessionEnded(); return; }
    if (action === 'stop') { this.stopped = true; this.o.onState('error', 'Too many open connections: close another Confab tab, then reload.'); return; }
    if (action === 'refresh') {
      try { await this.o.refreshToken(); } catch (e) {
        if (e && e.status && e.status !== 0 && e.status < 500) { this.stopped = true; this.o.onSessionEnded(); return; }
      }
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, { random: this.o.random });
    this.attempt += 1;
    this.o.onState('reconnecting', `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    this.o.clearTimeout(this.timer);
    this.timer = this.o.setTimeout(() => this.connect(), delay);
  }

  /** Reconnects now (e.g. the browser came back online). */
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
