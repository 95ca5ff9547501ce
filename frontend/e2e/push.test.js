// Web Push on this device, in Chromium against the real server: the setting in Settings ("Notify
// me on this device when Confab is closed") says honestly what the browser does, /sw.js registers
// with scope / (and only once the setting is turned on), a push delivered to the worker through
// the DevTools protocol shows its notification while no tab of Confab is in view (and none while
// one is), a click on it opens its room in the open tab, and the worker's route of a room is the
// app's. Headless Chromium has no push service (its contexts are incognito: subscribe fails at
// once), so the subscription the server gets is tested with the push manager stubbed in one
// context: what is posted, posted again on a page load, deleted when turned off and on sign-out.
// Alice's context keeps the app's CSP; the axe context bypasses it so axe can be injected.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { startServer } from './server.js';
import { launch, watch, register, createRoom, waitConnected, axeBoth } from './helpers.js';

let server; let browser; let ctx; let page; let origin; let general; let random;
const problems = [];
const swFetches = []; // [status, content type] of every /sw.js fetched in alice's context

const status = (p) => p.evaluate(() => { const s = document.getElementById('push-status'); return { state: s.dataset.state, text: s.textContent, checked: document.getElementById('push-toggle').checked }; });
const flag = (p) => p.evaluate(() => localStorage.getItem('confab.push'));
const registration = (p) => p.evaluate(async () => {
  const r = await navigator.serviceWorker.getRegistration('/');
  return r ? { scope: r.scope, script: (r.active || r.waiting || r.installing).scriptURL } : null;
});
const inPageNotifications = (p) => p.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data })));

async function openSettings(p) {
  await p.click('#btn-settings');
  await p.waitForSelector('#dlg-settings[open] #push-status[data-state]');
  await p.waitForFunction(() => document.getElementById('push-status').textContent !== '');
}

/** Clicks the box and waits for the state after `enabling` / `disabling`. */
async function toggle(p) {
  const before = (await status(p)).state;
  await p.click('#push-toggle');
  await p.waitForFunction((b) => { const s = document.getElementById('push-status').dataset.state; return s !== b && s !== 'enabling' && s !== 'disabling'; }, before, { timeout: 30000 });
  return status(p);
}

