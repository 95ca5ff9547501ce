import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE, backoffDelay, closeAction, subscribeFrames, Socket, wsUrl } from '../../js/socket.js';

test('backoff grows exponentially, is capped and jittered within [half, full]', () => {
  const lo = (a) => backoffDelay(a, { random: () => 0 });
  const hi = (a) => backoffDelay(a, { random: () => 0.999999 });
  assert.deepEqual([0, 1, 2, 3].map(lo), [250, 500, 1000, 2000]);
  assert.deepEqual([0, 1, 2, 3].map(hi), [500, 1000, 2000, 4000]);
  assert.equal(hi(20), 30000);
  assert.equal(lo(20), 15000);
  const samples = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
  assert.ok(samples.size > 1, 'jitter spreads reconnects');
});

test('close codes map to actions', () => {
  assert.equal(closeAction(4001), 'refresh');
  assert.equal(closeAction(4003), 'login');
  assert.equal(closeAction(4008), 'reconnect');
  assert.equal(closeAction(4009), 'stop');
  assert.equal(closeAction(1001), 'reconnect');
  assert.equal(closeAction(1006), 'reconnect');
  assert.equal(closeAction(1008), 'reconnect');
  assert.equal(closeAction(1009), 'reconnect');
});

test('a server error at start (1011) or a busy server (1013) reconnects with backoff', async () => {
  for (const code of [CLOSE.SERVER_ERROR, CLOSE.TRY_AGAIN]) {
    assert.equal(closeAction(code), 'reconnect');
    const h = harness();
    h.sock.start(); await h.tick();
    h.sockets[0].close(code); await h.tick();
    assert.equal(h.states.at(-1), 'reconnecting', String(code));
    assert.equal(h.timers.at(-1).ms, 375);
    h.timers.at(-1).fn(); await h.tick();
    assert.equal(h.sockets.length, 2, `a new connection after ${code}`);
    assert.deepEqual([h.ended, h.refreshed], [0, 0]);
  }
});

test('subscribe frames resume from the cursor; rooms never seen are live-only', () => {
  const frames = subscribeFrames([1, 2, 3], new Map([[1, 42], [3, 0]]));
  assert.deepEqual(frames, [
    { type: 'subscribe', room_id: 1, after_seq: 42 },
    { type: 'subscribe', room_id: 2 },
    { type: 'subscribe', room_id: 3, after_seq: 0 },
  ]);
});

test('ws url follows the page protocol', () => {
  assert.equal(wsUrl({ protocol: 'https:', host: 'chat.example' }), 'wss://chat.example/api/v1/ws');
  assert.equal(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' }), 'ws://127.0.0.1:8080/api/v1/ws');
});

// A fake WebSocket and clock to drive the connection state machine.
function harness({ refreshFails = false } = {}) {
  const sockets = [];
  class FakeWS {
    constructor(url) { this.url = url; this.sent = []; sockets.push(this); }
    send(s) { this.sent.push(JSON.parse(s)); }
    close(code = 1000) { this.onclose && this.onclose({ code }); }
  }
  const timers = [];
  const states = [];
  const events = [];
  let ended = 0; let refreshed = 0; let readies = 0;
  const sock = new Socket({
    url: 'ws://x/api/v1/ws', WebSocketImpl: FakeWS, random: () => 0.5,
    getToken: async () => 'tok',
    refreshToken: async () => { refreshed++; if (refreshFails) { const e = new Error('no'); e.status = 401; throw e; } },
    onEvent: (e) => events.push(e), onState: (s) => states.push(s), onReady: () => readies++, onSessionEnded: () => ended++,
    setTimeout: (fn, ms) => { timers.push({ fn, ms }); return timers.length; }, clearTimeout: () => {},
  });
  const tick = () => new Promise((r) => setImmediate(r));
  return { sock, sockets, timers, states, events, tick, get ended() { return ended; }, get refreshed() { return refreshed; }, get readies() { return readies; } };
}

test('auth first frame, ready, events; reconnect with growing backoff after a drop', async () => {
  const h = harness();
  h.sock.start();
  await h.tick();
  const ws = h.sockets[0];
  ws.onopen();
  assert.deepEqual(ws.sent[0], { type: 'auth', token: 'tok' });
  assert.equal(h.sock.send({ type: 'ping' }), false, 'nothing is sent before ready');
  ws.onmessage({ data: JSON.stringify({ type: 'ready', user: { id: 1 } }) });
  assert.equal(h.readies, 1);
  assert.equal(h.states.at(-1), 'connected');
  ws.onmessage({ data: JSON.stringify({ type: 'message', room_id: 1, seq: 1 }) });
  assert.equal(h.events.length, 1);
  ws.close(1006);
  await h.tick();
  assert.equal(h.states.at(-1), 'reconnecting');
  const reconnectTimers = h.timers.filter((t) => t.ms !== 25000);
  assert.equal(reconnectTimers.at(-1).ms, 375); // attempt 0: 500 * (0.5 + 0.5*0.5)
  reconnectTimers.at(-1).fn();
  await h.tick();
  h.sockets[1].close(1006); // failed again before ready: backoff grows
  await h.tick();
  assert.equal(h.timers.filter((t) => t.ms !== 25000).at(-1).ms, 750);
});

test('subscribe sends the subscribe frames once connected', async () => {
  const h = harness();
  assert.equal(h.sock.subscribe([1], new Map()), false, 'not connected');
  h.sock.start(); await h.tick();
  const ws = h.sockets[0];
  ws.onopen();
  ws.onmessage({ data: JSON.stringify({ type: 'ready', user: { id: 1 } }) });
  assert.equal(h.sock.subscribe([1, 2], new Map([[2, 7]])), true);
  assert.deepEqual(ws.sent.slice(1), subscribeFrames([1, 2], new Map([[2, 7]])));
});

test('4001 refreshes then reconnects; a failed refresh ends the session; 4003 ends it at once', async () => {
  const h = harness();
  h.sock.start(); await h.tick();
  h.sockets[0].close(4001); await h.tick();
  assert.equal(h.refreshed, 1);
  assert.equal(h.ended, 0);
  assert.equal(h.states.at(-1), 'reconnecting');

  const f = harness({ refreshFails: true });
  f.sock.start(); await f.tick();
  f.sockets[0].close(4001); await f.tick();
  assert.equal(f.ended, 1);

  const r = harness();
  r.sock.start(); await r.tick();
  r.sockets[0].close(4003); await r.tick();
  assert.equal(r.ended, 1);
  assert.equal(r.refreshed, 0);
});

test('4009 stops with a visible message instead of hammering the server', async () => {
  const h = harness();
  h.sock.start(); await h.tick();
  h.sockets[0].close(4009); await h.tick();
  assert.equal(h.states.at(-1), 'error');
  assert.equal(h.timers.length, 0);
});
