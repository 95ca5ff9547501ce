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
    assert.equal(h.live(375).length, 1);
    h.live(375)[0].fn(); await h.tick();
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
function harness({ refreshFails = false, online = true } = {}) {
  const sockets = [];
  class FakeWS {
    constructor(url) { this.url = url; this.sent = []; sockets.push(this); }
    send(s) { this.sent.push(JSON.parse(s)); }
    close(code = 1000) { this.onclose && this.onclose({ code }); }
  }
  const timers = []; // {fn, ms, cleared}
  const states = [];
  const infos = [];
  const net = { online, now: 1000 };
  const events = [];
  let ended = 0; let refreshed = 0; let readies = 0;
  const readyArgs = [];
  const sock = new Socket({
    url: 'ws://x/api/v1/ws', WebSocketImpl: FakeWS, random: () => 0.5,
    getToken: async () => 'tok',
    refreshToken: async () => { refreshed++; if (refreshFails) { const e = new Error('no'); e.status = 401; throw e; } },
    onEvent: (e) => events.push(e), onState: (s, info) => { states.push(s); infos.push(info); }, onReady: (user, userSeq) => { readies++; readyArgs.push([user, userSeq]); }, onSessionEnded: () => ended++,
    setTimeout: (fn, ms) => { timers.push({ fn, ms, cleared: false }); return timers.length; },
    clearTimeout: (id) => { if (id) timers[id - 1].cleared = true; },
    now: () => net.now, online: () => net.online,
  });
  const tick = () => new Promise((r) => setImmediate(r));
  /** The live timers of `ms` (a reconnect has its backoff delay, the heartbeat 15000, its deadline 5000, ready's 10000). */
  const live = (ms) => timers.filter((t) => !t.cleared && (ms === undefined || t.ms === ms));
  const ready = (ws) => { ws.onopen(); ws.onmessage({ data: JSON.stringify({ type: 'ready', user: { id: 1 } }) }); };
  return { sock, sockets, timers, live, ready, states, infos, events, net, tick, readyArgs, get ended() { return ended; }, get refreshed() { return refreshed; }, get readies() { return readies; } };
}

test('auth first frame, ready, events; reconnect with growing backoff after a drop', async () => {
  const h = harness();
  h.sock.start();
  await h.tick();
  const ws = h.sockets[0];
  ws.onopen();
  assert.deepEqual(ws.sent[0], { type: 'auth', token: 'tok' });
  assert.equal(h.sock.send({ type: 'ping' }), false, 'nothing is sent before ready');
  ws.onmessage({ data: JSON.stringify({ type: 'ready', user: { id: 1 }, user_seq: 42 }) });
  assert.equal(h.readies, 1);
  assert.deepEqual(h.readyArgs, [[{ id: 1 }, 42]], 'me and my user stream\'s head');
  assert.equal(h.states.at(-1), 'connected');
  ws.onmessage({ data: JSON.stringify({ type: 'message', room_id: 1, seq: 1 }) });
  assert.equal(h.events.length, 1);
  ws.close(1006);
  await h.tick();
  assert.equal(h.states.at(-1), 'reconnecting');
  assert.equal(h.live(15000).length, 0, 'no heartbeat for a closed connection');
  assert.equal(h.live(375).length, 1); // attempt 0: 500 * (0.5 + 0.5*0.5)
  assert.equal(h.infos.at(-1).retryAt, 1375, 'the state says when the next attempt starts');
  h.live(375)[0].fn();
  await h.tick();
  h.sockets[1].close(1006); // failed again before ready: backoff grows
  await h.tick();
  assert.equal(h.live(750).length, 1);
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
  assert.equal(h.live().length, 0);
});

test('heartbeat: a ping not answered within its deadline means dead, even if the socket looks open', async () => {
  const h = harness();
  h.sock.start(); await h.tick();
  const ws = h.sockets[0];
  h.ready(ws);
  h.live(15000)[0].fn();
  assert.deepEqual(ws.sent.at(-1), { type: 'ping' });
  ws.onmessage({ data: JSON.stringify({ type: 'pong' }) });
  assert.equal(h.live(5000).length, 0, 'answered: no deadline left');
  h.live(15000)[0].fn();
  h.live(5000)[0].fn(); // no pong in time
  assert.equal(h.states.at(-1), 'reconnecting');
  assert.equal(h.sock.send({ type: 'typing', room_id: 1 }), false, 'a dead connection sends nothing');
  ws.onmessage && ws.onmessage({ data: JSON.stringify({ type: 'message' }) });
  assert.equal(h.events.length, 0, 'late frames of the dead connection are ignored');
  h.live(375)[0].fn(); await h.tick();
  assert.equal(h.sockets.length, 2);
});

test('a connection that does not reach ready in time is given up', async () => {
  const h = harness();
  h.sock.start(); await h.tick();
  h.sockets[0].onopen();
  h.live(10000)[0].fn();
  assert.equal(h.states.at(-1), 'reconnecting');
  assert.equal(h.live(375).length, 1);
});

test('offline: the connection is dropped at once and no attempt is made until the network returns', async () => {
  const h = harness();
  h.sock.start(); await h.tick();
  h.ready(h.sockets[0]);
  h.net.online = false;
  h.sock.network(false);
  assert.equal(h.states.at(-1), 'offline');
  assert.equal(h.live().length, 0, 'no heartbeat, no reconnect timer');
  h.net.online = true;
  h.sock.network(true);
  await h.tick();
  assert.equal(h.sockets.length, 2, 'reconnects at once');
  assert.equal(h.states.at(-1), 'connecting', 'a fresh start: the backoff is reset');
  h.ready(h.sockets[1]);
  h.sock.network(true);
  assert.deepEqual(h.sockets[1].sent.at(-1), { type: 'ping' }, 'back online with a connection that looks open: probe it');
  assert.equal(h.live(5000).length, 1);

  const off = harness({ online: false });
  off.sock.start(); await off.tick();
  assert.deepEqual([off.states, off.sockets.length], [['offline'], 0]);
});