/** Resolves once `ok()` holds (polled), or fails after 5 s. */
async function until(ok, what) {
  for (const end = Date.now() + 5000; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The service worker of the context (started again if the browser stopped it). */
async function worker(c) {
  const live = c.serviceWorkers().find((w) => w.url() === `${origin}/sw.js`);
  return live || c.waitForEvent('serviceworker', { predicate: (w) => w.url() === `${origin}/sw.js`, timeout: 10000 });
}

describe('push notifications on this device', () => {
  before(async () => {
    server = await startServer();
    origin = server.url;
    browser = await launch();
    ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await ctx.grantPermissions(['notifications'], { origin });
    ctx.on('response', (r) => { if (new URL(r.url()).pathname === '/sw.js') swFetches.push([r.status(), r.headers()['content-type']]); });
    page = await ctx.newPage(); watch(page, 'alice', problems);
    await register(page, origin, 'alice');
    await createRoom(page, 'general');
    general = await page.evaluate(() => window.confab.store.activeRoomId);
    await createRoom(page, 'random');
    random = await page.evaluate(() => window.confab.store.activeRoomId);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('the API as the app relies on it: the VAPID key is a P-256 point; a bad subscription is a 400 problem', async () => {
    const answer = await page.evaluate(async () => {
      const { base64UrlToBytes } = await import('/js/push.js');
      const { public_key: key } = await window.confab.api.request('GET', '/push/vapid-key');
      const bytes = base64UrlToBytes(key);
      const res = await fetch('/api/v1/push/subscriptions', {
        method: 'POST', headers: { Authorization: 'Bearer ' + await window.confab.api.accessToken(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ endpoint: 'not a url', keys: { p256dh: 'x', auth: 'y' } }),
      });
      return { padded: key.includes('='), length: bytes.length, first: bytes[0], status: res.status, type: res.headers.get('content-type') };
    });
    assert.deepEqual(answer, { padded: false, length: 65, first: 4, status: 400, type: 'application/problem+json' });
  });

  test('the setting says what this browser can do (on, or "can\'t receive push here"); /sw.js (the app shell\'s worker, scope /) subscribes only once it is turned on', async () => {
    // Signed in with the setting off: the worker is there (it keeps the app shell), with no subscription.
    assert.deepEqual(await page.evaluate(async () => { const r = await navigator.serviceWorker.ready; return [r.scope, Boolean(await r.pushManager.getSubscription())]; }), [`${origin}/`, false]);
    // Can this browser subscribe at all? Asked in a context of its own (the same kind as this one), with the server's key.
    const key = await page.evaluate(async () => (await window.confab.api.request('GET', '/push/vapid-key')).public_key);
    const probeCtx = await browser.newContext();
    await probeCtx.grantPermissions(['notifications'], { origin });
    const probePage = await probeCtx.newPage();
    await probePage.goto(`${origin}/`);
    const probe = await probePage.evaluate(async (k) => {
      const { base64UrlToBytes } = await import('/js/push.js');
      const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
      await navigator.serviceWorker.ready;
      try {
        const sub = await Promise.race([reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(k) }), new Promise((_, no) => setTimeout(() => no(new Error('no answer in 25 s')), 25000))]);
        await sub.unsubscribe();
        return { ok: true };
      } catch (e) { return { ok: false, why: `${e.name}: ${e.message}` }; }
    }, key);
    await probeCtx.close();
    console.log(`E2E-PUSH subscribe-in-this-browser=${probe.ok ? 'ok' : probe.why}`);

    const posts = [];
    page.on('request', (r) => { if (r.url().endsWith('/api/v1/push/subscriptions') && r.method() === 'POST') posts.push(r); });
    await openSettings(page);
    assert.equal(await page.textContent('label[for=push-toggle]'), ' Notify me on this device when Confab is closed');
    assert.deepEqual(await status(page), { state: 'off', text: 'Off: notifications show only while Confab is open.', checked: false });
    assert.equal(await page.getAttribute('#push-toggle', 'aria-describedby'), 'push-status');
    const after = await toggle(page);
    if (probe.ok) {
      assert.deepEqual(after, { state: 'on', text: 'On: this device shows Confab\'s notifications while no tab of it is open.', checked: true });
      assert.equal(posts.length, 1);
      assert.equal((await posts[0].response()).status(), 201);
      assert.equal(await flag(page), '1');
    } else {
      assert.deepEqual(after, { state: 'unavailable', text: 'This browser can\'t receive push notifications here.', checked: false });
      assert.equal(posts.length, 0, 'nothing to give the server');
      assert.equal(await flag(page), null, 'not on here');
      // Chromium says why on the console when subscribe is refused in an incognito context (as
      // every Playwright context is): the browser's words, not an error of the app.
      const said = problems.filter((x) => /does not support the Push API in incognito mode/.test(x));
      if (said.length) problems.splice(0, problems.length, ...problems.filter((x) => !said.includes(x)));
    }
    assert.equal(await page.evaluate(() => document.activeElement.id), 'push-toggle', 'the focus stays on the box');
    assert.deepEqual(await registration(page), { scope: `${origin}/`, script: `${origin}/sw.js` });
    assert.ok(swFetches.length >= 1 && swFetches.every(([s, type]) => s === 200 && /javascript/.test(type)), JSON.stringify(swFetches));
    await page.keyboard.press('Escape');
    assert.deepEqual(problems, []);
  });

  test('a push while no tab of Confab is in view shows its notification (title, body, one tag per room); none while a tab is in view', async () => {
    const cdp = await ctx.newCDPSession(page);
    const regs = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    const deadline = Date.now() + 5000;
    while (!regs.some((r) => r.scopeURL === `${origin}/` && !r.isDeleted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const { registrationId } = regs.find((r) => r.scopeURL === `${origin}/` && !r.isDeleted);
    const deliver = (payload) => cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify(payload) });
    const payload = (roomId, seq, title, body) => ({ type: 'notification', room_id: roomId, message_id: 1000 + seq, seq, reason: 'mention', title, body });

    // A push reaches only an active worker (installing, the worker caches the app shell first).
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    // The app is in view: the worker leaves it to the app.
    await deliver(payload(random, 1, 'bob in #random', 'seen in the tab'));
    // No tab of Confab: the notification shows. The worker asks its clients as the push comes;
    // right after the navigation it may still list the tab as in view and rightly leave the push
    // to the app, so the push is delivered again (same tag: it replaces) until one shows.
    await page.goto('about:blank');
    let shown = [];
    for (let attempt = 0; attempt < 5 && !shown.length; attempt++) {
      const sw = await worker(ctx);
      await sw.evaluate(async () => {
        const inView = async () => (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).some((c) => c.visibilityState === 'visible');
        for (let i = 0; i < 100 && (await inView()); i++) await new Promise((r) => setTimeout(r, 50));
      });
      await deliver(payload(general, 2, 'bob in #general', '@alice can you look?'));
      shown = await (await worker(ctx)).evaluate(async () => {
        for (let i = 0; i < 60; i++) {
          const list = await self.registration.getNotifications();
          if (list.length) return list.map((n) => n.tag);
          await new Promise((r) => setTimeout(r, 50));
        }
        return [];
      });
    }
    if (!shown.length) {
      // What the worker sees, for the failure's message.
      const seen = await (await worker(ctx)).evaluate(async () => ({
        permission: Notification.permission,
        tabs: (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).map((c) => [c.url, c.visibilityState]),
      }));
      assert.fail(`no notification after 5 pushes; the worker sees ${JSON.stringify(seen)}`);
    }
    await page.goto(`${origin}/#/rooms/${random}`);
    await waitConnected(page);
    assert.deepEqual(await inPageNotifications(page), [
      { title: 'bob in #general', body: '@alice can you look?', tag: `room-${general}`, data: { room_id: general, message_id: 1002 } },
    ], 'the one delivered while no tab was in view, only');
    await cdp.detach();
  });

  test('a click on it opens its room in the open tab (the worker\'s message); the worker\'s route of a room is the app\'s', async () => {
    await page.waitForSelector('#room-name:has-text("#random")');
    const sw = await worker(ctx);
    // A click as the browser would dispatch it (DevTools cannot click a notification): the
    // worker's handler runs; focusing the window needs a real click, so that part is refused here.
    const left = await sw.evaluate(async (tag) => {
      const [n] = await self.registration.getNotifications({ tag });
      const click = new NotificationEvent('notificationclick', { notification: n });
      const waits = [];
      Object.defineProperty(click, 'waitUntil', { value: (p) => waits.push(p) });
      self.dispatchEvent(click);
      await Promise.allSettled(waits);
      return (await self.registration.getNotifications()).length;
    }, `room-${general}`);
    assert.equal(left, 0, 'the click closed it');
    await page.waitForSelector('#room-name:has-text("#general")');
    assert.equal(await page.evaluate(() => location.hash), `#/rooms/${general}`);
    // With no tab open the worker opens a new one at roomUrl(id): that address opens the room.
    const url = await sw.evaluate((id) => roomUrl(id), random); // eslint-disable-line no-undef
    assert.equal(url, `/#/rooms/${random}`);
    const fresh = await ctx.newPage(); watch(fresh, 'alice-2', problems);
    await fresh.goto(origin + url);
    await fresh.waitForSelector('#room-name:has-text("#random")');
    await fresh.close();
    assert.deepEqual(problems, []);
  });

  test('the permission refused by the browser: the setting says it is blocked, nothing is subscribed', async () => {
    const blockedCtx = await browser.newContext(); // headless Chromium refuses a permission nobody granted
    const p = await blockedCtx.newPage(); watch(p, 'dan', problems);
    await register(p, origin, 'dan');
    await openSettings(p);
    const after = await toggle(p);
    const permission = await p.evaluate(() => Notification.permission);
    assert.equal(permission, 'denied', 'this browser refused it');
    assert.deepEqual(after, { state: 'denied', text: 'Notifications are blocked for Confab in this browser\'s site settings.', checked: false });
    assert.equal(await p.evaluate(async () => { const r = await navigator.serviceWorker.getRegistration('/'); return Boolean(r && await r.pushManager.getSubscription()); }), false, 'no subscription (a worker is the app shell\'s)');
    await blockedCtx.close();
  });

  test('with a push service (stubbed: headless Chromium has none) the server gets the subscription, again on a page load; turning it off and signing out delete it', async () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const keys = {
      p256dh: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]).toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    };
    const endpoint = `https://push.example.com/confab-e2e/${randomBytes(8).toString('hex')}`;
    const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await c.grantPermissions(['notifications'], { origin });
    // The push manager of every page of this context: a subscription kept in sessionStorage (it
    // outlives a reload, as a real one does), what it was asked for counted there too.
    await c.addInitScript(({ endpoint: e, keys: k }) => {
      const saved = () => sessionStorage.getItem('fake-push');
      const log = (what) => sessionStorage.setItem('fake-push-log', JSON.stringify([...JSON.parse(sessionStorage.getItem('fake-push-log') || '[]'), what]));
      const sub = (key) => ({
        endpoint: e, expirationTime: null, options: { userVisibleOnly: true, applicationServerKey: Uint8Array.from(JSON.parse(key)).buffer },
        toJSON: () => ({ endpoint: e, expirationTime: null, keys: k }),
        unsubscribe: async () => { log('unsubscribe'); sessionStorage.removeItem('fake-push'); return true; },
      });
      PushManager.prototype.subscribe = async function (opts) {
        const key = JSON.stringify(Array.from(new Uint8Array(opts.applicationServerKey)));
        log(['subscribe', opts.userVisibleOnly, key]);
        sessionStorage.setItem('fake-push', key);
        return sub(key);
      };
      PushManager.prototype.getSubscription = async function () { return saved() ? sub(saved()) : null; };
      const register = ServiceWorkerContainer.prototype.register;
      ServiceWorkerContainer.prototype.register = function (url, opts) { log(['register', String(url), opts && opts.scope]); return register.call(this, url, opts); };
    }, { endpoint, keys });
    const p = await c.newPage(); watch(p, 'erin', problems);
    const calls = []; // [method, path and query, body, status] of the push API and the logout
    p.on('request', (r) => { // in the order sent; the status once answered
      const u = new URL(r.url());
      if (!u.pathname.startsWith('/api/v1/push/subscriptions') && u.pathname !== '/api/v1/auth/logout') return;
      const call = [r.method(), u.pathname + u.search, r.postData() ? JSON.parse(r.postData()) : null, null];
      calls.push(call);
      r.response().then((res) => { call[3] = res ? res.status() : 'failed'; }, () => { call[3] = 'failed'; });
    });
    const answered = (n) => calls.length >= n && calls.every((x) => x[3] !== null);
    const fakeLog = () => p.evaluate(() => JSON.parse(sessionStorage.getItem('fake-push-log') || '[]'));
    await register(p, origin, 'erin');
    const serverKey = await p.evaluate(async () => (await window.confab.api.request('GET', '/push/vapid-key')).public_key);
    await openSettings(p);
    const asked = (await fakeLog()).length; // the session registered the worker already (the app shell's)
    assert.deepEqual(await toggle(p), { state: 'on', text: 'On: this device shows Confab\'s notifications while no tab of it is open.', checked: true });
    const posted = ['POST', '/api/v1/push/subscriptions', { endpoint, keys }, 201];
    await until(() => answered(1), 'the POST');
    assert.deepEqual(calls, [posted]);
    assert.deepEqual((await fakeLog()).slice(asked), [['register', '/sw.js', '/'], ['subscribe', true, JSON.stringify([...Buffer.from(serverKey, 'base64url')])]], 'user-visible, with the server\'s key');
    assert.equal(await p.evaluate(() => localStorage.getItem('confab.push')), '1');
    assert.deepEqual(await registration(p), { scope: `${origin}/`, script: `${origin}/sw.js` });

    // A page load on this device: the worker registered again, the subscription handed over again (the server replaces it).
    calls.length = 0;
    const logged = (await fakeLog()).length;
    const again = p.waitForResponse((r) => r.url().endsWith('/api/v1/push/subscriptions') && r.request().method() === 'POST');
    await p.reload();
    await waitConnected(p);
    assert.equal((await again).status(), 201);
    assert.deepEqual(JSON.parse((await again).request().postData()), { endpoint, keys });
    assert.deepEqual((await fakeLog()).slice(logged).map((x) => x[0]).filter((x) => x !== 'register'), ['subscribe'], 'registered (by push and by the session: the same worker) and subscribed');
    await openSettings(p);
    assert.equal((await status(p)).state, 'on');

    // Off: the server forgets the endpoint, the browser drops it (the worker stays).
    calls.length = 0;
    const deleted = p.waitForResponse((r) => r.url().includes('/api/v1/push/subscriptions?') && r.request().method() === 'DELETE');
    assert.deepEqual(await toggle(p), { state: 'off', text: 'Off: notifications show only while Confab is open.', checked: false });
    assert.equal((await deleted).status(), 204);
    await until(() => answered(1), 'the DELETE');
    assert.deepEqual(calls.filter((x) => x[0] === 'DELETE'), [['DELETE', `/api/v1/push/subscriptions?endpoint=${encodeURIComponent(endpoint)}`, null, 204]]);
    assert.equal((await fakeLog()).at(-1), 'unsubscribe');
    assert.equal(await p.evaluate(() => localStorage.getItem('confab.push')), null);
    assert.notEqual(await registration(p), null, 'the worker stays: it keeps the app shell');

    // On again, then Log out: the DELETE goes before the logout, while the token still works.
    assert.equal((await toggle(p)).state, 'on');
    await p.keyboard.press('Escape');
    calls.length = 0;
    await p.click('#btn-logout');
    await p.waitForSelector('#auth:not([hidden])');
    await until(() => answered(2), 'the DELETE and the logout');
    assert.deepEqual(calls.map(([m, path, , s]) => [m, path.split('?')[0], s]), [
      ['DELETE', '/api/v1/push/subscriptions', 204],
      ['POST', '/api/v1/auth/logout', 204],
    ]);
    assert.equal((await fakeLog()).at(-1), 'unsubscribe');
    assert.equal(await p.evaluate(() => localStorage.getItem('confab.push')), null);
    await c.close();
    assert.deepEqual(problems, []);
  });

  test('axe in light and dark: the settings dialog with the push setting', async () => {
    const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    await c.grantPermissions(['notifications'], { origin });
    const p = await c.newPage(); watch(p, 'fay', problems);
    await register(p, origin, 'fay');
    await openSettings(p);
    await axeBoth(p, 'settings with push');
    await toggle(p); // whatever this browser answers, said in the dialog
    await axeBoth(p, 'settings with push answered');
    await c.close();
  });
});
