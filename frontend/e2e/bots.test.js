// Bots end to end. Anna (the first account: the server's admin) opens Administration → Bots (by
// the arrow keys from Invites too): no bots yet. The form's own checks (an empty username, one with
// a space) and the server's refusals (a display name with a bidi control: 400 naming
// `display_name`; a username already taken: 409) show under their fields. She creates "Deploy
// Bot" (@deploy-bot) and "alerts"; each token shows once, with Copy (the clipboard holds it), the
// `Authorization: Bearer <token>` hint and "it will not be shown again"; another tab, or the page
// reopened after a reload, shows it no more, and the list (GET /bots) never has it. From Node, as
// an integration would, the token joins Ben's room and posts: the message shows live on Ben's page
// (which keeps the CSP) under "Deploy Bot" with the bot tag. "New token" (asked first; Cancel
// changes nothing): the old token gets 401, the new one posts. "Deactivate" (asked first): the bot
// leaves the list (as GET /bots says), its token gets 401, what it posted stays, and People shows
// it deactivated; the audit log says it all. Ben, a member, is offered no Administration, its
// route is refused, and the API answers him 403. axe on every state, light and dark.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { launch, openPage, register, createRoom, waitConnected, axeBoth } from './helpers.js';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(shots, { recursive: true });

let server; let browser; let anna; let ben; let roomId;
let token; let secondToken;
const problems = [];

const newPage = (name, { bypassCSP = false, clipboard = false } = {}) => openPage(browser, name, problems, { bypassCSP, clipboard: clipboard && server.url });

/** A request from Node with a bot's token, as an integration makes it: {status, json}. */
async function asBot(botToken, method, path, body) {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${botToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** The page's own API client: {ok} with the answer, or {status, code} of the refusal. */
const api = (page, method, path, body) => page.evaluate(async ([m, p, b]) => {
  try { return { ok: await window.confab.api.request(m, p, b) }; } catch (e) { return { status: e.status, code: e.code }; }
}, [method, path, body]);

/** The first row of a message whose text has `text`: where its sender's header is. */
const postRow = (page, text) => page.locator('#messages li.msg.first', { has: page.locator('.msg-body p', { hasText: text }) });
const botRow = (page, username) => page.locator('#bot-list li.bot', { has: page.locator('.bot-username', { hasText: new RegExp(`^@${username}$`) }) });
const botNames = (page) => page.$$eval('#bot-list li.bot .bot-username', (els) => els.map((e) => e.textContent));
const focused = (page) => page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.getAttribute('aria-label')));

/** Answers the open confirmation dialog: its title, text and action, after Cancel or the action. */
async function confirm(page, { cancel = false } = {}) {
  await page.waitForSelector('#dlg-confirm[open]');
  const said = { title: await page.textContent('#confirm-title'), text: await page.textContent('#confirm-text'), action: await page.textContent('#confirm-ok') };
  assert.equal(await focused(page), 'confirm-cancel', 'Cancel first');
  await page.click(cancel ? '#confirm-cancel' : '#confirm-ok');
  await page.waitForSelector('#dlg-confirm', { state: 'hidden' });
  return said;
}

/** Creates a bot through the form; resolves with the POST's answer (status, request body, JSON). */
async function createBot(page, username, displayName = '') {
  await page.fill('#bot-username', username);
  await page.fill('#bot-display-name', displayName);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/bots') && r.request().method() === 'POST');
  await page.press('#bot-username', 'Enter');
  const res = await answered;
  return { status: res.status(), sent: res.request().postDataJSON(), json: await res.json() };
}

async function openBots(page) {
  await page.click('#btn-settings');
  await page.waitForSelector('#dlg-settings[open] #btn-admin');
  await page.click('#btn-admin');
  await page.waitForSelector('#dlg-admin[open] #admin-people:not([hidden])');
  await page.click('#admin-tab-bots');
  await page.waitForSelector('#admin-bots:not([hidden]) #bot-list[aria-busy=false]');
}

