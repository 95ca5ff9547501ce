// "Also send to #room" for thread replies, in Chromium against the real server: Alice ticks the
// box under the thread's composer (off by default, off again after the send) and replies; Bob sees
// that reply in the thread and in the room's timeline, with "replied to a thread" above it (a
// button, reached by keyboard, that opens the thread on its root), and a plain reply only in the
// thread; live, after a reload (top_level history) and over REST. In a direct room the box says
// "the conversation". Alice's context keeps the app's CSP; Bob's bypasses it so axe can be injected.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, watch, register, createRoom, waitConnected, axeBoth, msgRow, forgetLocalCopy } from './helpers.js';

const ROOT = 'where shall we meet?';
let server; let browser; let ctxA; let ctxB; let A; let B; let plans; let rootId;
const problems = [];
const framesA = []; // Alice's WebSocket frames sent, parsed

const panel = (page) => page.locator('#thread');
const reply = (page, text) => page.locator('#thread .thread-replies .msg', { has: page.locator('.msg-body p', { hasText: text }) });
const timelineTexts = (page) => page.$$eval('#messages .msg-body p', (els) => els.map((e) => e.textContent));
const replyTexts = (page) => page.$$eval('#thread .thread-replies .msg .msg-body p', (els) => els.map((e) => e.textContent));
const sends = () => framesA.filter((f) => f.type === 'send').map(({ client_id: _, ...f }) => f);
const focused = (page) => page.evaluate(() => ({ id: document.activeElement.id, cls: document.activeElement.className, text: document.activeElement.textContent }));

/** Opens the thread of the root from its row's "Reply in thread". */
async function openThread(page, text) {
  const row = msgRow(page, text);
  await row.hover();
  await row.locator('button.reply').click();
  await panel(page).waitFor();
}

