// A room's incoming webhooks. Root (the first account: the server's admin) is a plain member of
// #builds; Olga owns it; Mike is a plain member. Mike sees no "Room settings", no webhooks, and
// the API refuses him. Olga opens "Webhooks" in the room's settings, adds "CI" (an empty name
// refused first) and sees its address once, with Copy (the clipboard holds it); reopened, the
// address is gone. A Slack-style post to it from Node shows live on Olga's and Mike's pages under
// "Jenkins" (its `username`) with the bot tag, its link a link and "passed" bold. "New address"
// (asked first) makes the old address answer 404 and the new one post; "Delete" (asked first)
// empties the list and the address answers 404. Root, as server admin, sees the room's webhooks
// too. axe on the section (empty, a new address, the list, the question), light and dark.
//
// Outgoing webhooks, on a server that lets them reach loopback (`CONFAB_WEBHOOK_ALLOW_PRIVATE`,
// `--webhook-allow-private`) and disables one after 4 failures in a row: Owen adds "Pinger" with
// the URL of a receiver run here in Node (a bad URL refused by the form first) and sees its secret
// once, with how to check a signature. A message he sends from the composer reaches the receiver,
// signed (HMAC-SHA256 of the raw body, checked here); its answer `{"text": "pong *now*"}` shows in
// the room under "Pinger" with the bot tag, and the webhook's own post is not sent to it. The
// receiver then answers 500: reopened, the list says "Failing: HTTP 500 (2 in a row)", then
// "Disabled after 4 failures"; "New secret and enable" (asked first) enables it and the messages
// it missed arrive, in order, signed with the new secret. On a server without the flag, a private
// receiver (http://localhost:9/x) is refused under its field. axe on each state, light and dark.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { startServer } from './server.js';
import { launch, watch, openPage, register, createRoom, waitConnected, axeBoth, send } from './helpers.js';

let server; let browser; let root; let olga; let mike; let roomId;
let firstUrl; let secondUrl;
const problems = [];

const newPage = (name, { bypassCSP = false, clipboard = false } = {}) => openPage(browser, name, problems, { bypassCSP, clipboard: clipboard && server.url });

/** POSTs `payload` to a webhook's address from Node (as a CI tool would): {status, json}. */
async function hook(url, payload) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** The first row of a message whose text has `text`: where its sender's header is. */
const postRow = (page, text) => page.locator('#messages li.msg.first', { has: page.locator('.msg-body p', { hasText: text }) });

async function joinAndOpen(page) {
  await page.evaluate(async (id) => { await window.confab.api.joinRoom(id); location.hash = `#/rooms/${id}`; }, roomId);
  await page.reload();
  await page.waitForSelector('#room-name:has-text("#builds")');
  await waitConnected(page);
}

async function openWebhooks(page) {
  await page.click('#btn-room-settings');
  await page.waitForSelector('#dlg-room-settings[open]');
  await page.click('#webhooks-summary');
  await page.waitForSelector('#room-webhooks[open] #webhook-list[aria-busy=false]');
}

async function closeSettings(page) {
  await page.keyboard.press('Escape');
  await page.waitForSelector('#dlg-room-settings', { state: 'hidden' });
}

const hookNames = (page) => page.$$eval('#webhook-list li.webhook .webhook-title', (els) => els.map((e) => e.textContent));

