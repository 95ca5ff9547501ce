// Offline-first figures (not a test): starts the server as the browser tests do (e2e/server.js,
// high rate limits) and drives Chromium (playwright-core). Prints one JSON line per figure:
//   reload_paint_from_copy_ms  reload → first message painted from the local copy, the socket held back
//   reload_paint_ms            the same with the socket let through
//   cold_start_paint_ms        a first start (no copy, no worker, no HTTP cache) → first message painted
//   user_stream_resume_ms      10,000 changes of my user stream made while offline: `ready` → `synced` applied (a gap
//                              that long is caught up over REST first, then `sync` replays the rest)
//   indexeddb_bytes            the local copy of 50 rooms × 500 messages (navigator.storage.estimate(), and the profile's
//                              IndexedDB files on disk, which hold the large records estimate() may leave out)
// Run from frontend/ after `trunk build --release`: `CONFAB_BIN=… node bench/offline.mjs`.
import { mkdtempSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../e2e/server.js';
import { launch, ARGS, PASSWORD } from '../e2e/helpers.js';

const RELOADS = 10;
const COLD_STARTS = 5;
const USER_CHANGES = 10000;
const ROOMS = 50;
const PER_ROOM = 500;
const CONCURRENCY = 8;

const print = (figure) => console.log(JSON.stringify(figure));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const p95 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]; };
const round = (x) => Math.round(x * 10) / 10;
const LOREM = 'the quick brown fox jumps over the lazy dog while the build runs and someone asks about lunch plans for friday '.split(' ');
/** The bytes of the files under `dir`. */
const du = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? du(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
const body = (i) => Array.from({ length: 4 + (i * 7) % 30 }, (_, k) => LOREM[(i + k * 3) % LOREM.length]).join(' ');

const server = await startServer({ env: { CONFAB_ACTION_RATE: '100000', CONFAB_ACTION_BURST: '100000', CONFAB_SEND_RATE: '100000', CONFAB_SEND_BURST: '100000', CONFAB_MAX_USER_REPLAY: '20000' } });
const browser = await launch();
try {
  const api = server.url + '/api/v1';
  const call = async (token, method, path, json) => {
    const res = await fetch(api + path, { method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) }, body: json === undefined ? undefined : JSON.stringify(json) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  /** Runs `n` calls of `one(i)`, CONCURRENCY at a time. */
  const many = async (n, one) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next < n) await one(next++); }));
  };
  const pair = await call(null, 'POST', '/auth/register', { username: 'bench', password: PASSWORD });
  const token = pair.access_token;
  /** A browser context signed in as `bench` (the tokens as the app keeps them), its first paint timed; `profile`: a persistent one there. */
  const context = async (profile = null) => {
    const viewport = { width: 1200, height: 800 };
    const ctx = profile ? await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS, viewport }) : await browser.newContext({ viewport });
    await ctx.addInitScript((tokens) => {
      if (!localStorage.getItem('confab.tokens')) localStorage.setItem('confab.tokens', JSON.stringify({ ...tokens, expires_at: Date.now() + tokens.expires_in * 1000 }));
      // The first message row on screen, in ms from the navigation's start.
      new MutationObserver((_, obs) => {
        if (document.querySelector('#messages .msg')) { window.painted = performance.now(); obs.disconnect(); }
      }).observe(document, { subtree: true, childList: true });
    }, pair);
    return ctx;
  };
  const paintedAt = (page) => page.waitForFunction(() => window.painted, null, { timeout: 30000 }).then((h) => h.jsonValue());

  // A room with a screenful of history.
  const room = await call(token, 'POST', '/rooms', { name: 'bench', visibility: 'public' });
  await many(60, (i) => call(token, 'POST', `/rooms/${room.id}/messages`, { body: body(i), client_id: `b-${i}` }));

  // ---- reload from the local copy
  const ctx = await context();
  const page = await ctx.newPage();
  await page.goto(`${server.url}/#/rooms/${room.id}`);
  await page.waitForSelector('#conn[data-state=connected]');
  await paintedAt(page);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForTimeout(500); // the copy is written
  const reloads = async () => {
    const times = [];
    for (let i = 0; i < RELOADS; i++) { await page.reload(); times.push(await paintedAt(page)); }
    return times;
  };
  const open = await reloads();
  await page.routeWebSocket(/\/api\/v1\/ws/, () => {}); // never reaches the server: the copy alone paints
  const held = await reloads();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  print({ figure: 'reload_paint_from_copy_ms', median: round(median(held)), p95: round(p95(held)), runs: RELOADS, target_ms: 150, note: 'socket held back' });
  print({ figure: 'reload_paint_ms', median: round(median(open)), p95: round(p95(open)), runs: RELOADS, note: 'socket let through' });

  // ---- cold start: a fresh profile each time
  const cold = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const c = await context();
    const p = await c.newPage();
    await p.goto(`${server.url}/#/rooms/${room.id}`);
    cold.push(await paintedAt(p));
    await c.close();
  }
  print({ figure: 'cold_start_paint_ms', median: round(median(cold)), p95: round(p95(cold)), runs: COLD_STARTS, note: 'no copy, no worker, no HTTP cache; over the network' });

  // ---- resume of my user stream after 10,000 changes made elsewhere while this tab was offline
  await page.close();
  const resumer = await ctx.newPage();
  await resumer.goto(`${server.url}/#/rooms/${room.id}`);
  await resumer.waitForSelector('#conn[data-state=connected]');
  await ctx.setOffline(true);
  await resumer.waitForSelector('#conn[data-state=offline]');
  const t0 = Date.now();
  await many(USER_CHANGES, (i) => call(token, 'PUT', `/rooms/${room.id}/notifications`, { level: i % 2 ? 'all' : 'mentions' }));
  const making = Date.now() - t0;
  await resumer.evaluate(() => {
    const b = window.bench = { events: 0 };
    const { sync, socket } = window.confab;
    const onEvent = sync.onEvent.bind(sync);
    sync.onEvent = (ev) => {
      const done = onEvent(ev);
      if (typeof ev.user_seq === 'number') b.events++;
      if (ev.type === 'synced') { b.arrived = performance.now(); done.then(() => { b.synced = performance.now(); b.truncated = ev.replay_truncated; }); }
      return done;
    };
    const onReady = sync.onReady.bind(sync);
    sync.onReady = (...args) => { b.ready = performance.now(); return onReady(...args); };
    const send = socket.send.bind(socket);
    socket.send = (frame) => { if (frame.type === 'sync') b.sync = performance.now(); return send(frame); };
  });
  await ctx.setOffline(false);
  await resumer.waitForFunction(() => window.bench.synced, null, { timeout: 120000 });
  const resume = await resumer.evaluate(() => window.bench);
  // Events are applied as they arrive: what is left after `synced` arrived is the app's tail.
  print({ figure: 'user_stream_resume_ms', value: round(resume.synced - resume.ready), rest_catch_up_ms: round(resume.sync - resume.ready), sync_to_synced_ms: round(resume.synced - resume.sync), applied_after_synced_ms: round(resume.synced - resume.arrived), socket_events: resume.events, replay_truncated: resume.truncated, target_ms: 300, note: `${USER_CHANGES} notification-level changes over REST (made in ${making} ms)` });
  await ctx.close();

  // ---- the size of the local copy of 50 rooms × 500 messages
  const rooms = [];
  for (let r = 0; r < ROOMS; r++) rooms.push((await call(token, 'POST', '/rooms', { name: `size-${r}`, visibility: 'public' })).id);
  await many(ROOMS * PER_ROOM, (i) => call(token, 'POST', `/rooms/${rooms[i % ROOMS]}/messages`, { body: body(i), client_id: `s-${i}` }));
  const profile = mkdtempSync(join(tmpdir(), 'confab-bench-profile-'));
  const sizer = await context(profile);
  const sp = sizer.pages()[0] || await sizer.newPage();
  await sp.goto(server.url + '/');
  await sp.waitForSelector('#conn[data-state=connected]');
  const before = await sp.evaluate(async () => (await navigator.storage.estimate()).usageDetails || {});
  const loaded = await sp.evaluate(async ({ ids, per }) => {
    const { api, store } = window.confab;
    let count = 0;
    for (const id of ids) {
      const newest = await api.history(id, { limit: 200 });
      store.applyHistory(id, newest.messages, newest.has_more);
      while (store.messages(id).length < per && store.timeline(id).hasMore) {
        const page = await api.history(id, { beforeSeq: store.startLoadingOlder(id), limit: 200 });
        store.applyHistory(id, page.messages, page.has_more, { older: true });
      }
      count += store.messages(id).length;
    }
    return count;
  }, { ids: rooms, per: PER_ROOM });
  await sp.waitForTimeout(3000); // the copy is written, and the browser's usage figure follows
  const kept = await sp.evaluate(() => new Promise((resolve) => {
    const r = indexedDB.open('confab');
    r.onsuccess = () => {
      const q = r.result.transaction('timelines').objectStore('timelines').getAll();
      q.onsuccess = () => { resolve({ messages: q.result.reduce((n, t) => n + t.messages.length, 0), json: q.result.reduce((n, t) => n + JSON.stringify(t).length, 0) }); r.result.close(); };
    };
  }));
  const after = await sp.evaluate(async () => { const e = await navigator.storage.estimate(); return { usage: e.usage, ...(e.usageDetails || {}) }; });
  // estimate() reports the files on disk (Chromium's IndexedDB compresses them); the records' JSON size is beside it.
  const onDisk = du(join(profile, 'Default', 'IndexedDB'));
  print({ figure: 'indexeddb_bytes', value: after.indexedDB, on_disk_bytes: onDisk, per_message_on_disk: round(onDisk / kept.messages), records_json_bytes: kept.json, messages_kept: kept.messages, messages_loaded: loaded, before_bytes: before.indexedDB || 0, origin_usage_bytes: after.usage, rooms: ROOMS, per_room: PER_ROOM });
  await sizer.close();
  rmSync(profile, { recursive: true, force: true });
} finally {
  await browser.close();
  await server.stop();
}