describe('also send to the room', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_SEND_BURST: '100', CONFAB_SEND_RATE: '100', CONFAB_ACTION_RATE: '100' } });
    browser = await launch();
    ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    A = await ctxA.newPage(); watch(A, 'alice', problems);
    B = await ctxB.newPage(); watch(B, 'bob', problems);
    A.on('websocket', (ws) => ws.on('framesent', (f) => { try { framesA.push(JSON.parse(f.payload)); } catch { /* not JSON */ } }));
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    await createRoom(A, 'plans');
    plans = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.evaluate(async (id) => { await window.confab.sync.addRoom(await window.confab.api.joinRoom(id)); location.hash = `#/rooms/${id}`; }, plans);
    await B.waitForSelector('#room-name:has-text("#plans")');
    await B.fill('#composer-input', ROOT);
    await B.press('#composer-input', 'Enter');
    await msgRow(A, ROOT).waitFor();
    rootId = Number(await msgRow(A, ROOT).getAttribute('data-id'));
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('the box under the thread\'s composer: "Also send to #plans", off by default, off again after a send; the send carries also_to_room', async () => {
    await openThread(A, ROOT);
    const box = A.locator('#thread-also');
    assert.equal(await A.textContent('label[for=thread-also]'), ' Also send to #plans');
    assert.equal(await box.isChecked(), false, 'off by default');
    await box.check();
    await A.fill('#thread-input', 'at the station');
    await A.press('#thread-input', 'Enter');
    assert.equal(await box.isChecked(), false, 'off again after the send');
    await A.waitForSelector('#thread .thread-replies .msg:not(.pending):has-text("at the station")');
    await A.fill('#thread-input', 'or the café');
    await A.press('#thread-input', 'Enter');
    await A.waitForSelector('#thread .thread-replies .msg:not(.pending):has-text("or the café")');
    assert.deepEqual(sends().slice(-2), [
      { type: 'send', room_id: plans, body: 'at the station', reply_to: rootId, also_to_room: true },
      { type: 'send', room_id: plans, body: 'or the café', reply_to: rootId },
    ]);
    // Alice's own timeline: the root and the reply sent to the room too.
    await msgRow(A, 'at the station').waitFor();
    assert.deepEqual(await timelineTexts(A), [ROOT, 'at the station']);
  });

  test('Bob sees the reply sent to the room in the timeline (with "replied to a thread") and in the thread; the plain one only in the thread', async () => {
    const row = msgRow(B, 'at the station');
    await row.waitFor();
    await B.waitForFunction(() => /^2 replies/.test(document.querySelector('#messages .thread-summary')?.textContent || ''));
    assert.deepEqual(await timelineTexts(B), [ROOT, 'at the station']);
    assert.equal(await row.locator('.thread-origin button').textContent(), 'replied to a thread');
    assert.equal(await row.locator('.author').textContent(), 'alice', 'its own header');
    assert.equal(await msgRow(B, ROOT).locator('.thread-origin').count(), 0, 'the root has none');
    // By keyboard: the row, then Tab to its first control, Enter: the thread opens on its root.
    await row.focus();
    await B.keyboard.press('Tab');
    assert.equal((await focused(B)).text, 'replied to a thread');
    await B.keyboard.press('Enter');
    await panel(B).waitFor();
    await B.waitForSelector(`#thread .thread-root .msg[data-id="${rootId}"]`);
    await reply(B, 'or the café').waitFor();
    assert.deepEqual(await replyTexts(B), ['at the station', 'or the café']);
    assert.equal(await reply(B, 'at the station').locator('.thread-origin').textContent(), 'Also sent to #plans');
    assert.equal(await reply(B, 'or the café').locator('.thread-origin').count(), 0);
    await B.keyboard.press('Escape');
    await panel(B).waitFor({ state: 'hidden' });
    assert.equal((await focused(B)).text, 'replied to a thread', 'the focus goes back to it');
  });

  test('after a reload it comes with the top_level history; one sent over REST shows live too', async () => {
    const page = B.waitForResponse((r) => new RegExp(`/rooms/${plans}/messages\\?.*top_level=true`).test(r.url()));
    await forgetLocalCopy(B); // from the server, not the local copy
    await B.reload();
    const loaded = await (await page).json();
    assert.deepEqual(loaded.messages.map((m) => [m.body, m.reply_to, m.also_to_room]), [[ROOT, null, false], ['at the station', rootId, true]]);
    await waitConnected(B);
    await msgRow(B, 'at the station').locator('.thread-origin button').waitFor();
    assert.deepEqual(await timelineTexts(B), [ROOT, 'at the station']);
    const sent = await A.evaluate(([room, root]) => window.confab.api.sendMessage(room, 'meet at noon', 'rest-also-1', [], root, true), [plans, rootId]);
    assert.equal(sent.also_to_room, true);
    assert.equal(sent.reply_to, rootId);
    await msgRow(B, 'meet at noon').locator('.thread-origin button').waitFor();
    const plain = await A.evaluate(([room, root]) => window.confab.api.sendMessage(room, 'thread only, over REST', 'rest-plain-1', [], root), [plans, rootId]);
    assert.equal(plain.also_to_room, false);
    await B.waitForFunction(() => /^4 replies/.test(document.querySelector('#messages .thread-summary')?.textContent || ''));
    assert.deepEqual(await timelineTexts(B), [ROOT, 'at the station', 'meet at noon']);
  });

  test('axe in light and dark: the timeline with "replied to a thread", the thread with the box', async () => {
    await axeBoth(B, 'timeline with a reply sent to the room');
    await msgRow(B, 'meet at noon').locator('.thread-origin button').click();
    await panel(B).waitFor();
    await reply(B, 'meet at noon').waitFor();
    await axeBoth(B, 'thread with the also-send box');
    await B.keyboard.press('Escape');
  });

  test('in a direct room the box says "Also send to the conversation"', async () => {
    await A.keyboard.press('Escape');
    const dm = await A.evaluate(async () => {
      const u = (await window.confab.api.searchUsers('bob')).users.find((x) => x.username === 'bob');
      const room = await window.confab.api.openDm(u.id);
      await window.confab.sync.addRoom(room);
      location.hash = `#/rooms/${room.id}`;
      return room.id;
    });
    await A.waitForFunction((id) => window.confab.store.activeRoomId === id, dm);
    await A.fill('#composer-input', 'psst');
    await A.press('#composer-input', 'Enter');
    await A.waitForSelector('#messages .msg:not(.pending):has-text("psst")');
    await openThread(A, 'psst');
    assert.equal(await A.textContent('label[for=thread-also]'), ' Also send to the conversation');
    await A.check('#thread-also');
    await A.fill('#thread-input', 'between us');
    await A.press('#thread-input', 'Enter');
    await A.waitForSelector('#messages .msg:not(.pending):has-text("between us") .thread-origin button');
    assert.deepEqual(problems, []);
  });
});
