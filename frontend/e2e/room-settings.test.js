// A room's settings and its members' roles. Olga creates #plans; Mike, a plain member, sees no
// "Room settings" and no role controls. Olga's own checks (an empty name) and the server's
// refusals (a name with a bidi control: its `errors[].field`; a name taken: 409) show under the
// name; she renames the room and sets its topic, and Mike's open page shows both at once (header
// and sidebar). Olga makes Mike a room admin from the members panel (the focus stays on the
// button, now "Make member"); Mike's open page follows at once (member_updated), and after a
// reload: he gets "Room settings" and still no role controls (only owners have them). axe on the dialog and the panel, light and dark.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, openPage, register, createRoom, waitConnected, axeBoth } from './helpers.js';

let server; let browser; let olga; let mike; let roomId; let mikeId;
const problems = [];

const newPage = (name, options) => openPage(browser, name, problems, options);

const memberRow = (page, name) => page.locator('#member-list li.member', { has: page.locator('.member-name', { hasText: new RegExp(`^${name}`) }) });

async function openMembers(page) {
  if ((await page.getAttribute('#btn-members', 'aria-expanded')) !== 'true') await page.click('#btn-members');
  await page.waitForSelector('#members:not([hidden]) #member-list li.member');
}

describe('room settings and roles', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000' } });
    browser = await launch();
    olga = await newPage('olga', { bypassCSP: true }); // axe is injected into her page
    mike = await newPage('mike');
    await register(olga, server.url, 'olga');
    await createRoom(olga, 'plans');
    roomId = await olga.evaluate(() => window.confab.store.activeRoomId);
    await olga.evaluate(() => window.confab.api.createRoom('taken'));
    await register(mike, server.url, 'mike');
    mikeId = await mike.evaluate(() => window.confab.store.me.id);
    await mike.evaluate(async (id) => { await window.confab.api.joinRoom(id); location.hash = `#/rooms/${id}`; }, roomId);
    await mike.reload();
    await mike.waitForSelector('#room-name:has-text("#plans")');
    await waitConnected(mike);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('a plain member sees no room settings and no role controls', async () => {
    await mike.waitForSelector('#btn-leave', { state: 'visible' });
    assert.equal(await mike.isVisible('#btn-room-settings'), false);
    await openMembers(mike);
    await memberRow(mike, 'olga').waitFor();
    assert.equal(await mike.locator('#member-list .set-role, #member-list .ban').count(), 0);
    assert.equal(await mike.isVisible('#moderation'), false);
    // The owner sees both.
    await olga.waitForSelector('#btn-room-settings', { state: 'visible' });
  });

  test('the owner renames the room and sets its topic; the other member sees it without reloading', async () => {
    await olga.click('#btn-room-settings');
    await olga.waitForSelector('#dlg-room-settings[open]');
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'room-set-name', 'the name is focused');
    assert.equal(await olga.inputValue('#room-set-name'), 'plans');
    await axeBoth(olga, 'room settings');

    // The form's own check.
    await olga.fill('#room-set-name', '   ');
    await olga.click('#room-set-save');
    await olga.waitForSelector('#err-room-set-name:not([hidden])');
    assert.equal(await olga.textContent('#err-room-set-name'), 'Give the room a name.');

    // The server's validation problem, under its field (errors[].field = name).
    const refused = olga.waitForResponse((r) => r.url().endsWith(`/api/v1/rooms/${roomId}`) && r.request().method() === 'PATCH');
    await olga.fill('#room-set-name', 'evil\u202Etxt');
    await olga.click('#room-set-save');
    const res = await refused;
    assert.equal(res.status(), 400);
    const problem = await res.json();
    assert.equal(problem.code, 'validation_failed');
    assert.equal(problem.errors[0].field, 'name');
    await olga.waitForFunction(() => /^The name /.test(document.querySelector('#err-room-set-name').textContent));
    assert.equal(await olga.isVisible('#room-set-error'), false, 'said at the field only');
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'room-set-name');
    await axeBoth(olga, 'room settings (a field error)');

    // A name another room has (409 room_name_taken): said at the name too.
    await olga.fill('#room-set-name', 'taken');
    await olga.click('#room-set-save');
    await olga.waitForSelector('#err-room-set-name:has-text("A room with that name exists")');

    await olga.fill('#room-set-name', 'roadmap');
    await olga.fill('#room-set-topic', 'What we ship in Q3');
    await olga.press('#room-set-topic', 'Enter');
    await olga.waitForSelector('#dlg-room-settings', { state: 'hidden' });
    await olga.waitForSelector('#room-name:has-text("#roadmap")');
    assert.equal(await olga.textContent('#room-topic'), 'What we ship in Q3');
    assert.equal(await olga.evaluate(() => document.activeElement.id), 'btn-room-settings', 'the focus back on the button');

    // Mike's page follows at once (room_updated).
    await mike.waitForSelector('#room-name:has-text("#roadmap")');
    await mike.waitForFunction(() => document.querySelector('#room-topic').textContent === 'What we ship in Q3');
    await mike.waitForSelector(`#room-list a[data-room-id="${roomId}"]:has-text("roadmap")`);

    // Clearing the topic.
    await olga.click('#btn-room-settings');
    await olga.fill('#room-set-topic', '');
    await olga.click('#room-set-save');
    await olga.waitForSelector('#dlg-room-settings', { state: 'hidden' });
    await mike.waitForFunction(() => document.querySelector('#room-topic').textContent === '');
  });

  test('the owner makes a member a room admin from the members panel', async () => {
    await openMembers(olga);
    const row = memberRow(olga, 'mike');
    await row.locator('button.set-role').waitFor();
    assert.equal(await row.locator('button.set-role').textContent(), 'Make admin');
    assert.equal(await row.locator('button.set-role').getAttribute('aria-label'), 'Make admin: mike');
    assert.equal(await memberRow(olga, 'olga').locator('button.set-role').count(), 0, 'not myself');
    await axeBoth(olga, 'members (roles)');
    await row.locator('button.set-role').focus();
    await olga.keyboard.press('Enter');
    await olga.waitForFunction((id) => {
      const li = document.querySelector(`#member-list li[data-user-id="${id}"]`);
      return li && li.querySelector('.role') && li.querySelector('.role').textContent === 'admin' && li.querySelector('.set-role').textContent === 'Make member';
    }, mikeId);
    await olga.waitForFunction((id) => document.activeElement && document.activeElement.matches(`li[data-user-id="${id}"] .set-role`), mikeId);
    // The list drawn again (the members loaded again, as a presence change draws it too) keeps the focus there.
    await olga.evaluate((id) => window.confab.sync.loadMembers(id), roomId);
    await olga.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    assert.ok(await olga.evaluate((id) => document.activeElement.matches(`li[data-user-id="${id}"] .set-role`), mikeId), 'the focus stays on the role button');
    const role = await olga.evaluate(async (id) => (await window.confab.api.members(id)).members.find((m) => m.user.username === 'mike').role, roomId);
    assert.equal(role, 'admin');

    // Mike, now a room admin, hears of it (member_updated): "Room settings" and his role tag
    // without a reload, still no role controls; the same after one.
    await mike.waitForSelector('#btn-room-settings', { state: 'visible' });
    await openMembers(mike);
    await memberRow(mike, 'mike').locator('.role:has-text("admin")').waitFor();
    await mike.reload();
    await waitConnected(mike);
    await mike.waitForSelector('#btn-room-settings', { state: 'visible' });
    await openMembers(mike);
    await memberRow(mike, 'mike').locator('.role:has-text("admin")').waitFor();
    await mike.waitForSelector('#moderation:not([hidden])');
    assert.equal(await mike.locator('#member-list .set-role').count(), 0, 'only owners change roles');

    // And back to a member.
    await olga.click(`#member-list li[data-user-id="${mikeId}"] .set-role`);
    await olga.waitForFunction((id) => {
      const li = document.querySelector(`#member-list li[data-user-id="${id}"]`);
      return li && !li.querySelector('.role') && li.querySelector('.set-role').textContent === 'Make admin';
    }, mikeId);
    await mike.waitForSelector('#btn-room-settings', { state: 'hidden' });
    assert.deepEqual(problems, []);
  });
});