describe('incoming webhooks', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000' } });
    browser = await launch();
    root = await newPage('root');
    olga = await newPage('olga', { bypassCSP: true, clipboard: true }); // axe is injected into her page
    mike = await newPage('mike');
    await register(root, server.url, 'root'); // the first account: the server's admin
    await register(olga, server.url, 'olga');
    await createRoom(olga, 'builds');
    roomId = await olga.evaluate(() => window.confab.store.activeRoomId);
    await register(mike, server.url, 'mike');
    await joinAndOpen(mike);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('a plain member sees no room settings and no webhooks; the API refuses him', async () => {
    await mike.waitForSelector('#btn-leave', { state: 'visible' });
    assert.equal(await mike.isVisible('#btn-room-settings'), false);
    assert.equal(await mike.locator('#room-webhooks').count(), 0, 'the section is not even built');
    const status = await mike.evaluate(async (id) => { try { await window.confab.api.request('GET', `/rooms/${id}/webhooks`); return 200; } catch (e) { return e.status; } }, roomId);
    assert.equal(status, 403);
  });

  test('the owner adds a webhook and sees its address once, with Copy', async () => {
    await olga.waitForSelector('#btn-room-settings', { state: 'visible' });
    await openWebhooks(olga);
    await olga.waitForSelector('#webhook-list li:has-text("No webhooks yet.")');
    await axeBoth(olga, 'webhooks (none yet)');

    // The form's own check.
    await olga.click('#webhook-add');
    await olga.waitForSelector('#err-webhook-name:not([hidden])');
    assert.match(await olga.textContent('#err-webhook-name'), /^Give the webhook a name/);
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'webhook-name');

    // The server's own check, under the field (errors[0].field = name).
    const refused = olga.waitForResponse((r) => r.url().endsWith(`/api/v1/rooms/${roomId}/webhooks`) && r.request().method() === 'POST');
    await olga.fill('#webhook-name', 'evil\u202Ename');
    await olga.press('#webhook-name', 'Enter');
    const res = await refused;
    assert.equal(res.status(), 400);
    assert.equal((await res.json()).errors[0].field, 'name');
    await olga.waitForFunction(() => /^The name /.test(document.querySelector('#err-webhook-name').textContent));
    assert.equal(await olga.isVisible('#webhook-form-error'), false, 'said at the field only');
    await axeBoth(olga, 'webhooks (a field error)');

    await olga.fill('#webhook-name', 'CI');
    await olga.press('#webhook-name', 'Enter');
    await olga.waitForSelector('#webhook-new:not([hidden])');
    firstUrl = await olga.inputValue('#webhook-url');
    assert.match(firstUrl, /^http:\/\/127\.0\.0\.1:\d+\/hooks\/cfh_[A-Za-z0-9_-]{43}$/);
    assert.equal(await olga.textContent('label[for=webhook-url]'), 'Address of CI');
    assert.match(await olga.textContent('#webhook-url-once'), /will not be shown again/);
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'btn-copy-webhook', 'the focus on Copy');
    assert.deepEqual(await hookNames(olga), ['CI']);
    assert.match(await olga.textContent('#webhook-list li.webhook'), /Added \d{4}-\d{2}-\d{2}/);
    assert.equal(await olga.inputValue('#webhook-name'), '', 'the form is empty again');
    await olga.bringToFront(); // the clipboard wants a focused page
    await olga.keyboard.press('Enter'); // Copy
    await olga.waitForFunction(() => document.querySelector('#webhooks-status').textContent === 'Link copied.');
    assert.equal(await olga.evaluate(() => navigator.clipboard.readText()), firstUrl);
    await axeBoth(olga, 'webhooks (a new address)');

    // The list (GET) has no address; closing the section and opening it again shows none.
    const listed = await olga.evaluate((id) => window.confab.api.request('GET', `/rooms/${id}/webhooks`), roomId);
    assert.deepEqual(listed.webhooks.map((w) => [w.name, w.url, w.user.bot, w.user.display_name]), [['CI', undefined, true, 'CI']]);
    await olga.click('#webhooks-summary');
    await olga.click('#webhooks-summary');
    await olga.waitForSelector('#room-webhooks[open] #webhook-list li.webhook');
    assert.equal(await olga.isVisible('#webhook-new'), false);
    assert.equal(await olga.inputValue('#webhook-url'), '');
    await closeSettings(olga);
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'btn-room-settings', 'the focus back on the button');
  });

  test('a Slack-style post shows live under its username, with the bot tag, a link and bold', async () => {
    const sent = await hook(firstUrl, { text: 'Build <https://ci.example/7|#7> *passed*', username: 'Jenkins' });
    assert.equal(sent.status, 200);
    assert.equal(sent.json.message.posted_as, 'Jenkins');
    for (const page of [olga, mike]) {
      const row = postRow(page, 'Build #7 passed');
      await row.waitFor();
      assert.equal(await row.locator('.author').textContent(), 'Jenkins');
      assert.equal(await row.locator('.author').getAttribute('title'), 'Jenkins, posted by webhook CI');
      assert.equal(await row.locator('.bot-tag').textContent(), 'bot');
      assert.equal(await row.locator('.posted-by').textContent(), ' (posted by webhook CI)');
      assert.equal(await row.locator('.avatar').textContent(), 'J');
      const link = row.locator('.msg-body a');
      assert.equal(await link.textContent(), '#7');
      assert.equal(await link.getAttribute('href'), 'https://ci.example/7');
      assert.equal(await row.locator('.msg-body strong').textContent(), 'passed');
    }
    // Without a username: under the webhook's name, in a group of its own.
    assert.equal((await hook(firstUrl, { text: 'Deploy done' })).status, 200);
    const plain = postRow(mike, 'Deploy done');
    await plain.waitFor();
    assert.equal(await plain.locator('.author').textContent(), 'CI');
    assert.equal(await plain.locator('.posted-by').count(), 0);
    // After a reload (history, and the local copy): the same.
    await mike.reload();
    await waitConnected(mike);
    await postRow(mike, 'Build #7 passed').locator('.author:text-is("Jenkins")').waitFor();
    await axeBoth(olga, 'a webhook post');
  });

  test('a new address (asked first): the old one answers 404, the new one posts', async () => {
    await openWebhooks(olga);
    await olga.click('#webhook-list li.webhook button.rotate');
    await olga.waitForSelector('#dlg-confirm[open]');
    assert.equal(await olga.textContent('#confirm-title'), 'Give CI a new address?');
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'confirm-cancel', 'Cancel first');
    await axeBoth(olga, 'webhooks (new address?)');
    await olga.click('#confirm-ok');
    await olga.waitForFunction((old) => { const i = document.querySelector('#webhook-url'); return !document.querySelector('#webhook-new').hidden && i.value && i.value !== old; }, firstUrl);
    secondUrl = await olga.inputValue('#webhook-url');
    assert.equal(await olga.textContent('label[for=webhook-url]'), 'New address of CI');
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'btn-copy-webhook');
    assert.equal((await hook(firstUrl, { text: 'old address' })).status, 404);
    const sent = await hook(secondUrl, { body: 'Confab **markdown**', client_id: 'ci-run-8' });
    assert.equal(sent.status, 200);
    assert.equal((await hook(secondUrl, { body: 'Confab **markdown**', client_id: 'ci-run-8' })).json.message.id, sent.json.message.id, 'a retry posts nothing twice');
    await mike.locator('#messages .msg-body p', { hasText: 'Confab markdown' }).waitFor();
    assert.equal(await mike.locator('#messages .msg-body p', { hasText: 'Confab markdown' }).count(), 1);
  });

  test('a server admin sees the room\'s webhooks too', async () => {
    await joinAndOpen(root);
    await root.waitForSelector('#btn-room-settings', { state: 'visible' });
    await openWebhooks(root);
    await root.waitForSelector('#webhook-list li.webhook');
    assert.deepEqual(await hookNames(root), ['CI']);
    await closeSettings(root);
  });

  test('delete (asked first): the list is empty and the address answers 404', async () => {
    await olga.click('#webhook-list li.webhook button.delete');
    await olga.waitForSelector('#dlg-confirm[open]');
    assert.equal(await olga.textContent('#confirm-title'), 'Delete the webhook CI?');
    await olga.click('#confirm-cancel');
    await olga.waitForSelector('#dlg-confirm', { state: 'hidden' });
    assert.deepEqual(await hookNames(olga), ['CI'], 'Cancel keeps it');
    assert.equal((await hook(secondUrl, { text: 'still here' })).status, 200);

    await olga.click('#webhook-list li.webhook button.delete');
    await olga.waitForSelector('#dlg-confirm[open]');
    await olga.click('#confirm-ok');
    await olga.waitForSelector('#webhook-list li:has-text("No webhooks yet.")');
    assert.equal(await olga.isVisible('#webhook-new'), false, 'its address goes with it');
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'webhook-name', 'the focus on the form');
    assert.equal((await hook(secondUrl, { text: 'gone' })).status, 404);
    await axeBoth(olga, 'webhooks (deleted)');
    await closeSettings(olga);
    // What it posted stays.
    await postRow(olga, 'Build #7 passed').waitFor();
    assert.deepEqual(problems, []);
  });
});

