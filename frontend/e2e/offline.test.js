// Offline first: the local copy in IndexedDB paints a reload before the socket connects, the
// outbox keeps sends made offline across closing the tab (they arrive once, in order, when the
// network is back), drafts follow me between devices and a stale offline one never overwrites a
// newer one, the app shell starts with the network cut (service worker), and signing out (or a
// session ended elsewhere) leaves nothing in IndexedDB. Alice has two devices (browser contexts);
// Bob is the other person in the room.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, bodies, PASSWORD } from './helpers.js';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
let server; let browser; let ctxA; let ctxA2; let ctxB; let A; let A2; let B;
const problems = [];

/** The records of one store of the app's database (none: []); opened and closed around the read. */
const kept = (page, name) => page.evaluate((store) => new Promise((resolve, reject) => {
  const r = indexedDB.open('confab');
  r.onsuccess = () => {
    const db = r.result;
    if (!db.objectStoreNames.contains(store)) { db.close(); resolve([]); return; }
    const q = db.transaction(store).objectStore(store).getAll();
    q.onsuccess = () => { db.close(); resolve(q.result); };
  };
  r.onerror = () => reject(r.error);
}), name);
const until = async (page, check, what, timeout = 10000) => {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(100);
  }
};
const composer = (page) => page.inputValue('#composer-input');
const queued = (page) => page.$$eval('#messages .msg', (rows) => rows.filter((r) => /^queued \d+$/.test(r.querySelector('.msg-body p')?.textContent || ''))
  .map((r) => [r.querySelector('.msg-body p').textContent, r.classList.contains('pending')]));

async function signIn(page, url, username) {
  await page.goto(url + '/');
  await page.fill('#auth-username', username);
  await page.fill('#auth-password', PASSWORD);
  await page.click('#auth-submit');
  await page.waitForSelector('#app:not([hidden])');
  await waitConnected(page);
}

/** A fresh tab of a context at the app (the last one closed first, as a person closing the tab). */
async function reopen(ctx, old, name) {
  await old.close();
  const page = await ctx.newPage();
  watch(page, name, problems);
  await page.goto(server.url + '/#/rooms/' + roomId);
  return page;
}

let roomId;

