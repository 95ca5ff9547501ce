// Reactions between two people: Alice reacts 👍 to Bob's message through the picker (the "Add
// reaction" button of its actions; the picker shows by the message), Bob sees the chip live and
// clicks it; every click toggles the count and aria-pressed in both browsers, with who reacted in
// the title and the accessible description; it all comes back from history after a reload; a
// refused reaction shows at once and rolls back with a notice; a second emoji by keyboard alone
// (the recently used first, typing a name, the arrows; Escape and Tab leave); a chip toggled from
// the keyboard keeps the focus; an edit keeps them, and one made while the other is offline comes
// with the replay; a long press opens the picker on a phone; axe in light and dark; the API as
// the app relies on it. Alice's context keeps the app's CSP (the picker is placed
// through the CSSOM); Bob's bypasses it so axe can be injected.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, axeBoth, msgRow, forgetLocalCopy } from './helpers.js';

const TEXT = 'lunch at noon?';
let server; let browser; let ctxA; let ctxB; let A; let B; let roomId; let messageId;
const problems = [];

/** The chips of the message with `text`: [emoji, count, aria-pressed] each. */
const chips = (page, text = TEXT) => msgRow(page, text).locator('button.reaction').evaluateAll((bs) => bs.map((b) => [b.firstChild.textContent, b.querySelector('.reaction-count').textContent, b.getAttribute('aria-pressed')]));
/** Waits until the chips of the message with `text` are `want`. */
async function waitChips(page, want, text = TEXT) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const got = await chips(page, text);
    if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) { assert.deepEqual(got, want); return; }
    await page.waitForTimeout(25);
  }
}
const chip = (page, emoji, text = TEXT) => msgRow(page, text).locator('button.reaction', { hasText: emoji });
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return { cls: el.className, label: el.getAttribute('aria-label'), pressed: el.getAttribute('aria-pressed'), row: el.closest('li.msg') ? el.closest('li.msg').textContent : null, id: el.id };
});
/** The accessible description Chromium gives the node named `name` (CDP's accessibility tree). */
async function description(page, name) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  const node = nodes.find((n) => n.name && n.name.value === name);
  assert.ok(node, `a node named ${name}`);
  return node.description && node.description.value;
}
/** The box of a visible element, waiting while it is being drawn again (no box for a moment). */
async function boxOf(locator) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const box = await locator.boundingBox();
    if (box || Date.now() > deadline) { assert.ok(box, 'the element has a box'); return box; }
    await new Promise((r) => setTimeout(r, 25));
  }
}
const pickerOpen = (page) => page.waitForSelector('#emoji-picker:not([hidden]) .emoji-choice:focus');
const pickerClosed = (page) => page.waitForSelector('#emoji-picker', { state: 'hidden' });

