// Conversations between two people (and a third for a group): threads (Reply in thread, the
// panel with its own composer, "N replies" live under the root, replies live in the panel and
// never in the timeline, a reply made while the other is offline coming with the replay, a search
// hit that is a reply opening its thread at it), mentions (the autocomplete by keyboard, the
// highlight and "mentions you", the "@" badge, the title's count and the favicon's badge, all gone
// once read), a room's notification level (shown, sent, kept by the server, followed by my other
// tab; "none" stops the notification events), a browser notification while the tab is hidden
// (its click opens the thread), group direct messages (the same three people: one room), axe in
// light and dark, and the thread panel on a phone. Alice's context keeps the app's CSP; Bob's
// bypasses it so axe can be injected.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, axeBoth, msgRow, PASSWORD, forgetLocalCopy } from './helpers.js';

const ROOT = 'where shall we meet?';
let server; let browser; let ctxA; let ctxB; let A; let B; let plans; let elsewhere; let rootId;
const problems = [];

const panel = (page) => page.locator('#thread');
const reply = (page, text) => page.locator('#thread .thread-replies .msg', { has: page.locator('.msg-body p', { hasText: text }) });
const summary = (page, text = ROOT) => msgRow(page, text).locator('button.thread-summary');
const timelineTexts = (page) => page.$$eval('#messages .msg-body p', (els) => els.map((e) => e.textContent));
const replyTexts = (page) => page.$$eval('#thread .thread-replies .msg', (els) => els.map((e) => (e.querySelector('.msg-body p') || e.querySelector('.tombstone') || {}).textContent));
const focused = (page) => page.evaluate(() => ({ id: document.activeElement.id, cls: document.activeElement.className, text: document.activeElement.textContent }));
const roomLink = (page, name, list = '#room-list') => page.locator(`${list} .room-link`, { hasText: name });
const title = (page) => page.evaluate(() => document.title);
const favicon = (page) => page.evaluate(() => document.querySelector('link[rel="icon"]').getAttribute('href'));
const notifications = (page) => page.evaluate(() => window.confab.notificationLog.map((e) => [e.room_id, e.reason, e.message.body]));
const api = (page, method, path, body) => page.evaluate(async ([m, p, b]) => {
  try { return { ok: await window.confab.api.request(m, p, b) }; } catch (e) { return { status: e.status, code: e.code, field: e.errors[0] && e.errors[0].field }; }
}, [method, path, body]);

/** Opens a room of the sidebar by name and waits for it. */
async function openRoom(page, name, list = '#room-list') {
  await roomLink(page, name, list).click();
  await page.waitForSelector(`#room-name:has-text("${name}")`);
}

