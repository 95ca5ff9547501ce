// Keyboard and accessibility: keyboard-only sign-in → send → switch room, the skip link, the quick
// switcher, one roving tab stop in the timeline, axe-core on every screen in light and dark, and
// touch targets and Edit/Delete on a phone. Prints E2E-AXE lines (violations per screen).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, axeBoth, msgRow, PASSWORD } from './helpers.js';

let server; let browser; let ctx; let page; let other;
const problems = [];
const focused = (p) => p.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.className));

describe('keyboard and accessibility', () => {
  before(async () => {
    server = await startServer();
    browser = await launch();
    // axe is injected as an inline script, which the app's CSP forbids: this context bypasses it.
    ctx = await browser.newContext({ viewport: { width: 1200, height: 800 }, bypassCSP: true });
    page = await ctx.newPage(); watch(page, 'dana', problems);
    const ctxOther = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    other = await ctxOther.newPage(); watch(other, 'eve', problems);
    await register(other, server.url, 'eve');
    await createRoom(other, 'alpha');
    await createRoom(other, 'beta');
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('axe: login and register screens, light and dark', async () => {
    await page.goto(server.url + '/');
    await page.waitForSelector('#auth-submit:enabled');
    await axeBoth(page, 'login');
    await page.click('#tab-register');
    await axeBoth(page, 'register');
  });

  test('keyboard only: sign up, join with the switcher, send, switch rooms, skip link', async () => {
    await page.goto(server.url + '/');
    await page.waitForSelector('#auth-submit:enabled');
    assert.equal(await focused(page), 'auth-username', 'the sign-in form has focus');
    // To the "Create account" tab and back into the form, all by keyboard.
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(page), 'tab-register');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'auth-username');
    await page.keyboard.type('dana');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await waitConnected(page);
    // No rooms yet: focus is on Browse. The switcher finds public rooms too.
    await page.waitForFunction(() => document.activeElement.id === 'btn-browse');
    await page.keyboard.press('Control+k');
    await page.waitForSelector('#dlg-switch[open]');
    await page.keyboard.type('alp');
    await page.waitForSelector('#switch-list .switch-opt[aria-selected=true]:has-text("alpha")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#room-name:has-text("#alpha")');
    await page.waitForFunction(() => document.activeElement.id === 'btn-join');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement.id === 'composer-input');
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#messages .msg.mine:not(.pending):has-text("typed without a mouse")');
    // Join beta the same way, then Alt+↑/↓ moves between rooms with the composer focused.
    await page.keyboard.press('Control+k');
    await page.keyboard.type('beta');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement.id === 'btn-join');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement.id === 'composer-input');
    await page.keyboard.press('Alt+ArrowUp');
    await page.waitForSelector('#room-name:has-text("#alpha")');
    await page.waitForFunction(() => document.activeElement.id === 'composer-input');
    await page.keyboard.press('Alt+ArrowDown');
    await page.waitForSelector('#room-name:has-text("#beta")');
    // Escape closes the switcher and the members panel.
    await page.keyboard.press('Control+k');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#dlg-switch:not([open])', { state: 'attached' });
    // Skip link: the first Tab of the page, Enter lands in the message box.
    await page.reload();
    await waitConnected(page);
    await page.evaluate(() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); }); // Tab from the top
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await focused(page), 'composer-input');
  });

  test('sign-in by keyboard focuses the composer', async () => {
    const p = await ctx.newPage();
    await p.goto(server.url + '/');
    await p.evaluate(() => { localStorage.clear(); });
    await p.reload();
    await p.waitForSelector('#auth-submit:enabled');
    await p.keyboard.type('dana');
    await p.keyboard.press('Tab');
    await p.keyboard.type(PASSWORD);
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.activeElement.id === 'composer-input', null, { timeout: 10000 });
    await p.keyboard.type('straight in');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#messages .msg.mine:not(.pending):has-text("straight in")');
    await p.close();
    await page.reload();
    await waitConnected(page);
  });

  test('the timeline is one tab stop: arrows move between messages, Tab reaches their actions', async () => {
    for (let i = 1; i <= 12; i++) await send(page, `mine ${i}`);
    await page.waitForFunction(() => !document.querySelector('#messages .msg.pending'));
    // At the live end (a slow machine may still be scrolling there: "Jump to latest" shows until then).
    await page.waitForSelector('#btn-jump', { state: 'hidden' });
    await page.focus('#btn-members');
    const path = [];
    while ((await focused(page)) !== 'composer-input' && path.length < 30) { await page.keyboard.press('Tab'); path.push(await focused(page)); }
    // Members, Leave, the selected message, its Edit, Delete, Reply in thread, Add reaction.
    assert.ok(path.length <= 7, `header to composer in ${path.length} Tabs (12 own messages): ${path.join(' → ')}`);
    await page.focus('#messages li.msg[tabindex="0"]');
    assert.match(await page.$eval(':focus', (el) => el.textContent), /mine 12/);
    await page.keyboard.press('ArrowUp');
    assert.match(await page.$eval(':focus', (el) => el.textContent), /mine 11/);
    await page.keyboard.press('Tab');
    assert.equal(await page.$eval(':focus', (el) => el.textContent), 'Edit');
    assert.equal(await page.$eval(':focus', (el) => getComputedStyle(el.closest('.msg-actions')).opacity), '1', 'actions show on focus');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.edit-input:focus');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.activeElement.id === 'composer-input');
  });

  test('axe: chat, members, browse, switcher, settings, emoji picker and search, light and dark', async () => {
    await send(page, '> a quote with **bold**\n- a list\n- ~~struck~~ :tada:');
    await page.waitForFunction(() => !document.querySelector('#messages .msg.pending'));
    await axeBoth(page, 'chat');
    await page.click('#btn-members');
    await page.waitForSelector('#member-list .member');
    await axeBoth(page, 'members');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#members', { state: 'hidden' });
    await page.click('#btn-browse');
    await page.waitForSelector('#browse-list .browse-item');
    await axeBoth(page, 'browse');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+k');
    await page.waitForSelector('#switch-list .switch-opt');
    await axeBoth(page, 'switcher');
    await page.keyboard.press('Escape');
    await page.click('#btn-settings');
    await page.waitForSelector('#session-list .session');
    await axeBoth(page, 'settings');
    await page.keyboard.press('Escape');
    await page.click('#btn-emoji');
    await axeBoth(page, 'emoji picker');
    await page.keyboard.press('Escape');
    // Search: results grouped by room with marked words, filter chips, an invalid query.
    await page.keyboard.press('Control+Shift+F');
    await page.waitForSelector('#dlg-search[open]');
    await page.fill('#search-input', 'from:dana after:2000-01-01 mine');
    await page.waitForSelector('#search-results[data-status=done] .hit mark');
    assert.equal(await page.locator('#search-chips .chip').count(), 2);
    await axeBoth(page, 'search');
    await page.keyboard.press('ArrowDown');
    await axeBoth(page, 'search (a result focused)');
    await page.fill('#search-input', 'before:someday');
    await page.waitForSelector('#search-results[data-status=error]', { state: 'attached' });
    await axeBoth(page, 'search (an invalid query)');
    await page.keyboard.press('Escape');
  });

  test('phone: controls are at least 44 px; a tap shows Edit and Delete; axe on the phone layout', async () => {
    const phoneCtx = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, bypassCSP: true, storageState: await ctx.storageState() });
    const phone = await phoneCtx.newPage(); watch(phone, 'dana-phone', problems);
    await phone.goto(server.url + '/#/rooms/' + await page.evaluate(() => window.confab.store.activeRoomId));
    await phone.waitForSelector('#conn[data-state=connected]', { state: 'attached' }); // in the closed drawer
    await phone.waitForSelector('#messages .msg');
    const small = await phone.evaluate(() => [...document.querySelectorAll('button, a, input, textarea, [tabindex="0"]')]
      .filter((el) => el.offsetParent !== null && !el.closest('.msg-body') && !el.closest('.sidebar') && !el.classList.contains('msg'))
      .map((el) => ({ el: el.id || el.className || el.tagName, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.width < 43.5 || r.height < 43.5)).map(({ el, r }) => `${el} ${Math.round(r.width)}x${Math.round(r.height)}`));
    assert.deepEqual(small, [], 'main view');
    await phone.click('#btn-nav');
    await phone.waitForSelector('#sidebar .room-link');
    const smallSide = await phone.evaluate(() => [...document.querySelectorAll('#sidebar button, #sidebar a')]
      .filter((el) => el.offsetParent !== null).map((el) => ({ el: el.id || el.className, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width < 43.5 || r.height < 43.5).map(({ el, r }) => `${el} ${Math.round(r.width)}x${Math.round(r.height)}`));
    assert.deepEqual(smallSide, [], 'sidebar');
    await phone.keyboard.press('Escape');
    const row = msgRow(phone, 'mine 12');
    await row.locator('.msg-body').tap();
    await row.locator('button.edit').waitFor({ state: 'visible' });
    await row.locator('button.edit').tap();
    await phone.waitForSelector('.edit-input');
    await axeBoth(phone, 'phone chat (editing)');
    await phoneCtx.close();
    assert.deepEqual(problems, []);
  });
});
