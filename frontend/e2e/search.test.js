// Message search and jumps into history, against a server with the default room: a second account
// lands in #general with the first; search across rooms with the matched words marked, filter
// chips, accents, inline errors, "Load more", a result opening its room at that message (paging
// older and newer from there), and "New since you left" at the right message after a reload with
// more unread messages than one history page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, watch, register, createRoom, waitConnected, msgRow, forgetLocalCopy } from './helpers.js';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

let server; let browser; let A; let B; let general; let ops;
const problems = [];
const marks = (page) => page.$$eval('#search-results mark', (els) => els.map((e) => e.textContent));
const hitTexts = (page) => page.$$eval('#search-results .hit-open', (els) => els.map((e) => e.textContent));
const groupHeads = (page) => page.$$eval('#search-results .search-group-head', (els) => els.map((e) => e.textContent));
const sendAll = (page, roomId, bodies, tag) => page.evaluate(async ([id, list, t]) => {
  for (const [i, body] of list.entries()) await window.confab.api.sendMessage(id, body, `${t}-${i}`);
}, [roomId, bodies, tag]);
const inView = (page, sel) => page.$eval(sel, (el) => {
  const t = document.getElementById('timeline').getBoundingClientRect(); const r = el.getBoundingClientRect();
  return r.top >= t.top && r.bottom <= t.bottom;
});

async function search(page, q) {
  if (!(await page.isVisible('#dlg-search'))) {
    await page.keyboard.press('Control+Shift+F');
    await page.waitForSelector('#dlg-search[open]');
  }
  await page.fill('#search-input', q);
  await page.waitForFunction((want) => {
    const r = document.getElementById('search-results');
    return r.dataset.query === want && (r.dataset.status === 'done' || r.dataset.status === 'error');
  }, q);
  if (process.env.DEBUG_SEARCH) console.log('SEARCH', q, '→', await page.textContent('#search-status'));
}