describe('bots', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000' } });
    browser = await launch();
    anna = await newPage('anna', { bypassCSP: true, clipboard: true }); // axe is injected into her page
    ben = await newPage('ben'); // keeps the CSP
    await register(anna, server.url, 'anna'); // the first account: the server's admin
    await register(ben, server.url, 'ben');
    await createRoom(ben, 'deploys');
    roomId = await ben.evaluate(() => window.confab.store.activeRoomId);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('a member is offered no Administration and no Bots; the route is refused and the API answers 403', async () => {
    let asked = 0;
    const count = (r) => { if (new URL(r.url()).pathname.startsWith('/api/v1/bots')) asked++; };
    ben.on('request', count);
    await ben.click('#btn-settings');
    await ben.waitForSelector('#dlg-settings[open]');
    assert.equal(await ben.isVisible('#btn-admin'), false);
    await ben.keyboard.press('Escape');
    await ben.waitForSelector('#dlg-settings', { state: 'hidden' });
    await ben.evaluate(() => { location.hash = '#/admin/bots'; });
    await ben.waitForSelector('#toast:has-text("Only server admins can open Administration.")');
    assert.equal(await ben.isVisible('#dlg-admin'), false);
    assert.equal(await ben.isVisible('#admin-tab-bots'), false);
    assert.equal(await ben.isVisible('#bot-list'), false);
    assert.equal(asked, 0, 'the page never asks for the bots');
    ben.off('request', count);
    assert.equal((await api(ben, 'GET', '/bots')).status, 403);
    assert.equal((await api(ben, 'POST', '/bots', { username: 'sneaky' })).status, 403);
    await ben.evaluate((id) => { location.hash = `#/rooms/${id}`; }, roomId);
    await ben.waitForSelector('#room-name:has-text("#deploys")');
  });

  test('an admin creates bots: the form\'s and the server\'s refusals under their fields; each token shown once, with Copy', async () => {
    await openBots(anna);
    assert.equal(await anna.evaluate(() => location.hash), '#/admin/bots');
    assert.equal(await anna.getAttribute('#admin-tab-bots', 'aria-selected'), 'true');
    await anna.waitForSelector('#bot-list li:has-text("No bots yet.")');
    assert.equal(await anna.isVisible('#bot-new'), false);
    // The arrow keys reach it too.
    await anna.click('#admin-tab-invites');
    await anna.focus('#admin-tab-invites');
    await anna.keyboard.press('ArrowRight');
    assert.equal(await focused(anna), 'admin-tab-bots');
    await anna.waitForSelector('#admin-bots:not([hidden]) #bot-list[aria-busy=false] li');
    assert.equal(await anna.textContent('label[for=bot-username]'), 'Username');
    assert.equal(await anna.textContent('label[for=bot-display-name]'), 'Display name (optional)');
    await axeBoth(anna, 'admin bots (none yet)');

    // The form's own checks, with no request.
    let posted = 0;
    const count = (r) => { if (r.url().endsWith('/api/v1/bots') && r.method() === 'POST') posted++; };
    anna.on('request', count);
    await anna.click('#bot-add');
    await anna.waitForSelector('#err-bot-username:not([hidden])');
    assert.match(await anna.textContent('#err-bot-username'), /^Give the bot a username/);
    assert.equal(await focused(anna), 'bot-username');
    await anna.fill('#bot-username', 'deploy bot!');
    await anna.press('#bot-username', 'Enter');
    await anna.waitForSelector('#err-bot-username:has-text("Use only letters, digits and _ . - (no spaces).")');
    assert.match(await anna.getAttribute('#bot-username', 'aria-describedby'), /\berr-bot-username\b/, 'the error describes its field');
    assert.equal(await focused(anna), 'bot-username');
    anna.off('request', count);
    assert.equal(posted, 0);

    // The server's refusals, under their fields: a display name with a bidi control (400, errors[].field).
    let res = await createBot(anna, 'deploy-bot', 'Deploy\u202EBot');
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 'validation_failed');
    assert.equal(res.json.errors[0].field, 'display_name');
    await anna.waitForFunction(() => /^The display name /.test(document.querySelector('#err-bot-display-name').textContent));
    assert.equal(await anna.isVisible('#err-bot-username'), false);
    assert.equal(await anna.isVisible('#bot-form-error'), false, 'said at the field only');
    assert.equal(await focused(anna), 'bot-display-name');
    // A username that is taken, by a person (409).
    res = await createBot(anna, 'ben');
    assert.equal(res.status, 409);
    await anna.waitForSelector('#err-bot-username:not([hidden])');
    assert.equal(await anna.textContent('#err-bot-username'), 'That username is taken (by a person or a bot): pick another.');
    assert.equal(await anna.isVisible('#err-bot-display-name'), false);
    assert.equal(await anna.isVisible('#bot-form-error'), false);
    assert.equal(await anna.inputValue('#bot-username'), 'ben', 'kept for correcting');
    await axeBoth(anna, 'admin bots (a field error)');

    // Created: the token once, with how to use it; the focus on Copy.
    res = await createBot(anna, 'deploy-bot', 'Deploy Bot');
    assert.equal(res.status, 201);
    assert.deepEqual(res.sent, { username: 'deploy-bot', display_name: 'Deploy Bot' });
    assert.equal(res.json.user.bot, true);
    await anna.waitForSelector('#bot-new:not([hidden])');
    token = await anna.inputValue('#bot-token');
    assert.match(token, /^cfb_[A-Za-z0-9_-]{43}$/);
    assert.equal(token, res.json.token);
    assert.equal(await anna.textContent('label[for=bot-token]'), 'Token of Deploy Bot (@deploy-bot)');
    assert.equal(await anna.textContent('#bot-token-once'), 'Copy it now: it will not be shown again.');
    assert.match(await anna.textContent('#bot-token-use'), /^Use it as Authorization: Bearer <token> on the API/);
    assert.equal(await anna.evaluate(() => document.activeElement.id), 'btn-copy-bot-token', 'the focus on Copy');
    assert.match(await anna.textContent('#bots-status'), /^Bot Deploy Bot \(@deploy-bot\) created: copy its token now, it will not be shown again\.$/);
    assert.equal(await anna.inputValue('#bot-username'), '', 'the form is empty again');
    assert.equal(await anna.inputValue('#bot-display-name'), '');
    await anna.bringToFront(); // the clipboard wants a focused page
    await anna.keyboard.press('Enter'); // Copy
    await anna.waitForFunction(() => document.querySelector('#bots-status').textContent === 'Token copied.');
    assert.equal(await anna.evaluate(() => navigator.clipboard.readText()), token);

    // Its row: display name, @username, the bot tag, when it was added; its buttons say whose they are.
    const row = botRow(anna, 'deploy-bot');
    assert.equal(await row.locator('.bot-name').textContent(), 'Deploy Bot');
    assert.equal(await row.locator('.bot-tag').textContent(), 'bot');
    assert.match(await row.locator('p').textContent(), /^Added \d{4}-\d\d-\d\d · active$/);
    assert.equal(await row.locator('button.rotate').getAttribute('aria-label'), 'New token for Deploy Bot (@deploy-bot)');
    assert.equal(await row.locator('button.deactivate').getAttribute('aria-label'), 'Deactivate Deploy Bot (@deploy-bot)');
    await axeBoth(anna, 'admin bots (a new token)');
    await anna.screenshot({ path: join(shots, 'bots.png') });

    // A second one, without a display name: by its username, the list by name.
    res = await createBot(anna, 'alerts');
    assert.deepEqual(res.sent, { username: 'alerts' });
    await anna.waitForSelector('label[for=bot-token]:text-is("Token of alerts")');
    secondToken = await anna.inputValue('#bot-token');
    assert.notEqual(secondToken, token);
    assert.deepEqual(await botNames(anna), ['@alerts', '@deploy-bot']);
    assert.equal(await botRow(anna, 'alerts').locator('.bot-name').textContent(), 'alerts');

    // Shown once: the list has no token; another tab takes it away; so does the page reopened.
    const listed = (await api(anna, 'GET', '/bots')).ok.bots;
    assert.deepEqual(listed.map((b) => [b.username, b.display_name, b.bot, b.token]), [['alerts', null, true, undefined], ['deploy-bot', 'Deploy Bot', true, undefined]]);
    await anna.click('#admin-tab-audit');
    await anna.waitForSelector('#admin-audit-list li');
    await anna.click('#admin-tab-bots');
    await anna.waitForSelector('#admin-bots:not([hidden]) #bot-list[aria-busy=false] li.bot');
    assert.equal(await anna.isVisible('#bot-new'), false);
    assert.equal(await anna.inputValue('#bot-token'), '');
    await anna.reload();
    await anna.waitForSelector('#dlg-admin[open] #admin-bots:not([hidden]) #bot-list[aria-busy=false] li.bot');
    await waitConnected(anna);
    assert.equal(await anna.isVisible('#bot-new'), false);
    const html = await anna.content();
    assert.equal(html.includes(token) || html.includes(secondToken), false, 'no token anywhere in the page');
    assert.equal(await anna.evaluate(([a, b]) => JSON.stringify({ ...localStorage }).includes(a) || JSON.stringify({ ...localStorage }).includes(b), [token, secondToken]), false, 'nor kept');
  });

  test('with its token, from Node, the bot joins a room and posts: live on Ben\'s page under its name, with the bot tag', async () => {
    const me = await asBot(token, 'GET', '/me');
    assert.equal(me.status, 200);
    assert.deepEqual([me.json.username, me.json.display_name, me.json.bot], ['deploy-bot', 'Deploy Bot', true]);
    assert.equal((await asBot(token, 'PUT', `/rooms/${roomId}/members/me`)).status, 200);
    const sent = await asBot(token, 'POST', `/rooms/${roomId}/messages`, { body: 'Deployed **v1.4** to production', client_id: 'deploy-1' });
    assert.ok([200, 201].includes(sent.status), `sent: ${sent.status}`);
    assert.equal(sent.json.author.bot, true);
    const row = postRow(ben, 'Deployed v1.4 to production');
    await row.waitFor({ timeout: 10000 });
    assert.equal(await row.locator('.author').textContent(), 'Deploy Bot');
    assert.equal(await row.locator('.author').getAttribute('title'), '@deploy-bot');
    assert.equal(await row.locator('.bot-tag').textContent(), 'bot');
    assert.equal(await row.locator('.msg-body strong').textContent(), 'v1.4');
    assert.equal(await ben.locator('#messages .msg-body p', { hasText: 'Deployed v1.4' }).count(), 1, 'once');
  });

  test('a new token (asked first): the old token gets 401, the new one posts', async () => {
    const rotate = () => botRow(anna, 'deploy-bot').locator('button.rotate');
    await rotate().click();
    await anna.waitForSelector('#dlg-confirm[open]');
    await axeBoth(anna, 'admin bots (new token?)');
    const cancelled = await confirm(anna, { cancel: true });
    assert.equal(cancelled.title, 'Give Deploy Bot (@deploy-bot) a new token?');
    assert.match(cancelled.text, /^Its current token stops working at once/);
    assert.equal(cancelled.action, 'New token');
    assert.equal(await focused(anna), 'New token for Deploy Bot (@deploy-bot)', 'the focus back on the button');
    assert.equal(await anna.isVisible('#bot-new'), false);
    assert.equal((await asBot(token, 'GET', '/me')).status, 200, 'Cancel changed nothing');

    const answered = anna.waitForResponse((r) => /\/api\/v1\/bots\/\d+\/token$/.test(r.url()));
    await rotate().click();
    await confirm(anna);
    assert.equal((await answered).status(), 200);
    await anna.waitForSelector('#bot-new:not([hidden])');
    const fresh = await anna.inputValue('#bot-token');
    assert.match(fresh, /^cfb_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(fresh, token);
    assert.equal(await anna.textContent('label[for=bot-token]'), 'New token of Deploy Bot (@deploy-bot)');
    assert.equal(await anna.textContent('#bot-token-once'), 'Copy it now: it will not be shown again.');
    assert.equal(await anna.evaluate(() => document.activeElement.id), 'btn-copy-bot-token');
    assert.match(await anna.textContent('#bots-status'), /has a new token: copy it now, it will not be shown again\. The old one no longer works\.$/);
    await axeBoth(anna, 'admin bots (a new token after rotating)');

    const old = await asBot(token, 'POST', `/rooms/${roomId}/messages`, { body: 'with the old token', client_id: 'deploy-old' });
    assert.equal(old.status, 401);
    assert.equal(old.json.code, 'unauthenticated');
    assert.equal((await asBot(token, 'GET', '/me')).status, 401);
    assert.equal((await asBot(secondToken, 'GET', '/me')).status, 200, 'another bot\'s token is left alone');
    token = fresh;
    const sent = await asBot(token, 'POST', `/rooms/${roomId}/messages`, { body: 'Deployed v1.5 with the new token', client_id: 'deploy-2' });
    assert.ok([200, 201].includes(sent.status), `sent: ${sent.status}`);
    const row = ben.locator('#messages li.msg', { has: ben.locator('.msg-body p', { hasText: 'Deployed v1.5 with the new token' }) });
    await row.waitFor({ timeout: 10000 });
    assert.equal(await ben.locator('#messages .msg-body p', { hasText: 'with the old token' }).count(), 0);
  });

  test('deactivated (asked first): the bot leaves the list, its token gets 401, its messages stay; People shows it deactivated', async () => {
    const deactivate = () => botRow(anna, 'deploy-bot').locator('button.deactivate');
    await deactivate().click();
    await anna.waitForSelector('#dlg-confirm[open]');
    await axeBoth(anna, 'admin bots (deactivate?)');
    const asked = await confirm(anna, { cancel: true });
    assert.equal(asked.title, 'Deactivate the bot Deploy Bot (@deploy-bot)?');
    assert.match(asked.text, /^Its token stops working at once.*What it posted stays/);
    assert.equal(asked.action, 'Deactivate deploy-bot');
    assert.deepEqual(await botNames(anna), ['@alerts', '@deploy-bot'], 'Cancel keeps it');
    assert.equal((await asBot(token, 'GET', '/me')).status, 200);

    const answered = anna.waitForResponse((r) => /\/api\/v1\/bots\/\d+$/.test(r.url()) && r.request().method() === 'DELETE');
    await deactivate().click();
    await confirm(anna);
    assert.equal((await answered).status(), 204);
    await anna.waitForFunction(() => !document.querySelector('#bot-list .bot-username') || ![...document.querySelectorAll('#bot-list .bot-username')].some((e) => e.textContent === '@deploy-bot'));
    assert.deepEqual(await botNames(anna), ['@alerts'], 'out of the list');
    assert.equal(await anna.isVisible('#bot-new'), false, 'its new token goes with it');
    assert.equal(await anna.inputValue('#bot-token'), '');
    assert.equal(await anna.textContent('#bots-status'), 'Bot Deploy Bot (@deploy-bot) deactivated: its token no longer works.');
    assert.equal(await focused(anna), 'Deactivate alerts', 'the focus stays in the list');
    assert.deepEqual((await api(anna, 'GET', '/bots')).ok.bots.map((b) => b.username), ['alerts'], 'as GET /bots says');
    await axeBoth(anna, 'admin bots (one deactivated)');

    const refused = await asBot(token, 'POST', `/rooms/${roomId}/messages`, { body: 'after deactivation', client_id: 'deploy-3' });
    assert.equal(refused.status, 401);
    assert.equal((await asBot(token, 'GET', '/me')).status, 401);
    assert.equal((await asBot(secondToken, 'GET', '/me')).status, 200, 'the other bot still works');
    // What it posted stays, still as a bot.
    await ben.reload();
    await waitConnected(ben);
    const row = postRow(ben, 'Deployed v1.4 to production');
    await row.waitFor();
    assert.equal(await row.locator('.bot-tag').textContent(), 'bot');
    assert.equal(await ben.locator('#messages .msg-body p', { hasText: 'after deactivation' }).count(), 0);

    // The last one deactivated: "No bots yet.", the focus on the form.
    await botRow(anna, 'alerts').locator('button.deactivate').click();
    await confirm(anna);
    await anna.waitForSelector('#bot-list li:has-text("No bots yet.")');
    assert.equal(await focused(anna), 'bot-username');
    assert.equal((await asBot(secondToken, 'GET', '/me')).status, 401);

    // People: the accounts stay, deactivated, with the bot tag.
    await anna.click('#admin-tab-people');
    await anna.fill('#admin-q', 'deploy');
    const person = anna.locator('#admin-people-list li.person', { has: anna.locator('.person-name', { hasText: /^deploy-bot$/ }) });
    await person.locator('.tag-off').waitFor();
    assert.deepEqual(await person.locator('.tag').allTextContents(), ['member', 'bot', 'deactivated']);
    // The audit log says it all, newest first.
    await anna.click('#admin-tab-audit');
    await anna.waitForSelector('#admin-audit-list li:has-text("anna deactivated the bot alerts")');
    const lines = await anna.$$eval('#admin-audit-list .audit-text', (els) => els.map((e) => e.textContent));
    assert.deepEqual(lines.slice(0, 5), [
      'anna deactivated the bot alerts',
      'anna deactivated the bot deploy-bot',
      'anna gave the bot deploy-bot a new token',
      'anna created the bot alerts',
      'anna created the bot deploy-bot',
    ]);
    await anna.keyboard.press('Escape');
    await anna.waitForSelector('#dlg-admin', { state: 'hidden' });
    assert.deepEqual(problems, []);
  });
});
