// End-to-end: two users in two browser contexts against a real server (see e2e/server.js).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from './server.js';
import { ARGS, PASSWORD, register, send, waitConnected, forgetLocalCopy } from './helpers.js';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(shots, { recursive: true });

let server; let browser; let ctxA; let ctxB; let A; let B;
const dialogs = [];
const pageErrors = [];

function watch(page, name) {
  page.on('dialog', (d) => { dialogs.push(`${name}: ${d.type()} ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) pageErrors.push(`${name} console: ${m.text()}`); });
}

const messageTexts = (page) => page.$$eval('#messages .msg .msg-body p, #messages .msg .tombstone', (els) => els.map((e) => e.textContent));
const msgRow = (page, text) => page.locator('#messages .msg', { has: page.locator('.msg-body p', { hasText: text }) });

describe('confab web app', () => {
  before(async () => {
    server = await startServer();
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
    ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    A = await ctxA.newPage(); watch(A, 'alice');
    B = await ctxB.newPage(); watch(B, 'bob');
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('first load: login screen, page weight and time to interactive', async () => {
    let bytes = 0;
    const pending = [];
    A.on('response', (r) => pending.push(r.request().sizes().then((s) => { bytes += s.responseBodySize + s.responseHeadersSize; }).catch(() => {})));
    const t0 = Date.now();
    await A.goto(server.url + '/', { waitUntil: 'load' });
    await A.waitForSelector('#auth-submit:enabled');
    const tti = await A.evaluate(() => { const m = performance.getEntriesByName('confab-interactive')[0]; return m ? m.startTime : null; });
    await Promise.all(pending);
    assert.ok(tti !== null, 'the app marks confab-interactive');
    console.log(`E2E-METRICS bytes=${bytes} tti_ms=${Math.round(tti)} wall_ms=${Date.now() - t0}`);
    assert.ok(bytes < 200 * 1024, `first load is small (${bytes} bytes)`);
    await A.screenshot({ path: join(shots, 'login.png') });
  });

  test('validation errors from the server appear next to the field', async () => {
    await A.click('#tab-register');
    await A.fill('#auth-username', 'a!');
    await A.fill('#auth-password', PASSWORD);
    await A.click('#auth-submit');
    await A.waitForSelector('#err-username:not([hidden])');
    assert.match(await A.textContent('#err-username'), /characters|letters/);
    await A.fill('#auth-username', 'nobody_here');
    await A.click('#tab-login');
    await A.fill('#auth-password', 'wrong password!');
    await A.click('#auth-submit');
    await A.waitForSelector('#auth-error:not([hidden])');
    assert.ok((await A.textContent('#auth-error')).length > 0);
  });

  test('register two users; alice creates a room and bob joins it', async () => {
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    await A.click('#btn-create');
    await A.fill('#create-name', 'general');
    await A.fill('#create-topic', 'Everything and nothing');
    await A.click('#create-submit');
    await A.waitForSelector('#room-name:has-text("#general")');
    assert.equal(await A.textContent('#room-topic'), 'Everything and nothing');

    await B.click('#btn-browse');
    await B.click('#browse-list .browse-item:has-text("#general") button:has-text("Join")');
    await B.waitForSelector('#room-name:has-text("#general")');
    await B.waitForSelector('#composer:not([hidden])');
    await B.waitForSelector('#room-list .room-link:has-text("general")');
  });

  test('chat both ways, presence dot and typing indicator', async () => {
    await send(A, 'hello **bob**');
    await B.waitForSelector('#messages .msg-body strong:has-text("bob")');
    await send(B, 'hi alice, see https://example.com/docs');
    await A.waitForSelector('#messages a[href="https://example.com/docs"][target=_blank][rel="noopener noreferrer"]');
    // Mentions of the current user are highlighted inline.
    await send(A, 'ping @bob and @alice');
    await B.waitForSelector('#messages .mention.mention-me:text-is("@bob")');
    assert.equal(await B.$eval('#messages .mention.mention-me', (el) => getComputedStyle(el).display), 'inline');
    assert.equal(await B.locator('#messages .mention:text-is("@alice")').getAttribute('class'), 'mention');
    // Each message is shown once, acked (not pending) on the sender's side.
    await A.waitForSelector('#messages .msg.pending', { state: 'detached' });
    assert.equal(await msgRow(A, 'hello').count(), 1);

    // Presence: bob is online in alice's members panel.
    await A.click('#btn-members');
    await A.waitForSelector('#member-list .member:has-text("bob") .dot.on');
    await A.waitForSelector('#member-list .member:has-text("alice") .dot.on');

    // Typing.
    await B.click('#composer-input');
    await B.keyboard.type('typing something', { delay: 20 });
    await A.waitForSelector('#typing:has-text("bob is typing…")');
    await B.fill('#composer-input', '');
    await A.waitForFunction(() => document.getElementById('typing').textContent === '', null, { timeout: 6000 });
  });

  test('a reload keeps the session and the history', async () => {
    await B.reload();
    await B.waitForSelector('#app:not([hidden])');
    await waitConnected(B);
    await B.waitForSelector('#messages .msg-body:has-text("hello")');
    const texts = await messageTexts(B);
    assert.equal(texts.filter((t) => t.startsWith('hello')).length, 1);
    assert.equal(texts.filter((t) => t.startsWith('hi alice')).length, 1);
  });

  test('changes made while disconnected appear exactly once after reconnecting', async () => {
    await ctxB.setOffline(true);
    await B.evaluate(() => window.confab.socket.stop());
    await send(A, 'missed one');
    await send(A, 'missed two');
    await send(A, 'missed three');
    await A.waitForSelector('#messages .msg.pending', { state: 'detached' });
    // Edit "missed two", delete "missed three".
    await msgRow(A, 'missed two').hover();
    await msgRow(A, 'missed two').locator('button.edit').click();
    await A.fill('.edit-input', 'missed two (fixed)');
    await A.press('.edit-input', 'Enter');
    await A.waitForSelector('#messages .msg-body:has-text("missed two (fixed)") .edited');
    const del = msgRow(A, 'missed three').locator('button.delete');
    await msgRow(A, 'missed three').hover();
    await del.click();
    await del.click();
    await A.waitForSelector('#messages .tombstone');
    // Bob saw none of it while offline.
    assert.ok(!(await messageTexts(B)).some((t) => t.startsWith('missed')));

    await ctxB.setOffline(false);
    await B.evaluate(() => window.confab.socket.start());
    await waitConnected(B);
    await B.waitForSelector('#messages .msg-body:has-text("missed two (fixed)")');
    await B.waitForSelector('#messages .tombstone:has-text("message deleted")');
    await B.waitForTimeout(500);
    const texts = await messageTexts(B);
    assert.equal(texts.filter((t) => t === 'missed one').length, 1, texts.join(' | '));
    assert.equal(texts.filter((t) => t.startsWith('missed two')).length, 1, texts.join(' | '));
    assert.equal(texts.filter((t) => t === 'missed three').length, 0, texts.join(' | '));
    assert.equal(texts.filter((t) => t === 'message deleted').length, 1, texts.join(' | '));
    assert.equal(await B.locator('#messages .msg:has-text("missed two (fixed)") .edited').count(), 1);

    // An unplanned drop (socket closed under the app) reconnects by itself and resumes.
    await B.evaluate(() => { window.confab.connectionLog.length = 0; window.confab.socket.drop(); });
    await B.waitForFunction(() => window.confab.connectionLog.includes('reconnecting'));
    await send(A, 'after the drop');
    await waitConnected(B);
    await B.waitForSelector('#messages .msg-body:has-text("after the drop")');
    await B.waitForTimeout(300);
    assert.equal((await messageTexts(B)).filter((t) => t === 'after the drop').length, 1);
  });

  test('bob edits and deletes his own message; alice sees both', async () => {
    await send(B, 'bob typo mesage');
    await B.waitForSelector('#messages .msg.mine:has-text("bob typo mesage"):not(.pending)');
    const row = msgRow(B, 'bob typo mesage');
    await row.hover();
    await row.locator('button.edit').click();
    await B.fill('.edit-input', 'bob typo message');
    await B.click('.edit-form button.primary');
    await A.waitForSelector('#messages .msg-body:has-text("bob typo message") .edited');
    await send(B, 'bob will delete this');
    const row2 = msgRow(B, 'bob will delete this');
    await row2.waitFor();
    await B.waitForSelector('#messages .msg.mine:has-text("bob will delete this"):not(.pending)');
    await row2.hover();
    await row2.locator('button.delete').click();
    await row2.locator('button.delete').click();
    await A.waitForFunction(() => [...document.querySelectorAll('#messages .tombstone')].length === 2);
    assert.ok(!(await messageTexts(A)).includes('bob will delete this'));
  });

  test('an XSS payload is shown as literal text and never runs', async () => {
    const payload = '<img src=x onerror=alert(1)>';
    await send(A, payload);
    await B.waitForSelector('#messages .msg-body p:text-is("<img src=x onerror=alert(1)>")');
    await send(A, '[click](javascript:alert(2)) and <script>alert(3)</script>');
    await B.waitForSelector('#messages .msg-body p:has-text("[click](javascript:alert(2))")');
    await B.waitForTimeout(300);
    assert.equal(await B.locator('#messages img').count(), 0);
    assert.equal(await B.locator('#messages script').count(), 0);
    assert.equal(await B.locator('#messages a[href^="javascript"]').count(), 0);
    assert.deepEqual(dialogs, []);
  });

  test('direct message by username shows the other person\'s name; unread badge', async () => {
    await B.click('#btn-dm');
    await B.fill('#dm-query', 'ali');
    await B.click('#dm-results button:has-text("Message")');
    await B.waitForSelector('#room-name:has-text("alice")');
    await send(B, 'psst, a DM');
    // Alice is in #general: the DM appears with bob's name and an unread badge.
    await A.waitForSelector('#dm-list .room-link.unread:has-text("bob") .badge');
    await A.click('#dm-list .room-link:has-text("bob")');
    await A.waitForSelector('#messages .msg-body:has-text("psst, a DM")');
    await A.waitForSelector('#dm-list .room-link:has-text("bob") .badge', { state: 'detached' });
  });

  test('screenshots: chat and a 360 px phone', async () => {
    await A.click('#room-list .room-link:has-text("general")');
    await A.waitForSelector('#messages .msg-body:has-text("hello")');
    await A.screenshot({ path: join(shots, 'chat.png') });
    const phone = await ctxB.newPage({ viewport: { width: 360, height: 740 } });
    watch(phone, 'bob-phone');
    await phone.setViewportSize({ width: 360, height: 740 });
    await phone.goto(server.url + '/');
    await phone.waitForSelector('#app:not([hidden])');
    await phone.waitForSelector('#messages .msg');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scroll at 360 px (overflow ${overflow})`);
    assert.ok(await phone.isHidden('#sidebar') || !(await phone.locator('#sidebar').isVisible()), 'sidebar collapsed');
    await phone.screenshot({ path: join(shots, 'mobile.png') });
    await phone.click('#btn-nav');
    await phone.waitForSelector('#sidebar #room-list .room-link');
    assert.ok(await phone.locator('#sidebar').isVisible());
    await phone.keyboard.press('Escape');
    await phone.close();
  });

  test('scrolling up loads older history; new messages do not yank the view; jump to latest', async () => {
    await A.click('#room-list .room-link:has-text("general")');
    await A.waitForSelector('#room-name:has-text("#general")');
    const roomId = await A.evaluate(() => window.confab.store.activeRoomId);
    await A.evaluate(async (id) => {
      for (let i = 1; i <= 70; i++) {
        for (;;) { // the server allows 10 messages a second: back off on 429, resend the same client_id
          try { await window.confab.api.sendMessage(id, `bulk ${i}`, `bulk-${i}-${id}`); break; } catch (e) {
            if (e.status !== 429) throw e;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      }
    }, roomId);
    // Bob has read it all (elsewhere): the room opens at its newest page, not at his first unread.
    await B.evaluate(async (id) => { await window.confab.api.markRead(id, (await window.confab.api.room(id)).last_seq); }, roomId);
    await B.click('#room-list .room-link:has-text("general")');
    // A start without the local copy (which has all 70 from the live stream): the newest page over REST.
    await forgetLocalCopy(B);
    await B.reload();
    await B.waitForSelector('#messages .msg-body:has-text("bulk 70")');
    assert.equal(await B.locator('#messages .msg-body p:text-is("bulk 1")').count(), 0, 'only the newest page is loaded at first');
    // Scroll to the top until the oldest page has been loaded.
    for (let i = 0; i < 10 && (await B.locator('#messages .msg-body p:text-is("bulk 1")').count()) === 0; i++) {
      await B.evaluate(() => { document.getElementById('timeline').scrollTop = 0; });
      await B.waitForTimeout(300);
    }
    assert.equal(await B.locator('#messages .msg-body p:text-is("bulk 1")').count(), 1);
    assert.equal(await B.locator('#messages .msg-body p:text-is("bulk 30")').count(), 1);
    await B.evaluate(() => { document.getElementById('timeline').scrollTop = 200; });
    await B.waitForSelector('#btn-jump:not([hidden])');
    const before = await B.evaluate(() => document.getElementById('timeline').scrollTop);
    await send(A, 'while bob reads old stuff');
    await B.waitForSelector('#messages .msg-body:has-text("while bob reads old stuff")', { state: 'attached' });
    await B.waitForTimeout(200);
    const afterTop = await B.evaluate(() => document.getElementById('timeline').scrollTop);
    assert.ok(Math.abs(afterTop - before) < 5, `view stayed put (${before} → ${afterTop})`);
    await B.click('#btn-jump');
    await B.waitForSelector('#btn-jump', { state: 'hidden' });
    assert.ok(await B.evaluate(() => { const t = document.getElementById('timeline'); return t.scrollHeight - t.scrollTop - t.clientHeight < 48; }));
  });

  test('log out returns to the sign-in screen', async () => {
    await B.click('#btn-logout');
    await B.waitForSelector('#auth:not([hidden])');
    await B.reload();
    await B.waitForSelector('#auth:not([hidden])');
    assert.deepEqual(pageErrors, []);
  });
});
