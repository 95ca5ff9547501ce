// The small things of a day's use: "New since you left" and read markers that move only for what
// was seen, an empty edit offering delete or restore, the composer counting like the server, markdown
// quotes, lists, strikethrough and emoji, the emoji picker, "Show more", browse filter and preview,
// toasts clear of Send, and settings (password, sessions, log out everywhere).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, msgRow, PASSWORD } from './helpers.js';

let server; let browser; let ctxA; let ctxB; let A; let B; let roomId;
const problems = [];
const unreadOnServer = (page, id) => page.evaluate(async (rid) => (await window.confab.api.room(rid)).unread_count, id);
const settled = (page) => page.waitForFunction(() => !document.querySelector('#messages .msg.pending'));

describe('everyday details', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_SEND_BURST: '100', CONFAB_SEND_RATE: '100' } });
    browser = await launch();
    ctxA = await browser.newContext({ viewport: { width: 1200, height: 700 } });
    ctxB = await browser.newContext({ viewport: { width: 1200, height: 700 } });
    A = await ctxA.newPage(); watch(A, 'frank', problems);
    B = await ctxB.newPage(); watch(B, 'gina', problems);
    await register(A, server.url, 'frank');
    await register(B, server.url, 'gina');
    await createRoom(A, 'lobby');
    await createRoom(A, 'news');
    roomId = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.evaluate(async () => { for (const r of (await window.confab.api.roomsPage({ joined: false })).rooms) await window.confab.api.joinRoom(r.id); });
    await B.reload();
    await waitConnected(B);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('"New since you left": divider at the first unread, scrolled there; the marker moves only when seen', async () => {
    await B.waitForSelector('#room-name:has-text("#lobby")');
    await A.evaluate(async (id) => { for (let i = 1; i <= 40; i++) await window.confab.api.sendMessage(id, `news ${i}`, `news-${i}`); }, roomId);
    await B.waitForSelector('#room-list .room-link:has-text("news") .badge');
    assert.equal(await unreadOnServer(B, roomId), 40);
    await B.click('#room-list .room-link:has-text("news")');
    await B.waitForSelector('#unread-divider');
    const first = await B.evaluate(() => document.getElementById('unread-divider').nextElementSibling.textContent);
    assert.match(first, /news 1(?!\d)/);
    const inView = await B.evaluate(() => { const t = document.getElementById('timeline').getBoundingClientRect(); const d = document.getElementById('unread-divider').getBoundingClientRect(); return d.top >= t.top && d.bottom <= t.bottom; });
    assert.ok(inView, 'scrolled to the divider');
    await B.waitForTimeout(400);
    const left = await unreadOnServer(B, roomId);
    assert.ok(left > 0 && left < 40, `only what was on screen is read (${left} left)`);
    // A hidden tab reads nothing.
    await B.evaluate(() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true }); document.dispatchEvent(new Event('visibilitychange')); });
    await B.evaluate(() => { const t = document.getElementById('timeline'); t.scrollTop = t.scrollHeight; });
    await B.waitForTimeout(400);
    assert.equal(await unreadOnServer(B, roomId), left, 'not while the tab is hidden');
    await B.evaluate(() => { delete document.visibilityState; document.dispatchEvent(new Event('visibilitychange')); });
    await B.waitForFunction(async (id) => (await window.confab.api.room(id)).unread_count === 0, roomId, { polling: 200, timeout: 5000 });
    await B.waitForSelector('#room-list .room-link:has-text("news") .badge', { state: 'detached' });
    assert.equal(await B.locator('#unread-divider').count(), 1, 'the divider stays while the room is open');
  });

  test('an empty edit offers delete or restore', async () => {
    await send(A, 'edit me away');
    const row = msgRow(A, 'edit me away');
    await row.waitFor();
    await settled(A);
    await row.hover();
    await row.locator('button.edit').click();
    await A.fill('.edit-input', '   ');
    await A.press('.edit-input', 'Enter');
    await A.waitForSelector('.edit-empty:not([hidden])');
    await A.click('.edit-restore');
    assert.equal(await A.inputValue('.edit-input'), 'edit me away');
    await A.fill('.edit-input', '');
    await A.press('.edit-input', 'Enter');
    await A.click('.edit-delete');
    await B.waitForSelector('#messages .tombstone');
  });

  test('the composer counts code points like the server: 4000 emoji go through, 4001 do not', async () => {
    await A.fill('#composer-input', '😄'.repeat(3000));
    assert.equal(await A.isHidden('#composer-count'), true, 'no count far from the limit');
    await A.fill('#composer-input', '😄'.repeat(4001));
    await A.waitForSelector('#composer-count.over:text-is("4001 / 4000")');
    await A.press('#composer-input', 'Enter');
    await A.waitForSelector('#toast:not([hidden]):has-text("at most 4000")');
    // The toast stays clear of the Send button.
    const box = (sel) => A.$eval(sel, (el) => { const r = el.getBoundingClientRect(); return { l: r.left, r: r.right, t: r.top, b: r.bottom }; });
    const t = await box('#toast');
    for (const sel of ['#btn-send', '#composer-input', '#btn-members', '#btn-leave']) {
      const s = await box(sel);
      assert.ok(t.b <= s.t || t.t >= s.b || t.r <= s.l || t.l >= s.r, `the toast does not cover ${sel}`);
    }
    await A.fill('#composer-input', '😄'.repeat(4000));
    await A.waitForSelector('#composer-count:not(.over):text-is("4000 / 4000")');
    await A.press('#composer-input', 'Enter');
    await settled(A);
    assert.equal(await A.locator('#messages .msg.failed').count(), 0);
    assert.equal(await A.isHidden('#composer-count'), true);
  });

  test('markdown quotes, lists, strikethrough and :shortcodes:; the emoji picker; long messages collapse', async () => {
    await send(A, '> quoted\n- one\n- two\n1. first\n~~gone~~ :tada:');
    await B.waitForSelector('#messages blockquote p:text-is("quoted")');
    assert.equal(await B.locator('#messages .msg-body ul li').count(), 2);
    assert.equal(await B.locator('#messages .msg-body ol li:text-is("first")').count(), 1);
    assert.equal(await B.locator('#messages del:text-is("gone")').count(), 1);
    assert.equal(await B.locator('#messages .emoji[title=":tada:"]:text-is("🎉")').count(), 1);
    await A.fill('#composer-input', 'hi ');
    await A.click('#btn-emoji');
    await A.waitForSelector('#emoji-picker:not([hidden]) .emoji-choice:focus');
    await A.keyboard.press('ArrowRight');
    await A.keyboard.press('Enter');
    assert.equal(await A.inputValue('#composer-input'), 'hi 😁');
    assert.equal(await A.isHidden('#emoji-picker'), true);
    assert.equal(await A.evaluate(() => document.activeElement.id), 'composer-input');
    await A.fill('#composer-input', Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n'));
    await A.press('#composer-input', 'Enter');
    const body = B.locator('#messages .msg-body', { hasText: 'line 30' });
    await body.waitFor();
    assert.match(await body.getAttribute('class'), /collapsed/);
    const row = B.locator('#messages .msg', { has: B.locator('.msg-body', { hasText: 'line 30' }) });
    await row.locator('button.more:text-is("Show more")').click();
    await B.waitForSelector('#messages button.more[aria-expanded=true]:text-is("Show less")');
    assert.doesNotMatch(await row.locator('.msg-body').getAttribute('class'), /collapsed/);
  });

  test('browse filters public rooms and previews one without joining', async () => {
    await A.evaluate(async () => { await window.confab.api.createRoom('gardening', 'Tomatoes mostly', 'public'); });
    await B.click('#btn-browse');
    await B.waitForSelector('#browse-list .browse-item:has-text("#gardening")');
    await B.fill('#browse-filter', 'tomato');
    await B.waitForFunction(() => document.querySelectorAll('#browse-list .browse-item').length === 1);
    await B.click('#browse-list button.preview');
    await B.waitForSelector('#room-name:has-text("#gardening")');
    await B.waitForSelector('#btn-join:not([hidden])');
    assert.equal(await B.isHidden('#composer'), true, 'a preview has no composer');
    assert.equal(await B.locator('#room-list .room-link:has-text("gardening")').count(), 0, 'not joined');
  });

  test('settings: sessions listed and ended, password changed, log out everywhere', async () => {
    const second = await ctxA.browser().newContext();
    const A2 = await second.newPage(); watch(A2, 'frank-2', problems);
    await A2.goto(server.url + '/');
    await A2.fill('#auth-username', 'frank');
    await A2.fill('#auth-password', PASSWORD);
    await A2.click('#auth-submit');
    await waitConnected(A2);
    await A.click('#btn-settings');
    await A.waitForFunction(() => document.querySelectorAll('#session-list .session').length === 2);
    assert.equal(await A.locator('#session-list .session:has-text("this browser")').count(), 1);
    await A.click('#session-list .session button:has-text("End")');
    await A2.waitForSelector('#auth:not([hidden])', { timeout: 10000 });
    await A.waitForFunction(() => document.querySelectorAll('#session-list .session').length === 1);
    // Wrong current password, then the right one.
    await A.fill('#pw-current', 'not my password');
    await A.fill('#pw-new', 'a brand new secret');
    await A.click('#pw-submit');
    await A.waitForSelector('#err-pw-current:not([hidden])');
    await A.fill('#pw-current', PASSWORD);
    await A.fill('#pw-new', 'a brand new secret');
    await A.click('#pw-submit');
    await A.waitForSelector('#pw-ok:not([hidden])');
    await waitConnected(A);
    // Log out everywhere: two presses, then the sign-in screen; the new password works.
    await A.click('#btn-end-all');
    await A.click('#btn-end-all');
    await A.waitForSelector('#auth:not([hidden])');
    assert.match(await A.textContent('#auth-error'), /every device/);
    await A.fill('#auth-username', 'frank');
    await A.fill('#auth-password', 'a brand new secret');
    await A.click('#auth-submit');
    await waitConnected(A);
    await second.close();
    assert.deepEqual(problems, []);
  });
});