describe('conversations: threads, mentions, notifications, group messages', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_SEND_BURST: '100', CONFAB_SEND_RATE: '100', CONFAB_ACTION_RATE: '100' } });
    browser = await launch();
    ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    A = await ctxA.newPage(); watch(A, 'alice', problems);
    B = await ctxB.newPage(); watch(B, 'bob', problems);
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    // A third person, for the group, and more to have too many for one: accounts never signed in here.
    await A.evaluate(async (pw) => {
      for (const name of ['carol', 'dan', 'erin', 'fay', 'gus', 'hal', 'ivy', 'joe']) await window.confab.api.request('POST', '/auth/register', { username: name, password: pw }, { auth: false });
    }, PASSWORD);
    await createRoom(B, 'elsewhere');
    elsewhere = await B.evaluate(() => window.confab.store.activeRoomId);
    await createRoom(A, 'plans');
    plans = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.evaluate(async (id) => { await window.confab.sync.addRoom(await window.confab.api.joinRoom(id)); }, plans);
    await openRoom(B, 'plans');
    await send(B, ROOT);
    await msgRow(A, ROOT).waitFor();
    rootId = Number(await msgRow(A, ROOT).getAttribute('data-id'));
    await A.waitForSelector('#member-list .member:has-text("bob")', { state: 'attached' });
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('Alice replies in a thread; Bob sees "1 reply" live and the reply in the panel, never in the timeline', async () => {
    const row = msgRow(A, ROOT);
    await row.hover();
    const action = row.locator('button.reply');
    assert.equal(await action.getAttribute('aria-label'), 'Reply in thread');
    await action.click();
    await panel(A).waitFor();
    await A.waitForSelector('#thread .thread-root .msg-body p:has-text("where shall we meet?")');
    assert.equal((await focused(A)).id, 'thread-input', 'the focus is in the panel\'s composer');
    assert.equal(await A.textContent('#thread-room'), '#plans');
    await A.keyboard.type('at the station');
    await A.keyboard.press('Enter');
    await reply(A, 'at the station').waitFor();
    await A.waitForSelector('#thread .thread-replies .msg:not(.pending):has-text("at the station")');
    assert.equal(await A.inputValue('#thread-input'), '');
    await A.waitForSelector('#thread .thread-divider:has-text("1 reply")');
    // Bob: the count under the root, live; the reply is not in his timeline.
    await summary(B).waitFor();
    assert.match(await summary(B).textContent(), /^1 reply · last reply \d\d:\d\d$/);
    assert.deepEqual(await timelineTexts(B), [ROOT]);
    assert.deepEqual(await timelineTexts(A), [ROOT]);
    // His panel: the root and the reply, loaded with ?thread=.
    const page = B.waitForResponse((r) => new RegExp(`/rooms/${plans}/messages\\?.*thread=${rootId}`).test(r.url()));
    await summary(B).click();
    const loaded = await (await page).json();
    assert.deepEqual(loaded.messages.map((m) => [m.body, m.reply_to]), [[ROOT, null], ['at the station', rootId]]);
    await reply(B, 'at the station').waitFor();
    assert.equal((await focused(B)).id, 'thread-input');
    // Escape closes it; the focus goes back to the button that opened it.
    await B.keyboard.press('Escape');
    await panel(B).waitFor({ state: 'hidden' });
    assert.match((await focused(B)).cls, /thread-summary/);
    await A.keyboard.press('Escape');
    await panel(A).waitFor({ state: 'hidden' });
    assert.match((await focused(A)).cls, /\breply\b/, 'back on "Reply in thread"');
  });

  test('the timeline pages without replies (top_level); after a reload the count and the thread come from the server', async () => {
    const page = B.waitForResponse((r) => new RegExp(`/rooms/${plans}/messages\\?`).test(r.url()));
    await forgetLocalCopy(B); // from the server, not the local copy
    await B.reload();
    const url = new URL((await page).url());
    assert.equal(url.searchParams.get('top_level'), 'true');
    await waitConnected(B);
    await summary(B).waitFor();
    assert.match(await summary(B).textContent(), /^1 reply/);
    assert.deepEqual(await timelineTexts(B), [ROOT]);
  });

  test('live in the panel: new replies, edits, deletes and reactions; the count follows', async () => {
    await summary(B).click();
    await reply(B, 'at the station').waitFor();
    await summary(A).click();
    await reply(A, 'at the station').waitFor();
    await A.fill('#thread-input', 'or the café');
    await A.press('#thread-input', 'Enter');
    await reply(B, 'or the café').waitFor();
    await B.waitForFunction(() => /^2 replies/.test(document.querySelector('#messages .thread-summary').textContent));
    await B.waitForSelector('#thread .thread-divider:has-text("2 replies")');
    // Alice edits her first reply in the panel (ArrowUp in the empty box edits her last one).
    const first = reply(A, 'at the station');
    await first.hover();
    await first.locator('button.edit').click();
    await A.fill('#thread .edit-input', 'at the station, platform 2');
    await A.press('#thread .edit-input', 'Enter');
    await B.waitForSelector('#thread .thread-replies .msg-body p:has-text("platform 2") .edited');
    await A.waitForFunction(() => document.activeElement.id === 'thread-input');
    // Bob reacts to it; Alice sees the chip in her panel.
    const edited = reply(B, 'platform 2');
    await edited.hover();
    await edited.locator('button.react-add').click();
    await B.waitForSelector('#emoji-picker:not([hidden]) .emoji-choice:focus');
    await B.click('#emoji-picker button[aria-label="+1"]');
    await A.waitForSelector('#thread .thread-replies .msg:has-text("platform 2") button.reaction[aria-pressed=false]:has-text("👍")');
    // Alice deletes the second one: a tombstone in both panels, one reply counted.
    const second = reply(A, 'or the café');
    await second.hover();
    await second.locator('button.delete').click();
    await second.locator('button.delete').click();
    await B.waitForFunction(() => [...document.querySelectorAll('#thread .thread-replies .tombstone')].length === 1);
    await B.waitForFunction(() => /^1 reply/.test(document.querySelector('#messages .thread-summary').textContent));
    assert.deepEqual(await replyTexts(B), ['at the station, platform 2(edited)', 'message deleted']);
    assert.deepEqual(await timelineTexts(B), [ROOT], 'still nothing of the thread in the timeline');
  });

  test('a reply made while Bob is offline comes with the replay, into his open panel', async () => {
    await ctxB.setOffline(true);
    await B.waitForSelector('#conn[data-state=offline]', { timeout: 5000 });
    await A.fill('#thread-input', 'see you there');
    await A.press('#thread-input', 'Enter');
    await A.waitForSelector('#thread .thread-replies .msg:not(.pending):has-text("see you there")');
    await ctxB.setOffline(false);
    await waitConnected(B);
    await reply(B, 'see you there').waitFor();
    await B.waitForFunction(() => /^2 replies/.test(document.querySelector('#messages .thread-summary').textContent));
    assert.deepEqual(await timelineTexts(B), [ROOT]);
    assert.equal((await replyTexts(B)).filter((t) => t === 'see you there').length, 1, 'once');
    await B.screenshot({ path: join(dirname(fileURLToPath(import.meta.url)), 'screenshots', 'threads.png') });
  });

  test('axe in light and dark: the thread panel', async () => {
    await axeBoth(B, 'thread panel');
  });

  test('the mention autocomplete by keyboard: @ lists the members and room, arrows move, Enter and Tab pick, Escape closes', async () => {
    await A.keyboard.press('Escape');
    await panel(A).waitFor({ state: 'hidden' });
    await A.focus('#composer-input');
    await A.keyboard.type('hey @');
    const list = A.locator('#composer .mention-list');
    await list.waitFor();
    const options = () => list.locator('[role=option]').evaluateAll((os) => os.map((o) => [o.textContent, o.getAttribute('aria-selected')]));
    assert.deepEqual(await options(), [['@bob', 'true'], ['@room · everyone in the room', 'false']], 'the members but me, then room');
    const input = A.locator('#composer-input');
    assert.equal(await input.getAttribute('aria-autocomplete'), 'list');
    assert.equal(await input.getAttribute('aria-controls'), await list.getAttribute('id'));
    const active = async () => A.evaluate(() => document.getElementById(document.activeElement.getAttribute('aria-activedescendant'))?.textContent);
    assert.equal(await active(), '@bob');
    await A.keyboard.press('ArrowDown');
    assert.equal(await active(), '@room · everyone in the room');
    await A.keyboard.press('ArrowDown');
    assert.equal(await active(), '@bob', 'it wraps around');
    await A.keyboard.type('o');
    assert.deepEqual(await options(), [['@bob', 'true']], 'filtered by what follows the @');
    await A.keyboard.press('Enter');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await A.inputValue('#composer-input'), 'hey @bob ', 'Enter picked it (and sent nothing)');
    assert.equal(await input.getAttribute('aria-activedescendant'), null);
    await A.keyboard.type('and @ro');
    await list.waitFor();
    await A.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await A.inputValue('#composer-input'), 'hey @bob and @ro', 'Escape closes and changes nothing');
    await A.keyboard.type('o');
    assert.equal(await list.isHidden(), true, 'it stays closed for that @');
    await A.keyboard.press('Backspace');
    await A.keyboard.press('Backspace');
    await A.keyboard.press('Backspace');
    await A.keyboard.type(' @r');
    await list.waitFor();
    await A.keyboard.press('Tab');
    assert.equal(await A.inputValue('#composer-input'), 'hey @bob and @ @room ', 'Tab picks too');
    assert.equal((await focused(A)).id, 'composer-input', 'the focus stays in the message box');
    await A.fill('#composer-input', '');
    assert.deepEqual(problems, []);
  });

  test('Bob, in another room, gets the "@" badge, the title count and the favicon badge; the message is highlighted; all go once he reads it', async () => {
    await B.keyboard.press('Escape');
    await openRoom(B, 'elsewhere');
    assert.equal(await title(B), 'elsewhere · Confab');
    assert.equal(await favicon(B), 'data:,');
    await A.focus('#composer-input');
    await A.keyboard.type('@bo');
    await A.keyboard.press('Enter');
    await A.keyboard.type('are you in?');
    await A.keyboard.press('Enter');
    await msgRow(A, 'are you in?').locator('.mention').waitFor();
    assert.equal(await msgRow(A, 'are you in?').locator('.mention').textContent(), '@bob');
    assert.doesNotMatch(await msgRow(A, 'are you in?').getAttribute('class'), /to-me/, 'not highlighted for its writer');
    const badge = roomLink(B, 'plans').locator('.mention-badge');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('aria-label'), '1 mention of you');
    assert.equal(await badge.textContent(), '@');
    await B.waitForFunction(() => document.title === '(1) elsewhere · Confab');
    assert.match(await favicon(B), /^data:image\/png;base64,/);
    // The server counts it too: after a reload the badge comes from the room list.
    await B.reload();
    await waitConnected(B);
    await badge.waitFor();
    assert.equal(await B.evaluate((id) => window.confab.store.rooms.get(id).mention_count, plans), 1);
    await B.waitForFunction(() => document.title === '(1) elsewhere · Confab');
    // Reading it: the highlight and the hint; then no badge, no count.
    await openRoom(B, 'plans');
    const row = msgRow(B, 'are you in?');
    await row.waitFor();
    assert.match(await row.getAttribute('class'), /\bto-me\b/);
    assert.equal(await row.locator('.mention.mention-me').textContent(), '@bob');
    assert.equal(await row.locator('.sr-only').textContent(), ', mentions you');
    await badge.waitFor({ state: 'detached' });
    await B.waitForFunction(() => document.title === 'plans · Confab');
    assert.equal(await favicon(B), 'data:,');
    await B.waitForFunction(async (id) => (await window.confab.api.room(id)).mention_count === 0, plans, { polling: 200 });
    // A name that is not a member's stays text.
    await send(A, 'ask @nobody_here or @room today');
    const other = msgRow(B, 'ask @nobody_here');
    await other.waitFor();
    assert.deepEqual(await other.locator('.mention').evaluateAll((els) => els.map((e) => [e.textContent, e.className])), [['@room', 'mention mention-room']]);
    assert.equal(await other.locator('.sr-only').textContent(), ', mentions everyone');
  });

  test('axe in light and dark: the mention autocomplete, a highlighted mention', async () => {
    await B.focus('#composer-input');
    await B.keyboard.type('@');
    await B.waitForSelector('#composer .mention-list:not([hidden])');
    await axeBoth(B, 'mention autocomplete');
    await B.keyboard.press('Escape');
    await B.fill('#composer-input', '');
  });

  test('the notification level round-trips and follows my other tab; "none" stops the notification events', async () => {
    // The level shows as the room's (mentions by default) and goes out at once.
    await B.click('#btn-notify');
    await B.waitForSelector('#dlg-notify[open]');
    assert.equal(await B.isChecked('#notify-mentions'), true);
    assert.equal((await focused(B)).id, 'notify-mentions');
    await axeBoth(B, 'notification settings');
    const other = await ctxB.newPage(); watch(other, 'bob-2', problems);
    await other.goto(`${server.url}/#/rooms/${elsewhere}`);
    await waitConnected(other);
    const put = B.waitForResponse((r) => r.url().endsWith(`/rooms/${plans}/notifications`) && r.request().method() === 'PUT');
    await B.keyboard.press('ArrowDown'); // the radio group: the next one is checked
    assert.equal((await put).status(), 204);
    assert.deepEqual(JSON.parse((await put).request().postData()), { level: 'none' });
    await B.waitForSelector('#notify-ok:has-text("Saved.")');
    await other.waitForFunction((id) => window.confab.store.rooms.get(id).notify === 'none', plans);
    await B.keyboard.press('Escape');
    await B.waitForSelector('#dlg-notify:not([open])', { state: 'attached' });
    assert.equal((await focused(B)).id, 'btn-notify');
    assert.equal(await B.getAttribute('#btn-notify', 'data-level'), 'none');
    // Kept by the server: after a reload the dialog shows it.
    await B.reload();
    await waitConnected(B);
    await B.click('#btn-notify');
    await B.waitForSelector('#dlg-notify[open]');
    assert.equal(await B.isChecked('#notify-none'), true);
    await B.keyboard.press('Escape');
    // A mention in #plans notifies nothing now; a direct message (level all) still does.
    await openRoom(B, 'elsewhere');
    const before = (await notifications(B)).length;
    await send(A, '@bob still there?');
    await msgRow(A, 'still there?').locator('.mention').waitFor();
    const dm = await A.evaluate(async () => {
      const u = (await window.confab.api.searchUsers('bob')).users.find((x) => x.username === 'bob');
      return (await window.confab.api.openDm(u.id)).id;
    });
    await roomLink(B, 'alice', '#dm-list').waitFor(); // subscribed: its messages count
    await A.evaluate((id) => window.confab.api.sendMessage(id, 'psst', 'psst-1'), dm);
    await B.waitForFunction((n) => window.confab.notificationLog.length > n, before);
    assert.deepEqual((await notifications(B)).slice(before), [[dm, 'direct', 'psst']], 'only the direct message');
    await B.waitForFunction(() => /^\(1\) /.test(document.title)); // the DM; #plans counts nothing at none
    assert.equal(await roomLink(B, 'plans').locator('.mention-badge').count(), 1, 'the badge still says a mention is there');
    // Back to mentions, from the other tab: this page follows.
    await other.evaluate((id) => window.confab.api.setNotify(id, 'mentions'), plans);
    await B.waitForFunction((id) => window.confab.store.rooms.get(id).notify === 'mentions', plans);
    await B.waitForFunction(() => /^\(2\) /.test(document.title));
    await other.close();
  });

  test('while the tab is hidden a notification shows; a click on it opens the thread of the reply', async () => {
    await B.evaluate(() => {
      window.shown = [];
      window.Notification = class {
        static permission = 'granted';
        constructor(title, opts) { this.title = title; this.body = opts.body; window.shown.push(this); }
        close() {}
      };
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    });
    await A.click('#messages .thread-summary');
    await panel(A).waitFor();
    await A.fill('#thread-input', '@bob platform 2 it is');
    await A.press('#thread-input', 'Enter');
    await B.waitForFunction(() => window.shown.length === 1);
    assert.deepEqual(await B.evaluate(() => [window.shown[0].title, window.shown[0].body]), ['alice mentioned you in a thread in #plans', '@bob platform 2 it is']);
    await B.evaluate(() => { delete document.visibilityState; window.shown[0].onclick(); });
    await B.waitForSelector('#room-name:has-text("#plans")');
    await reply(B, 'platform 2 it is').waitFor();
    await B.waitForSelector('#thread .thread-replies .msg.to-me:has-text("platform 2 it is")');
    await B.waitForFunction(() => document.activeElement.closest && Boolean(document.activeElement.closest('#thread .msg')));
  });

  test('a search hit that is a reply opens its room and its thread at it', async () => {
    await B.keyboard.press('Escape');
    await openRoom(B, 'elsewhere');
    await B.keyboard.press('Control+Shift+F');
    await B.waitForSelector('#dlg-search[open]');
    await B.fill('#search-input', 'see you there');
    await B.waitForSelector('#search-results[data-status=done] .hit');
    await B.click('#search-results .hit-open');
    await B.waitForSelector('#room-name:has-text("#plans")');
    await B.waitForSelector('#thread .thread-replies .msg.flash:has-text("see you there")');
    assert.match((await focused(B)).text, /see you there/, 'the reply is focused');
    assert.deepEqual(await timelineTexts(B), [ROOT, '@bob are you in?', 'ask @nobody_here or @room today', '@bob still there?']);
  });

  test('a group direct message: Bob picks Alice and Carol; the same three again are the same room', async () => {
    await B.keyboard.press('Escape');
    const startGroup = async (names) => {
      await B.click('#btn-dm');
      await B.waitForSelector('#dlg-dm[open]');
      for (const n of names) {
        await B.fill('#dm-query', n.slice(0, 3));
        await B.click(`#dm-results button[aria-label="Add ${n} to a group"]`);
        await B.waitForSelector(`#dlg-dm .chip:has-text("${n}")`);
      }
      const made = B.waitForResponse((r) => r.url().endsWith('/api/v1/dms'));
      await B.click('#dm-start');
      const res = await made;
      await B.waitForSelector('#room-name:has-text("alice, carol")');
      return { status: res.status(), body: JSON.parse(res.request().postData()), id: await B.evaluate(() => window.confab.store.activeRoomId) };
    };
    const first = await startGroup(['alice', 'carol']);
    assert.equal(first.status, 201);
    assert.equal(first.body.user_ids.length, 2);
    assert.equal(await B.textContent('#room-topic'), 'Group conversation');
    await send(B, 'dinner, all three?');
    await B.waitForSelector('#messages .msg.mine:not(.pending):has-text("dinner, all three?")');
    const again = await startGroup(['carol', 'alice']);
    assert.equal(again.status, 200, 'it exists');
    assert.equal(again.id, first.id);
    assert.equal(await roomLink(B, 'alice, carol', '#dm-list').count(), 1);
    await roomLink(A, 'bob, carol', '#dm-list').waitFor();
    // The API's refusals: nobody, more than 8 others, someone unknown.
    assert.deepEqual(await api(B, 'POST', '/dms', { user_ids: [] }).then(({ status, code }) => [status, code]), [400, 'validation_failed']);
    const everyone = await B.evaluate(async () => {
      const ids = [];
      for (const q of ['alice', 'carol', 'dan', 'erin', 'fay', 'gus', 'hal', 'ivy', 'joe']) ids.push((await window.confab.api.searchUsers(q)).users.find((u) => u.username === q).id);
      return ids;
    });
    assert.deepEqual(await api(B, 'POST', '/dms', { user_ids: everyone }).then(({ status, code }) => [status, code]), [400, 'validation_failed'], '9 others');
    assert.equal(await api(B, 'POST', '/dms', { user_ids: everyone.slice(0, 8) }).then((r) => r.ok.member_count), 9, '8 others: fine');
    assert.equal((await api(B, 'POST', '/dms', { user_ids: [999999] })).status, 404);
  });

  test('the API as the app relies on it: replies to another room, a deleted or unknown message conflict; a reply\'s id pages its root\'s thread', async () => {
    const post = (room, replyTo, cid) => api(A, 'POST', `/rooms/${room}/messages`, { body: 'x', client_id: cid, reply_to: replyTo });
    assert.deepEqual(await post(elsewhere, rootId, 'r-1'), { status: 403, code: 'not_a_member', field: undefined }, 'not my room at all');
    const mine = await A.evaluate(async () => (await window.confab.api.createRoom('mine', undefined, 'public')).id);
    assert.deepEqual(await post(mine, rootId, 'r-2'), { status: 409, code: 'conflict', field: 'reply_to' }, 'a root of another room');
    assert.deepEqual(await post(plans, 999999, 'r-3'), { status: 409, code: 'conflict', field: 'reply_to' }, 'unknown');
    const gone = await A.evaluate(async (id) => { const m = await window.confab.api.sendMessage(id, 'soon gone', 'r-4'); await window.confab.api.deleteMessage(id, m.id); return m.id; }, plans);
    assert.deepEqual(await post(plans, gone, 'r-5'), { status: 409, code: 'conflict', field: 'reply_to' }, 'deleted');
    const page = await A.evaluate(async ([room, root]) => {
      const t = await window.confab.api.history(room, { thread: root });
      const viaReply = await window.confab.api.history(room, { thread: t.messages[1].id });
      const top = await window.confab.api.history(room, {});
      return { thread: t.messages.map((m) => m.reply_to), same: JSON.stringify(viaReply.messages.map((m) => m.id)) === JSON.stringify(t.messages.map((m) => m.id)), top: top.messages.every((m) => m.reply_to === null) };
    }, [plans, rootId]);
    assert.equal(page.thread[0], null, 'the root first');
    assert.ok(page.thread.slice(1).every((r) => r === rootId), 'then its replies');
    assert.ok(page.same, 'a reply\'s id gives its root\'s thread');
    assert.ok(page.top, 'top_level: no replies');
  });

  test('the thread\'s composer shares the emoji picker and the files of the room\'s', async () => {
    if (await panel(A).isHidden()) await A.click('#messages .thread-summary');
    await panel(A).waitFor();
    await A.fill('#thread-input', 'notes for the trip ');
    await A.click('#thread .emoji-btn');
    await A.waitForSelector('#emoji-picker:not([hidden]) .emoji-choice:focus');
    const [picker, button] = await Promise.all([A.locator('#emoji-picker').boundingBox(), A.locator('#thread .emoji-btn').boundingBox()]);
    assert.ok(picker.y + picker.height <= button.y, 'above the thread\'s emoji button');
    await A.click('#emoji-picker button[aria-label="tada"]');
    assert.equal(await A.inputValue('#thread-input'), 'notes for the trip 🎉');
    assert.equal((await focused(A)).id, 'thread-input');
    await A.setInputFiles('#thread input[type=file]', { name: 'trip.txt', mimeType: 'text/plain', buffer: Buffer.from('tickets\n') });
    await A.waitForSelector('#thread .uploads .upload.done:has-text("trip.txt")');
    assert.equal(await A.locator('#uploads .upload').count(), 0, 'not in the room\'s composer');
    await A.press('#thread-input', 'Enter');
    await A.waitForSelector('#thread .thread-replies .msg:not(.pending):has-text("notes for the trip") .file-card:has-text("trip.txt")');
    await openRoom(B, 'plans');
    await summary(B).click();
    await B.waitForSelector('#thread .thread-replies .msg:has-text("notes for the trip 🎉") .file-card .file-name:text-is("trip.txt")');
    assert.equal(await B.locator('#messages .file-card').count(), 0, 'nothing of it in the timeline');
  });

  test('on a phone the thread panel takes the screen, with a back button; 44 px controls; axe', async () => {
    const phoneCtx = await browser.newContext({ viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true, bypassCSP: true, storageState: await ctxB.storageState() });
    const phone = await phoneCtx.newPage(); watch(phone, 'bob-phone', problems);
    await phone.goto(`${server.url}/#/rooms/${plans}`);
    await phone.waitForSelector('#conn[data-state=connected]', { state: 'attached' }); // in the closed drawer
    await summary(phone).waitFor();
    await summary(phone).tap();
    await panel(phone).waitFor();
    await reply(phone, 'see you there').waitFor();
    const box = await panel(phone).boundingBox();
    assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 360, 740], 'the whole screen');
    assert.equal((await focused(phone)).cls, 'icon-btn thread-back', 'the back button, not the keyboard');
    assert.equal(await phone.getAttribute('#thread .thread-back', 'aria-label'), 'Back to #plans');
    assert.equal(await phone.isHidden('#thread .thread-close'), true);
    assert.equal(await phone.evaluate(() => document.getElementById('main').inert), true, 'the room behind it is out of reach');
    const small = await phone.evaluate(() => [...document.querySelectorAll('#thread button, #thread a, #thread textarea, #thread [tabindex="0"]')]
      .filter((el) => el.offsetParent !== null && !el.closest('.msg-body') && !el.classList.contains('msg'))
      .map((el) => ({ el: el.id || el.className, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.width < 43.5 || r.height < 43.5)).map(({ el, r }) => `${el} ${Math.round(r.width)}x${Math.round(r.height)}`));
    assert.deepEqual(small, []);
    await reply(phone, 'see you there').locator('.msg-body').tap();
    await axeBoth(phone, 'phone thread panel');
    await phone.tap('#thread .thread-back');
    await panel(phone).waitFor({ state: 'hidden' });
    assert.equal(await phone.evaluate(() => document.getElementById('main').inert), false);
    assert.match((await focused(phone)).cls, /thread-summary/);
    await phoneCtx.close();
    assert.deepEqual(problems, []);
  });
});