/** Resolves once `check()` is truthy (polled), with its value; fails after `ms` saying `what`. */
async function until(check, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A webhook receiver on 127.0.0.1: records each request (headers, raw body, JSON) and answers it
 * with `answer(res)`, which a test changes as it goes (by default 200 `{"text": "pong *now*"}`).
 */
function startReceiver() {
  const rx = {
    requests: [],
    answer: (res) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify({ text: 'pong *now*' })); },
  };
  const http = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body = null;
      try { body = JSON.parse(raw.toString('utf8')); } catch { /* recorded as it is */ }
      rx.requests.push({ method: req.method, path: req.url, headers: req.headers, raw, body });
      rx.answer(res);
    });
  });
  return new Promise((resolve) => http.listen(0, '127.0.0.1', () => {
    rx.url = `http://localhost:${http.address().port}/hook`; // a host name: targets are names, not addresses
    rx.close = () => new Promise((r) => { http.closeAllConnections(); http.close(r); });
    resolve(rx);
  }));
}

const sign = (secret, raw) => 'sha256=' + createHmac('sha256', secret).update(raw).digest('hex');
const deliveredBodies = (requests) => requests.map((r) => r.body && r.body.message && r.body.message.body);

describe('outgoing webhooks', () => {
  let srv; let br; let owen; let rx; let room; let secret; let hookId;
  const trouble = [];
  const stateText = () => owen.textContent('#webhook-list li.webhook[data-kind=outgoing] .webhook-state');
  const listed = () => owen.evaluate(async (id) => (await window.confab.api.request('GET', `/rooms/${id}/webhooks`)).webhooks, room);
  async function reopen() {
    await owen.click('#webhooks-summary');
    await owen.click('#webhooks-summary');
    await owen.waitForSelector('#room-webhooks[open] #webhook-list[aria-busy=false] li.webhook');
  }

  before(async () => {
    rx = await startReceiver();
    srv = await startServer({ env: {
      CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000',
      CONFAB_WEBHOOK_ALLOW_PRIVATE: 'true', CONFAB_WEBHOOK_MAX_FAILURES: '4', CONFAB_WEBHOOK_TIMEOUT_SECS: '30',
    } });
    br = await launch();
    const ctx = await br.newContext({ viewport: { width: 1280, height: 860 }, bypassCSP: true }); // axe is injected
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
    owen = await ctx.newPage();
    watch(owen, 'owen', trouble);
    await register(owen, srv.url, 'owen');
    await createRoom(owen, 'pings');
    room = await owen.evaluate(() => window.confab.store.activeRoomId);
  });
  after(async () => {
    if (br) await br.close();
    if (srv) await srv.stop();
    if (rx) await rx.close();
  });

  test('the owner adds an outgoing webhook: its receiver URL asked, its secret shown once with how to check it', async () => {
    await owen.waitForSelector('#btn-room-settings', { state: 'visible' });
    await openWebhooks(owen);
    assert.equal(await owen.isChecked('#webhook-kind-incoming'), true, 'incoming unless asked');
    assert.equal(await owen.isVisible('#webhook-target'), false);
    await owen.check('#webhook-kind-outgoing');
    await owen.waitForSelector('#webhook-target', { state: 'visible' });
    assert.equal(await owen.getAttribute('#webhook-target', 'type'), 'url');
    assert.equal(await owen.getAttribute('#webhook-target', 'maxlength'), '2000');
    assert.equal(await owen.textContent('label[for=webhook-target]'), 'Receiver URL');
    assert.match(await owen.textContent('#webhook-name-help'), /replies show under this name/);
    await axeBoth(owen, 'webhooks (outgoing form)');

    // The form's own check, under the field.
    await owen.fill('#webhook-name', 'Pinger');
    await owen.fill('#webhook-target', 'pings.example/hook');
    await owen.click('#webhook-add');
    await owen.waitForSelector('#err-webhook-target:not([hidden])');
    assert.match(await owen.textContent('#err-webhook-target'), /^Use a full address starting with https:\/\//);
    assert.equal(await owen.evaluate(() => document.activeElement.id), 'webhook-target');
    assert.equal(await owen.isVisible('#err-webhook-name'), false);

    await owen.fill('#webhook-target', rx.url);
    const made = owen.waitForResponse((r) => r.url().endsWith(`/api/v1/rooms/${room}/webhooks`) && r.request().method() === 'POST');
    await owen.press('#webhook-target', 'Enter');
    const res = await made;
    assert.equal(res.status(), 201);
    assert.deepEqual(res.request().postDataJSON(), { name: 'Pinger', target_url: rx.url, events: ['message'] });
    hookId = (await res.json()).id;
    await owen.waitForSelector('#webhook-new:not([hidden])');
    secret = await owen.inputValue('#webhook-url');
    assert.match(secret, /^cfs_[A-Za-z0-9_-]{43}$/);
    assert.equal(await owen.textContent('label[for=webhook-url]'), 'Secret of Pinger');
    const once = await owen.textContent('#webhook-url-once');
    assert.match(once, /will not be shown again/);
    assert.match(once, /X-Confab-Signature header is sha256=HMAC-SHA256\(body, secret\)/);
    assert.equal(await owen.evaluate(() => document.activeElement.id), 'btn-copy-webhook', 'the focus on Copy');
    assert.equal(await owen.inputValue('#webhook-target'), '', 'the form is empty again');
    await owen.bringToFront();
    await owen.keyboard.press('Enter'); // Copy
    await owen.waitForFunction(() => document.querySelector('#webhooks-status').textContent === 'Secret copied.');
    assert.equal(await owen.evaluate(() => navigator.clipboard.readText()), secret);

    // The list: its receiver (as text), its state, "New secret".
    const row = owen.locator('#webhook-list li.webhook[data-kind=outgoing]');
    assert.equal(await row.locator('.webhook-title').textContent(), 'Pinger');
    assert.equal(await row.locator('.webhook-target-url').textContent(), rx.url);
    assert.equal(await row.locator('a').count(), 0, 'the URL is not a link');
    assert.equal(await stateText(), 'Delivering');
    assert.equal(await row.locator('button.rotate').textContent(), 'New secret');
    assert.equal(await row.locator('button.rotate').getAttribute('aria-label'), 'New secret for Pinger');
    await axeBoth(owen, 'webhooks (a new secret)');

    // Listed without its secret; gone from the page once the section closes.
    const [hook] = await listed();
    assert.deepEqual([hook.name, hook.target_url, hook.secret, hook.url, hook.events, hook.disabled, hook.failures], ['Pinger', rx.url, undefined, undefined, ['message'], false, 0]);
    await reopen();
    assert.equal(await owen.isVisible('#webhook-new'), false);
    assert.equal(await owen.inputValue('#webhook-url'), '');
    assert.equal(await owen.isChecked('#webhook-kind-incoming'), true, 'the form as new');
    await closeSettings(owen);
  });

  test('a message from the composer reaches the receiver, signed; its reply shows under the webhook\'s name', async () => {
    await send(owen, 'ping from *owen*');
    const [got] = await until(() => rx.requests.length && rx.requests, 'the delivery');
    assert.equal(got.method, 'POST');
    assert.equal(got.path, '/hook');
    assert.match(got.headers['content-type'], /^application\/json/);
    assert.equal(got.headers['x-confab-signature'], sign(secret, got.raw), 'signed with the secret shown');
    assert.equal(got.body.type, 'message');
    assert.equal(got.body.room_id, room);
    assert.equal(got.body.webhook_id, hookId);
    assert.equal(got.body.message.body, 'ping from *owen*');
    assert.equal(got.body.message.author.username, 'owen');
    assert.equal(got.body.seq, got.body.message.seq);
    assert.equal(String(got.body.timestamp), got.headers['x-confab-timestamp']);
    assert.ok(Math.abs(got.body.timestamp - Date.now() / 1000) < 60);

    const reply = postRow(owen, 'pong now');
    await reply.waitFor();
    assert.equal(await reply.locator('.author').textContent(), 'Pinger');
    assert.equal(await reply.locator('.bot-tag').textContent(), 'bot');
    assert.equal(await reply.locator('.msg-body strong').textContent(), 'now', 'Slack\'s *bold* as bold');
    await owen.waitForTimeout(1500); // a delivery of its own reply would have come by now
    assert.equal(rx.requests.length, 1, 'the webhook\'s own post is not sent to it');
    await axeBoth(owen, 'an outgoing webhook\'s reply');
  });

  test('a failing receiver: "Failing", then "Disabled"; "New secret and enable" sends what it missed, in order', async () => {
    // Two 500s, then the third attempt is held (unanswered) while the list is read.
    let fails = 0;
    const held = [];
    rx.answer = (res) => { if (fails < 2) { fails++; res.writeHead(500); res.end('boom'); } else held.push(res); };
    const before = rx.requests.length;
    await send(owen, 'second message');
    await until(() => held.length === 1, 'the third attempt');
    assert.deepEqual(deliveredBodies(rx.requests.slice(before)), ['second message', 'second message', 'second message'], 'retried');
    await openWebhooks(owen);
    assert.equal(await stateText(), 'Failing: HTTP 500 (2 in a row)');
    assert.equal(await owen.getAttribute('#webhook-list li.webhook[data-kind=outgoing] .webhook-state', 'class'), 'small webhook-state failing');
    assert.equal(await owen.textContent('#webhook-list li.webhook button.rotate'), 'New secret');
    await axeBoth(owen, 'webhooks (failing)');
    await closeSettings(owen);

    // Every attempt fails from now on: after 4 in a row it is disabled.
    rx.answer = (res) => { res.writeHead(500); res.end('boom'); };
    for (const res of held.splice(0)) rx.answer(res);
    await until(async () => (await listed())[0].disabled, 'the webhook disabled');
    await send(owen, 'third message'); // while it is disabled
    await owen.locator('#messages .msg-body p', { hasText: 'third message' }).waitFor();
    await openWebhooks(owen);
    assert.equal(await stateText(), 'Disabled after 4 failures: HTTP 500');
    const rotate = owen.locator('#webhook-list li.webhook button.rotate');
    assert.equal(await rotate.textContent(), 'New secret and enable');
    assert.equal(await rotate.getAttribute('aria-label'), 'New secret and enable Pinger');
    await axeBoth(owen, 'webhooks (disabled)');
    const tried = rx.requests.length;

    // A new secret (asked first) enables it again: deliveries go on from where they stopped.
    rx.answer = (res) => { res.writeHead(204); res.end(); };
    await rotate.click();
    await owen.waitForSelector('#dlg-confirm[open]');
    assert.equal(await owen.textContent('#confirm-title'), 'Give Pinger a new secret?');
    assert.match(await owen.textContent('#confirm-text'), /^Its current secret stops being valid at once: .* enabled again/);
    assert.equal(await owen.textContent('#confirm-ok'), 'New secret and enable');
    assert.equal(await owen.evaluate(() => document.activeElement.id), 'confirm-cancel', 'Cancel first');
    await axeBoth(owen, 'webhooks (new secret and enable?)');
    await owen.click('#confirm-ok');
    await owen.waitForFunction((old) => { const i = document.querySelector('#webhook-url'); return !document.querySelector('#webhook-new').hidden && i.value && i.value !== old; }, secret);
    const fresh = await owen.inputValue('#webhook-url');
    assert.match(fresh, /^cfs_/);
    assert.equal(await owen.textContent('label[for=webhook-url]'), 'New secret of Pinger');
    assert.equal(await owen.evaluate(() => document.activeElement.id), 'btn-copy-webhook');
    assert.match(await owen.textContent('#webhooks-status'), /enabled again/);
    assert.equal(await stateText(), 'Delivering');
    assert.equal(await owen.textContent('#webhook-list li.webhook button.rotate'), 'New secret');

    const resumed = await until(() => rx.requests.length >= tried + 2 && rx.requests.slice(tried), 'the missed messages');
    assert.deepEqual(deliveredBodies(resumed), ['second message', 'third message'], 'from where it stopped, in order');
    for (const r of resumed) {
      assert.equal(r.headers['x-confab-signature'], sign(fresh, r.raw), 'signed with the new secret');
      assert.notEqual(r.headers['x-confab-signature'], sign(secret, r.raw));
    }
    await until(async () => { const [h] = await listed(); return !h.disabled && h.failures === 0 && h.delivered_seq >= resumed[1].body.seq; }, 'its cursor past them');
    await closeSettings(owen);
    assert.deepEqual(trouble, []);
  });

  test('without --webhook-allow-private, a private receiver is refused under its field', async () => {
    const strict = await startServer({ env: { CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000' } });
    try {
      const ctx = await br.newContext({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
      const pia = await ctx.newPage();
      watch(pia, 'pia', trouble);
      await register(pia, strict.url, 'pia');
      await createRoom(pia, 'ops');
      const id = await pia.evaluate(() => window.confab.store.activeRoomId);
      await openWebhooks(pia);
      await pia.check('#webhook-kind-outgoing');
      await pia.fill('#webhook-name', 'Inner');
      await pia.fill('#webhook-target', 'http://localhost:9/x');
      const refused = pia.waitForResponse((r) => r.url().endsWith(`/api/v1/rooms/${id}/webhooks`) && r.request().method() === 'POST');
      await pia.click('#webhook-add');
      const res = await refused;
      assert.equal(res.status(), 400);
      assert.equal((await res.json()).errors[0].field, 'target_url');
      await pia.waitForSelector('#err-webhook-target:not([hidden])');
      assert.equal(await pia.textContent('#err-webhook-target'), 'The receiver URL must not resolve to a private, loopback or link-local address.');
      assert.equal(await pia.evaluate(() => document.activeElement.id), 'webhook-target');
      assert.equal(await pia.isVisible('#webhook-form-error'), false, 'said at the field only');
      assert.equal(await pia.isVisible('#webhook-new'), false);
      assert.equal(await pia.inputValue('#webhook-target'), 'http://localhost:9/x', 'kept for correcting');
      await pia.waitForSelector('#webhook-list li:has-text("No webhooks yet.")');
      await axeBoth(pia, 'webhooks (outgoing, a field error)');
      await ctx.close();
    } finally { await strict.stop(); }
    assert.deepEqual(trouble, []);
  });
});