describe('reactions', () => {
  before(async () => {
    server = await startServer();
    browser = await launch();
    ctxA = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    ctxB = await browser.newContext({ viewport: { width: 1200, height: 800 }, bypassCSP: true });
    A = await ctxA.newPage(); watch(A, 'alice', problems);
    B = await ctxB.newPage(); watch(B, 'bob', problems);
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    await createRoom(A, 'lunch');
    roomId = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.evaluate(async (id) => { await window.confab.api.joinRoom(id); location.hash = `#/rooms/${id}`; }, roomId);
    await B.reload();
    await B.waitForSelector('#room-name:has-text("#lunch")');
    await waitConnected(B);
    await send(B, TEXT);
    await msgRow(A, TEXT).waitFor();
    messageId = Number(await msgRow(A, TEXT).getAttribute('data-id'));
    await A.waitForSelector('#member-list .member:has-text("bob")', { state: 'attached' });
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('Alice reacts 👍 through the picker, shown by the message; Bob sees the chip live', async () => {
    const row = msgRow(A, TEXT);
    assert.equal(await row.locator('button.reaction').count(), 0, 'no chips before');
    await row.hover();
    const add = row.locator('button.react-add');
    assert.equal(await add.getAttribute('aria-label'), 'Add reaction');
    await add.click();
    await pickerOpen(A);
    assert.equal(await A.getAttribute('#emoji-picker', 'aria-label'), 'Add reaction');
    assert.equal(await add.getAttribute('aria-expanded'), 'true');
    const [p, r] = await Promise.all([A.locator('#emoji-picker').boundingBox(), row.boundingBox()]);
    assert.ok(Math.abs(p.y + p.height - r.y) < 20 || Math.abs(p.y - (r.y + r.height)) < 20, `the picker is by the message (${JSON.stringify({ p, r })})`);
    assert.ok(p.x + p.width <= r.x + r.width + 1 && p.x >= r.x, 'within the message row');
    await A.click('#emoji-picker button[aria-label="+1"]');
    await pickerClosed(A);
    await waitChips(A, [['👍', '1', 'true']]);
    await waitChips(B, [['👍', '1', 'false']]);
    assert.equal(await chip(B, '👍').getAttribute('aria-label'), '👍 1 reaction; click to add yours');
    assert.equal(await chip(B, '👍').getAttribute('title'), 'Reacted by alice');
    assert.equal(await chip(A, '👍').getAttribute('aria-label'), '👍 1 reaction, including you; click to remove');
    assert.equal(await chip(A, '👍').getAttribute('title'), 'Reacted by you');
  });

  test('Bob clicks the chip: 2 in both browsers, pressed for both; who reacted is the title and the description', async () => {
    await chip(B, '👍').click();
    await waitChips(B, [['👍', '2', 'true']]);
    await waitChips(A, [['👍', '2', 'true']]);
    const label = '👍 2 reactions, including you; click to remove';
    assert.equal(await chip(B, '👍').getAttribute('aria-label'), label);
    assert.equal(await chip(B, '👍').getAttribute('title'), 'Reacted by alice and you');
    assert.equal(await chip(A, '👍').getAttribute('title'), 'Reacted by you and bob');
    assert.equal(await description(B, label), 'Reacted by alice and you');
    const highlighted = await chip(B, '👍').evaluate((b) => getComputedStyle(b).boxShadow);
    assert.notEqual(highlighted, 'none', 'a pressed chip is highlighted');
  });

  test('Alice clicks it: 1, not pressed for her (still for Bob); a reload shows the same, from history', async () => {
    await chip(A, '👍').click();
    await waitChips(A, [['👍', '1', 'false']]);
    await waitChips(B, [['👍', '1', 'true']]);
    assert.equal(await chip(A, '👍').getAttribute('title'), 'Reacted by bob');
    assert.equal(await chip(A, '👍').evaluate((b) => getComputedStyle(b).boxShadow), 'none');
    const page = A.waitForResponse((res) => new RegExp(`/rooms/${roomId}/messages\\?`).test(res.url()));
    await forgetLocalCopy(A); // from history, not the local copy
    await A.reload();
    const history = await (await page).json();
    const fromServer = history.messages.find((m) => m.id === messageId);
    assert.deepEqual(fromServer.reactions, [{ emoji: '👍', count: 1, user_ids: [await B.evaluate(() => window.confab.store.me.id)] }]);
    await waitConnected(A);
    await waitChips(A, [['👍', '1', 'false']]);
    assert.equal(await chip(A, '👍').getAttribute('title'), 'Reacted by bob');
  });

  test('a refused reaction shows at once, then rolls back with a notice; the other sees nothing', async () => {
    let release;
    const held = new Promise((r) => { release = r; });
    const refuse = async (route) => {
      await held;
      await route.fulfill({ status: 429, contentType: 'application/problem+json', body: JSON.stringify({ status: 429, code: 'rate_limited', detail: 'Slow down a little.' }) });
    };
    await A.route('**/reactions/**', refuse);
    await chip(A, '👍').click();
    await waitChips(A, [['👍', '2', 'true']]); // optimistic, while the request waits
    release();
    await waitChips(A, [['👍', '1', 'false']]);
    await A.waitForSelector('#toast:not([hidden]):has-text("Reaction not saved: Slow down a little.")');
    await A.unroute('**/reactions/**', refuse);
    await waitChips(B, [['👍', '1', 'true']]);
  });

  test('a second emoji by keyboard alone: Tab to "Add reaction", Enter, the recent one first, type a name, arrows, Enter', async () => {
    await A.focus('#composer-input');
    let moves = 0;
    while (!(await focused(A)).cls.includes('msg') && moves++ < 10) await A.keyboard.press('Shift+Tab');
    let f = await focused(A);
    assert.match(f.cls, /\bmsg\b/, 'Shift+Tab from the message box reaches the newest message');
    assert.match(f.row, /lunch at noon\?/);
    for (moves = 0; !(await focused(A)).cls.includes('react-add') && moves < 5; moves++) await A.keyboard.press('Tab');
    assert.ok(moves <= 3, `the row, its chip, "Reply in thread", then "Add reaction" (${moves} Tabs)`);
    assert.equal(await msgRow(A, TEXT).locator('.msg-actions').evaluate((el) => getComputedStyle(el).opacity), '1', 'the actions show on focus');
    await A.keyboard.press('Enter');
    await pickerOpen(A);
    assert.equal(await A.evaluate(() => document.activeElement.textContent), '👍', 'the recently used first (kept over the reload)');
    await A.keyboard.type('tada');
    assert.equal(await A.evaluate(() => document.activeElement.textContent), '🎉', 'typing a name jumps to it');
    await A.keyboard.press('ArrowRight');
    assert.equal(await A.evaluate(() => document.activeElement.textContent), '🚀');
    await A.keyboard.press('ArrowLeft');
    await A.keyboard.press('Enter');
    await pickerClosed(A);
    await waitChips(A, [['👍', '1', 'false'], ['🎉', '1', 'true']]);
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false']]);
    f = await focused(A);
    assert.match(f.cls, /react-add/, 'the focus is back on "Add reaction"');
    // Escape closes and returns the focus; Tab leaves from where it was opened.
    await A.keyboard.press('Enter');
    await pickerOpen(A);
    assert.equal(await A.evaluate(() => document.activeElement.textContent), '🎉', 'the latest first');
    await A.keyboard.press('Escape');
    await pickerClosed(A);
    f = await focused(A);
    assert.match(f.cls, /react-add/);
    assert.equal(await msgRow(A, TEXT).locator('button.react-add').getAttribute('aria-expanded'), 'false');
    await A.keyboard.press('Enter');
    await pickerOpen(A);
    await A.keyboard.press('Tab');
    await pickerClosed(A);
    assert.equal((await focused(A)).id, 'composer-input', 'Tab goes on past "Add reaction"');
    // A chip from the keyboard (back past "Add reaction", "Reply in thread" and 🎉): the focus
    // stays on it while its row is rendered anew.
    for (let i = 0; i < 4; i++) await A.keyboard.press('Shift+Tab');
    assert.equal((await focused(A)).label, '👍 1 reaction; click to add yours');
    await A.keyboard.press('Enter');
    await waitChips(A, [['👍', '2', 'true'], ['🎉', '1', 'true']]);
    assert.deepEqual(await focused(A).then((x) => [x.label, x.pressed]), ['👍 2 reactions, including you; click to remove', 'true']);
    await A.keyboard.press('Space');
    await waitChips(A, [['👍', '1', 'false'], ['🎉', '1', 'true']]);
    assert.equal((await focused(A)).label, '👍 1 reaction; click to add yours');
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false']]);
  });

  test('an edit keeps the reactions; one made while the other is offline comes with the replay', async () => {
    const mine = msgRow(B, TEXT);
    await mine.hover();
    await mine.locator('button.edit').click();
    await B.fill('.edit-input', `${TEXT} (or one)`);
    await B.press('.edit-input', 'Enter');
    await A.waitForSelector('#messages .msg-body p:has-text("(or one)") .edited');
    await waitChips(A, [['👍', '1', 'false'], ['🎉', '1', 'true']]);
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false']]);
    await ctxB.setOffline(true);
    await B.waitForSelector('#conn[data-state=offline]', { timeout: 5000 });
    await A.evaluate(([room, id]) => window.confab.sync.react(room, id, '🔥', true), [roomId, messageId]);
    await waitChips(A, [['👍', '1', 'false'], ['🎉', '1', 'true'], ['🔥', '1', 'true']]);
    await ctxB.setOffline(false);
    await waitConnected(B);
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false'], ['🔥', '1', 'false']]);
    await chip(A, '🔥').click();
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false']]);
    await waitChips(A, [['👍', '1', 'false'], ['🎉', '1', 'true']]);
  });

  test('the composer\'s picker shares the recent emoji and still inserts at the caret', async () => {
    await A.fill('#composer-input', 'yum ');
    await A.click('#btn-emoji');
    await pickerOpen(A);
    assert.equal(await A.getAttribute('#emoji-picker', 'aria-label'), 'Emoji');
    assert.deepEqual(await A.$$eval('#emoji-picker .emoji-choice', (bs) => bs.slice(0, 2).map((b) => b.textContent)), ['🎉', '👍']);
    const [p, btn] = await Promise.all([A.locator('#emoji-picker').boundingBox(), A.locator('#btn-emoji').boundingBox()]);
    assert.ok(p.y + p.height <= btn.y && p.y + p.height > btn.y - 20, 'above the emoji button');
    await A.keyboard.press('Enter');
    assert.equal(await A.inputValue('#composer-input'), 'yum 🎉');
    assert.equal((await focused(A)).id, 'composer-input');
    await A.fill('#composer-input', '');
  });

  test('on a phone a long press on a message opens the picker by it; a tap does not; chips are 44 px', async () => {
    const phoneCtx = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, storageState: await ctxB.storageState() });
    const phone = await phoneCtx.newPage(); watch(phone, 'bob-phone', problems);
    await phone.goto(`${server.url}/#/rooms/${roomId}`);
    // Measured once the page has settled: connected (the badge is in the closed drawer: attached,
    // never visible, so waitConnected would wait in vain) and the members in (a row is drawn anew
    // when the names of its chips' "Reacted by" come in, and a row being replaced has no box for
    // a moment).
    await phone.waitForSelector('#conn[data-state=connected]', { state: 'attached' });
    await phone.waitForSelector('#member-list .member:has-text("alice")', { state: 'attached' });
    await waitChips(phone, [['👍', '1', 'true'], ['🎉', '1', 'false']]);
    for (const b of await msgRow(phone, TEXT).locator('button.reaction').all()) {
      const box = await boxOf(b);
      assert.ok(box.width >= 43.5 && box.height >= 43.5, `a chip is ${box.width}x${box.height}`);
    }
    const body = await boxOf(msgRow(phone, TEXT).locator('.msg-body'));
    const at = { x: Math.round(body.x + 20), y: Math.round(body.y + body.height / 2) };
    const cdp = await phoneCtx.newCDPSession(phone);
    const touch = async (ms) => {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at] });
      await phone.waitForTimeout(ms);
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    };
    await touch(150);
    await phone.waitForTimeout(700);
    assert.equal(await phone.isHidden('#emoji-picker'), true, 'a tap is not a long press');
    await touch(1200);
    await phone.waitForSelector('#emoji-picker:not([hidden])');
    assert.equal(await phone.getAttribute('#emoji-picker', 'aria-label'), 'Add reaction');
    const p = await phone.locator('#emoji-picker').boundingBox();
    assert.ok(p.x >= 0 && p.x + p.width <= 360 && p.y >= 0 && p.y + p.height <= 740, 'inside the screen');
    await phone.locator('#emoji-picker button[aria-label="heart"]').tap();
    await pickerClosed(phone);
    await waitChips(phone, [['👍', '1', 'true'], ['🎉', '1', 'false'], ['❤️', '1', 'true']]);
    await waitChips(A, [['👍', '1', 'false'], ['🎉', '1', 'true'], ['❤️', '1', 'false']]);
    await phoneCtx.close();
  });

  test('axe in light and dark: a room with reactions (mine pressed, others not), the picker for a message', async () => {
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false'], ['❤️', '1', 'true']]);
    await axeBoth(B, 'room with reactions');
    await msgRow(B, TEXT).hover();
    await msgRow(B, TEXT).locator('button.react-add').click();
    await pickerOpen(B);
    await axeBoth(B, 'reaction picker');
    await B.keyboard.press('Escape');
    await pickerClosed(B);
  });

  test('the API as the app relies on it: idempotent, refusals with their codes, 20 emoji at most', async () => {
    const path = (emoji, id = messageId, room = roomId) => `/rooms/${room}/messages/${id}/reactions/${encodeURIComponent(emoji)}`;
    const call = (page, method, p) => page.evaluate(async ([m, url]) => {
      try { return { ok: await window.confab.api.request(m, url) }; } catch (e) { return { status: e.status, code: e.code }; }
    }, [method, p]);
    assert.deepEqual(await call(A, 'PUT', path('🎉')), { ok: null }, 'reacting again: 204');
    assert.deepEqual(await call(A, 'DELETE', path('🔥')), { ok: null }, 'taking off what is not there: 204');
    assert.deepEqual(await call(A, 'PUT', path('a b')), { status: 400, code: 'validation_failed' });
    assert.deepEqual(await call(A, 'PUT', path('x'.repeat(33))), { status: 400, code: 'validation_failed' });
    assert.deepEqual(await call(A, 'PUT', path('👍', 999999)), { status: 404, code: 'not_found' });
    // 20 different emoji at most (3 are on it).
    const more = ['😄', '😁', '😂', '😉', '😊', '😍', '🤔', '😐', '😅', '😭', '😠', '😱', '😎', '🙃', '😴', '🥳', '👀'];
    for (const e of more) assert.deepEqual(await call(A, 'PUT', path(e)), { ok: null }, e);
    assert.deepEqual(await call(A, 'PUT', path('🚀')), { status: 409, code: 'conflict' });
    assert.deepEqual(await call(B, 'PUT', path('😄')), { ok: null }, 'one of the 20: still fine');
    await waitChips(B, [['👍', '1', 'true'], ['🎉', '1', 'false'], ['❤️', '1', 'true'], ...more.map((e) => [e, e === '😄' ? '2' : '1', e === '😄' ? 'true' : 'false'])]);
    // Rooms one is not in: a public one not joined (403), a private one (404); a deleted message (404).
    const other = await A.evaluate(async () => {
      const pub = await window.confab.api.createRoom('elsewhere', undefined, 'public');
      const priv = await window.confab.api.createRoom('secret', undefined, 'private');
      const m1 = await window.confab.api.sendMessage(pub.id, 'public one', 'pub-1');
      const m2 = await window.confab.api.sendMessage(priv.id, 'private one', 'priv-1');
      return { pub: pub.id, priv: priv.id, m1: m1.id, m2: m2.id };
    });
    assert.deepEqual(await call(B, 'PUT', path('👍', other.m1, other.pub)), { status: 403, code: 'not_a_member' });
    assert.deepEqual(await call(B, 'PUT', path('👍', other.m2, other.priv)), { status: 404, code: 'not_found' });
    await A.evaluate(([room, id]) => window.confab.api.deleteMessage(room, id), [other.pub, other.m1]);
    assert.deepEqual(await call(A, 'PUT', path('👍', other.m1, other.pub)), { status: 404, code: 'not_found' });
    assert.deepEqual(problems, []);
  });
});