describe('offline first', () => {
  before(async () => {
    server = await startServer();
    browser = await launch();
    const size = { viewport: { width: 1100, height: 760 } };
    [ctxA, ctxA2, ctxB] = await Promise.all([browser.newContext(size), browser.newContext(size), browser.newContext(size)]);
    A = await ctxA.newPage(); watch(A, 'alice', problems);
    A2 = await ctxA2.newPage(); watch(A2, 'alice 2', problems);
    B = await ctxB.newPage(); watch(B, 'bob', problems);
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    await createRoom(A, 'field');
    roomId = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.click('#btn-browse');
    await B.click('#browse-list .browse-item:has-text("#field") button:has-text("Join")');
    await B.waitForSelector('#composer:not([hidden])');
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('a reload paints the kept timeline before the socket connects (no socket, no REST)', async () => {
    for (const n of [1, 2, 3]) await send(A, `kept ${n}`);
    await A.waitForSelector('#messages .msg.pending', { state: 'detached' });
    await until(A, async () => (await kept(A, 'timelines')).some((t) => t.room_id === roomId && t.messages.some((m) => m.body === 'kept 3')), 'the copy to hold the messages');
    // The socket never reaches the server; every API call fails.
    await A.routeWebSocket(/\/api\/v1\/ws/, () => {});
    await A.route('**/api/v1/**', (r) => r.abort());
    await A.reload();
    await A.waitForSelector('#messages .msg-body:has-text("kept 3")', { timeout: 5000 });
    assert.deepEqual((await bodies(A)).filter((t) => t.startsWith('kept')), ['kept 1', 'kept 2', 'kept 3']);
    assert.equal(await A.textContent('#room-name'), '#field');
    assert.ok(!(await A.evaluate(() => window.confab.connectionLog.includes('connected'))), 'painted without a connection');
    A = await reopen(ctxA, A, 'alice');
    await waitConnected(A);
    await A.waitForSelector('#messages .msg-body:has-text("kept 3")');
  });

  test('offline, 20 sends; the tab closed and opened again still offline; online → all 20 arrive once, in order, pending until acked', async () => {
    // The app shell is cached by the service worker once a session shows.
    await A.evaluate(() => navigator.serviceWorker.ready);
    await A.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await ctxA.setOffline(true);
    await A.waitForSelector('#offline-banner:not([hidden]):has-text("You are offline")', { timeout: 5000 });
    for (let n = 1; n <= 20; n++) await send(A, `queued ${n}`);
    await A.waitForFunction(() => document.querySelectorAll('#messages .msg.pending').length === 20);
    await until(A, async () => (await kept(A, 'outbox')).length === 20, 'the outbox to hold the 20');
    const clientIds = (await kept(A, 'outbox')).sort((a, b) => a.order - b.order).map((r) => [r.body, r.client_id]);
    assert.deepEqual(clientIds.map((r) => r[0]), Array.from({ length: 20 }, (_, i) => `queued ${i + 1}`));

    A = await reopen(ctxA, A, 'alice');
    await A.waitForSelector('#messages .msg.pending:has-text("queued 20") .status:has-text("Waiting for the connection")', { timeout: 10000 });
    assert.deepEqual(await queued(A), Array.from({ length: 20 }, (_, i) => [`queued ${i + 1}`, true]), 'each shows as pending, in order');
    assert.equal(await A.isVisible('#offline-banner'), true);
    await A.screenshot({ path: join(shots, 'offline.png') });
    assert.deepEqual((await bodies(B)).filter((t) => t.startsWith('queued')), [], 'nothing reached the server');

    // Each one stays pending until its ack: an acked one never shows before those queued ahead of it.
    await A.evaluate(() => {
      window.ackOrder = [];
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('#messages .msg:not(.pending)')) {
          const text = row.querySelector('.msg-body p')?.textContent || '';
          if (/^queued \d+$/.test(text) && !window.ackOrder.includes(text)) window.ackOrder.push(text);
        }
      }).observe(document.getElementById('messages'), { subtree: true, childList: true, attributes: true });
    });
    await ctxA.setOffline(false);
    await waitConnected(A, 10000);
    await A.waitForFunction(() => !document.querySelector('#messages .msg.pending'), null, { timeout: 30000 });
    const want = Array.from({ length: 20 }, (_, i) => `queued ${i + 1}`);
    assert.deepEqual(await A.evaluate(() => window.ackOrder), want, 'acked in order');
    await B.waitForSelector('#messages .msg-body:has-text("queued 20")');
    await B.waitForTimeout(300);
    assert.deepEqual((await bodies(B)).filter((t) => t.startsWith('queued')), want, 'once each, in order, on the other screen');
    const stored = await B.evaluate(async (id) => (await window.confab.api.history(id, { limit: 100 })).messages.map((m) => [m.body, m.client_id]), roomId);
    assert.deepEqual(stored.filter(([b]) => b.startsWith('queued')), clientIds, 'stored once, with the client ids kept across the reload');
    await until(A, async () => (await kept(A, 'outbox')).length === 0, 'the outbox to empty');
  });

  test('a draft typed on one device appears on the other; sending clears it on both', async () => {
    await signIn(A2, server.url, 'alice');
    await A2.goto(server.url + '/#/rooms/' + roomId);
    await waitConnected(A2);
    await A.fill('#composer-input', 'half a thought');
    await A2.waitForFunction(() => document.getElementById('composer-input').value === 'half a thought', null, { timeout: 5000 });
    // It is kept locally at once, and across a reload.
    await A2.reload();
    await A2.waitForSelector('#room-name:has-text("#field")');
    await A2.waitForFunction(() => document.getElementById('composer-input').value === 'half a thought');
    await A.press('#composer-input', 'Enter');
    await A2.waitForFunction(() => document.getElementById('composer-input').value === '', null, { timeout: 5000 });
    assert.equal(await composer(A), '');
    await B.waitForSelector('#messages .msg-body:has-text("half a thought")');
    assert.deepEqual(await A.evaluate(async () => (await window.confab.api.drafts()).drafts), []);
  });

  test('a stale draft typed offline does not overwrite a newer one: the newer one shows, mine can be restored', async () => {
    await ctxA.setOffline(true);
    await A.waitForSelector('#conn[data-state=offline]');
    await A.fill('#composer-input', 'written on the train');
    await A.waitForTimeout(1300); // its put is due (and fails: offline)
    await A2.fill('#composer-input', 'written at the desk');
    await until(A2, async () => (await A2.evaluate(async () => (await window.confab.api.drafts()).drafts.map((d) => d.body))).includes('written at the desk'), 'the newer draft on the server');
    await ctxA.setOffline(false);
    await waitConnected(A, 10000);
    await A.waitForSelector('#draft-notice:not([hidden])', { timeout: 5000 });
    assert.equal(await composer(A), 'written at the desk', 'the newer one is adopted');
    await A2.waitForTimeout(1500);
    assert.equal(await composer(A2), 'written at the desk', 'the other device keeps it');
    assert.deepEqual(await A2.evaluate(async () => (await window.confab.api.drafts()).drafts.map((d) => d.body)), ['written at the desk']);
    // Mine is one click away, and then it is the newest for everyone.
    await A.click('#draft-restore');
    assert.equal(await composer(A), 'written on the train');
    assert.equal(await A.isHidden('#draft-notice'), true);
    await A2.waitForFunction(() => document.getElementById('composer-input').value === 'written on the train', null, { timeout: 5000 });
  });

  test('the app shell loads with the network cut (service worker), and the app installs: manifest and icons', async () => {
    // The browser offline and the server gone too: nothing but the worker's cache can answer.
    await ctxA.setOffline(true);
    await server.kill();
    const fromWorker = [];
    A.on('response', (r) => { if (r.url().startsWith(server.url) && !r.url().includes('/api/')) fromWorker.push(r.fromServiceWorker()); });
    await A.reload();
    await A.waitForSelector('#app:not([hidden])');
    await A.waitForSelector('#messages .msg-body:has-text("queued 20")');
    await A.waitForSelector('#conn[data-state=offline]');
    assert.ok(fromWorker.length > 10 && fromWorker.every(Boolean), `every file of the shell from the worker (${fromWorker.length})`);
    await server.start();
    await ctxA.setOffline(false);
    await waitConnected(A, 10000);
    await waitConnected(A2, 40000);
    const manifest = await A.evaluate(async () => {
      const link = document.querySelector('link[rel=manifest]');
      const m = await (await fetch(link.href)).json();
      const icons = await Promise.all(m.icons.map(async (i) => { const r = await fetch(i.src); return [i.sizes, r.status, r.headers.get('content-type')]; }));
      return { display: m.display, start_url: m.start_url, icons };
    });
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.start_url, '/');
    assert.ok(manifest.icons.some(([sizes, status, type]) => sizes === '512x512' && status === 200 && type === 'image/png'));
    assert.ok(manifest.icons.every(([, status]) => status === 200));
  });

  test('a session ended elsewhere and a log out leave nothing in IndexedDB', async () => {
    const databases = (page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.deepEqual(await databases(A2), ['confab']);
    // Alice ends her other device's session from this one: it is signed out and its copy goes.
    await A.evaluate(async () => {
      const { sessions } = await window.confab.api.sessions();
      for (const s of sessions) if (!s.current) await window.confab.api.endSessionById(s.id);
    });
    await A2.waitForSelector('#auth:not([hidden])', { timeout: 15000 });
    await until(A2, async () => (await databases(A2)).length === 0, 'the ended session\'s copy to go');
    await A.click('#btn-logout');
    await A.waitForSelector('#auth:not([hidden])');
    await until(A, async () => (await databases(A)).length === 0, 'the copy to go on log out');
    await A.reload();
    await A.waitForSelector('#auth:not([hidden])');
    assert.deepEqual(await databases(A), []);
    assert.deepEqual(problems, []);
  });
});