describe('search and jumps into history', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_DEFAULT_ROOM: 'general', CONFAB_SEND_BURST: '200', CONFAB_SEND_RATE: '200', CONFAB_ACTION_RATE: '100' } });
    browser = await launch();
    const ctxA = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    const ctxB = await browser.newContext({ viewport: { width: 1200, height: 760 } });
    A = await ctxA.newPage(); watch(A, 'hana', problems);
    B = await ctxB.newPage(); watch(B, 'ivan', problems);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('a second account lands in #general with the first', async () => {
    await register(A, server.url, 'hana');
    await A.waitForSelector('#room-name:has-text("#general")');
    await register(B, server.url, 'ivan');
    await B.waitForSelector('#room-name:has-text("#general")');
    await B.waitForSelector('#room-list .room-link:has-text("general")');
    general = await B.evaluate(() => window.confab.store.activeRoomId);
    assert.equal(await A.evaluate(() => window.confab.store.activeRoomId), general, 'the same room');
    await A.click('#btn-members');
    await A.waitForSelector('#member-list .member:has-text("ivan")');
    await A.click('#btn-members-close');
  });

  test('search finds messages across rooms, the matched words marked, grouped by room', async () => {
    await createRoom(A, 'ops');
    ops = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.evaluate((id) => window.confab.api.joinRoom(id), ops);
    await sendAll(A, general, ['Deploy on Friday 🚀', 'Crème brûlée for the party', 'lunch at noon'], 'g');
    await sendAll(B, ops, ['🚀 deployment checklist for friday', 'unrelated chatter'], 'o');
    await B.waitForSelector('#messages .msg-body:has-text("lunch at noon")');
    // `/` opens the search when not typing; in the composer it is just a character.
    await B.focus('#composer-input');
    await B.keyboard.press('/');
    assert.equal(await B.isVisible('#dlg-search'), false);
    assert.equal(await B.inputValue('#composer-input'), '/');
    await B.fill('#composer-input', '');
    await B.evaluate(() => document.activeElement.blur());
    await B.keyboard.press('/');
    await B.waitForSelector('#dlg-search[open]');
    assert.equal(await B.evaluate(() => document.activeElement.id), 'search-input');
    await search(B, 'friday depl');
    // #ops was joined over the API behind the app's back: its name is fetched for the heading.
    await B.waitForFunction(() => !document.querySelector('#search-results .search-group-head:not(:has(button))'));
    assert.deepEqual(await groupHeads(B), ['#ops', '#general'], 'grouped by room, newest first');
    assert.deepEqual(await marks(B), ['deployment', 'friday', 'Deploy', 'Friday']);
    assert.deepEqual(await hitTexts(B), ['🚀 deployment checklist for friday', 'Deploy on Friday 🚀']);
    assert.equal(await B.textContent('#search-status'), '2 results');
    await B.screenshot({ path: join(shots, 'search.png') });
    assert.match(await B.textContent('#search-results .hit .hit-head'), /ivan\s*Today \d\d:\d\d/);
    // Arrow keys move through the results and back to the box; Escape closes.
    await B.keyboard.press('ArrowDown');
    assert.match(await B.evaluate(() => document.activeElement.textContent), /deployment checklist/);
    await B.keyboard.press('ArrowDown');
    assert.match(await B.evaluate(() => document.activeElement.textContent), /Deploy on Friday/);
    await B.keyboard.press('ArrowUp');
    await B.keyboard.press('ArrowUp');
    assert.equal(await B.evaluate(() => document.activeElement.id), 'search-input');
    await B.keyboard.press('Escape');
    await B.waitForSelector('#dlg-search:not([open])', { state: 'attached' });
  });

  test('filters show as chips: a click on an author or a room adds one, removing one searches again', async () => {
    await search(B, 'friday depl');
    await B.click('#search-results .hit:has-text("Deploy on Friday") .hit-author');
    await B.waitForSelector('#search-chips .chip:has-text("from: hana")');
    assert.equal(await B.inputValue('#search-input'), 'from:hana friday depl');
    await B.waitForFunction(() => document.querySelectorAll('#search-results .hit').length === 1);
    assert.deepEqual(await hitTexts(B), ['Deploy on Friday 🚀']);
    await B.click('#search-chips .chip-remove');
    await B.waitForFunction(() => document.querySelectorAll('#search-results .hit').length === 2);
    assert.equal(await B.inputValue('#search-input'), 'friday depl');
    await B.click('#search-results .group-room:has-text("#ops")');
    await B.waitForSelector('#search-chips .chip:has-text("in: ops")');
    await B.waitForFunction(() => document.querySelectorAll('#search-results .hit').length === 1);
    assert.deepEqual(await groupHeads(B), ['#ops']);
    // Typed filters are chips too.
    await search(B, 'from:@ivan after:2000-01-01 friday');
    assert.deepEqual(await B.$$eval('#search-chips .chip span', (els) => els.map((e) => e.textContent)), ['from: ivan', 'after: 2000-01-01']);
    assert.deepEqual(await hitTexts(B), ['🚀 deployment checklist for friday']);
  });

  test('accents and case do not matter; errors and empty answers show inline', async () => {
    await search(B, 'CREME brulee');
    assert.deepEqual(await marks(B), ['Crème', 'brûlée']);
    await search(B, 'before:yesterday lunch');
    assert.match(await B.textContent('#search-status'), /date/i);
    assert.equal(await B.$eval('#search-status', (el) => el.classList.contains('error')), true);
    assert.equal(await B.isHidden('#toast'), true, 'not a toast');
    await search(B, 'zanzibar');
    assert.equal(await B.textContent('#search-status'), 'No messages found');
    assert.equal(await B.locator('#search-results .hit').count(), 0);
  });

  test('"Load more" pages on with before_id', async () => {
    await B.keyboard.press('Escape');
    const needles = Array.from({ length: 30 }, (_, i) => `needle ${i + 1} in the haystack`);
    await sendAll(A, ops, [...needles, ...Array.from({ length: 60 }, (_, i) => `filler ${i + 1}`)], 'n');
    const requests = [];
    B.on('request', (r) => { if (r.url().includes('/api/v1/search')) requests.push(new URL(r.url()).searchParams); });
    await search(B, 'haystack');
    assert.equal(await B.locator('#search-results .hit').count(), 20);
    assert.equal(await B.textContent('#search-status'), '20+ results');
    await B.click('#search-more');
    await B.waitForFunction(() => document.querySelectorAll('#search-results .hit').length === 30);
    assert.equal(await B.isHidden('#search-more'), true, 'no more pages');
    const texts = await hitTexts(B);
    assert.equal(new Set(texts).size, 30, 'no duplicates');
    assert.equal(texts[0], 'needle 30 in the haystack');
    assert.equal(texts[29], 'needle 1 in the haystack');
    const paged = requests.filter((p) => p.get('before_id'));
    assert.equal(paged.length, 1);
    assert.equal(requests.filter((p) => p.get('q') === 'haystack').length, 2, 'debounced: one request per query and page');
  });

  test('a result opens its room at that message, highlighted and focused; older and newer pages load from there', async () => {
    await B.keyboard.press('Escape');
    await B.click('#room-list .room-link:has-text("general")');
    await B.waitForSelector('#room-name:has-text("#general")');
    await search(B, 'needle 5');
    assert.deepEqual(await hitTexts(B), ['needle 5 in the haystack']);
    await B.click('#search-results .hit-open');
    await B.waitForSelector('#dlg-search:not([open])', { state: 'attached' });
    await B.waitForSelector('#room-name:has-text("#ops")');
    const row = msgRow(B, 'needle 5 in the haystack');
    await B.waitForSelector('#messages .msg.flash:has-text("needle 5 in the haystack")');
    assert.match(await row.getAttribute('class'), /\bflash\b/, 'highlighted');
    assert.match(await B.evaluate(() => document.activeElement.textContent), /needle 5 in the haystack/, 'focused');
    assert.ok(await inView(B, '#messages .msg.flash'), 'scrolled to it');
    assert.equal(await B.locator('#messages .msg-body p:text-is("filler 60")').count(), 0, 'a page around it, not the newest');
    assert.equal(await B.isVisible('#btn-jump'), true, 'newer messages exist');
    // The highlight is brief.
    await B.waitForSelector('#messages .msg.flash', { state: 'detached', timeout: 5000 });
    // Newer pages load as the bottom comes near, up to the live end.
    for (let i = 0; i < 20 && (await B.locator('#messages .msg-body p:text-is("filler 60")').count()) === 0; i++) {
      await B.evaluate(() => { const t = document.getElementById('timeline'); t.scrollTop = t.scrollHeight; });
      await B.waitForTimeout(250);
    }
    assert.equal(await B.locator('#messages .msg-body p:text-is("filler 60")').count(), 1);
    // What A sends now shows at the end.
    await sendAll(A, ops, ['after the jump'], 'late');
    await B.waitForSelector('#messages .msg-body:has-text("after the jump")');
    // Older: up to the room's first message.
    for (let i = 0; i < 20 && (await B.locator('#messages .msg-body p:text-is("🚀 deployment checklist for friday")').count()) === 0; i++) {
      await B.evaluate(() => { document.getElementById('timeline').scrollTop = 0; });
      await B.waitForTimeout(250);
    }
    await B.waitForSelector('#history-status:has-text("beginning of the room")');
    const all = await B.$$eval('#messages .msg-body p', (els) => els.map((e) => e.textContent));
    assert.equal(new Set(all).size, all.length, 'no message twice');
    assert.equal(all.length, 2 + 30 + 60 + 1, 'no holes');
  });

  test('a result in the open room scrolls to it without reloading the room', async () => {
    const history = [];
    B.on('request', (r) => { if (/\/rooms\/\d+\/messages\?/.test(r.url())) history.push(r.url()); });
    await search(B, 'needle 29');
    await B.click('#search-results .hit-open');
    const row = msgRow(B, 'needle 29 in the haystack');
    await B.waitForSelector('#messages .msg.flash');
    assert.match(await row.getAttribute('class'), /\bflash\b/);
    assert.ok(await inView(B, '#messages .msg.flash'));
    assert.deepEqual(history, [], 'already loaded');
  });

  test('"Jump to latest" from a jump loads the newest page in place of the jump\'s pages', async () => {
    await B.evaluate((id) => history.replaceState(null, '', `#/rooms/${id}`), ops);
    await forgetLocalCopy(B); // a start with the newest page only (the local copy has the room's whole history)
    await B.reload();
    await waitConnected(B);
    await B.waitForSelector('#messages .msg-body:has-text("after the jump")');
    await search(B, 'needle 2 ');
    await B.click('#search-results .hit-open');
    await B.waitForSelector('#messages .msg.flash:has-text("needle 2 in the haystack")');
    assert.equal(await B.locator('#messages .msg-body:has-text("after the jump")').count(), 0, 'the live end is not shown after a hole');
    await B.click('#btn-jump');
    await B.waitForSelector('#messages .msg-body:has-text("after the jump")');
    await B.waitForSelector('#btn-jump', { state: 'hidden' });
    assert.equal(await msgRow(B, 'needle 2 in the haystack').count(), 0, 'the jump\'s pages are gone');
    assert.equal(await B.evaluate(() => window.confab.store.timeline(window.confab.store.activeRoomId).hasNewer), false);
  });

  test('"New since you left" sits at my first unread after a reload with more unread than a history page', async () => {
    // Ivan has read #general up to "lunch at noon"; 65 more arrive while he is in #ops.
    await B.evaluate(() => { const t = document.getElementById('timeline'); t.scrollTop = t.scrollHeight; });
    await sendAll(A, general, Array.from({ length: 65 }, (_, i) => `unread ${i + 1}`), 'u');
    await B.waitForSelector('#room-list .room-link:has-text("general") .badge:text-is("65")');
    await B.evaluate((id) => history.replaceState(null, '', `#/rooms/${id}`), general);
    await B.reload();
    await waitConnected(B);
    await B.waitForSelector('#unread-divider');
    assert.equal(await B.evaluate(() => document.getElementById('unread-divider').nextElementSibling.querySelector('.msg-body').textContent), 'unread 1');
    const above = await B.evaluate(() => [...document.querySelectorAll('#messages .msg-body')].map((e) => e.textContent));
    assert.equal(above[above.indexOf('unread 1') - 1], 'lunch at noon', 'what was read is above it');
    assert.ok(await inView(B, '#unread-divider'), 'scrolled to the divider');
    await B.waitForTimeout(400);
    const left = await B.evaluate(async (id) => (await window.confab.api.room(id)).unread_count, general);
    assert.ok(left > 0 && left < 65, `only what was on screen is read (${left} left)`);
    // Reading on to the end reads them all; the divider stays.
    for (let i = 0; i < 20 && (await B.locator('#messages .msg-body p:text-is("unread 65")').count()) === 0; i++) {
      await B.evaluate(() => { const t = document.getElementById('timeline'); t.scrollTop = t.scrollHeight; });
      await B.waitForTimeout(250);
    }
    await B.evaluate(() => { const t = document.getElementById('timeline'); t.scrollTop = t.scrollHeight; });
    await B.waitForFunction(async (id) => (await window.confab.api.room(id)).unread_count === 0, general, { polling: 200, timeout: 5000 });
    assert.equal(await B.locator('#unread-divider').count(), 1);
    assert.equal(await B.evaluate((id) => window.confab.store.rooms.get(id).last_read_seq, general),
      await B.evaluate(async (id) => (await window.confab.api.room(id)).last_read_seq, general), 'the store has my marker');
    assert.deepEqual(problems, []);
  });
});
