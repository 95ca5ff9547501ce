// Administration and moderation end to end. Anna (the first account: the server's admin) opens
// Administration from Settings (Ben, a member, is not offered it): everyone a page at a time,
// people found by the start of a name, Ben made admin and back, the last admin refused stepping
// down with the server's words; Ben deactivated while his browser is open (it ends at the sign-in
// screen at once; his sign-in is then refused as deactivated), and reactivated; a password reset
// link made and copied, used in a signed-out browser (his open one is signed out), the new password
// signing in, the link refused a second time; the audit log's lines, newest first, older on
// request; the server's settings as they are; the route #/admin/<tab> after a reload. Carl, owner of
// a room, bans Dina while she has it open (she loses it and is told; Browse → Join says she is
// banned), then unbans her and she joins again. axe on every screen, light and dark; a screenshot
// of the page. Anna's, Carl's and the visitors' contexts bypass the CSP for axe; Ben's and Dina's
// keep it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { launch, openPage, register, createRoom, waitConnected, axeBoth, PASSWORD } from './helpers.js';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(shots, { recursive: true });

const NEW_PASSWORD = 'a brand new password';
const EXTRA = 53; // accounts beyond the named ones: more than one page (50) of people
let server; let browser; let anna; let ben; let carl; let dina; let link; let lounge;
const problems = [];
const contexts = [];

async function newPage(name, { bypassCSP = true } = {}) {
  const page = await openPage(browser, name, problems, { bypassCSP });
  contexts.push(page.context());
  return page;
}

/** Signs in through the form (the page at the sign-in screen); resolves once the app shows, unless `expectRefusal`. */
async function signIn(page, username, password, { expectRefusal = false } = {}) {
  await page.waitForSelector('#auth-submit:enabled');
  await page.fill('#auth-username', username);
  await page.fill('#auth-password', password);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.click('#auth-submit');
  await answered;
  if (expectRefusal) { await page.waitForSelector('#auth-error:not([hidden])'); return page.textContent('#auth-error'); }
  await page.waitForSelector('#app:not([hidden])');
  await waitConnected(page);
  return null;
}

const person = (page, name) => page.locator('#admin-people-list li.person', { has: page.locator('.person-name', { hasText: new RegExp(`^${name}$`) }) });
const names = (page) => page.$$eval('#admin-people-list li.person .person-name', (els) => els.map((e) => e.textContent));
const tags = (row) => row.locator('.tag').allTextContents();
const auditTexts = (page) => page.$$eval('#admin-audit-list .audit-text', (els) => els.map((e) => e.textContent));
const api = (page, method, path, body) => page.evaluate(async ([m, p, b]) => {
  try { return { ok: await window.confab.api.request(m, p, b) }; } catch (e) { return { status: e.status, code: e.code }; }
}, [method, path, body]);

async function search(page, q) {
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/admin/users?') && new URL(r.url()).searchParams.get('q') === q);
  await page.fill('#admin-q', q);
  await answered;
  await page.waitForFunction((want) => document.querySelector('#admin-people-status').textContent.includes(want), `“${q}”`);
}

/** Answers the open confirmation dialog: its title and text, after Cancel or the action. */
async function confirm(page, { cancel = false } = {}) {
  await page.waitForSelector('#dlg-confirm[open]');
  const said = { title: await page.textContent('#confirm-title'), text: await page.textContent('#confirm-text'), action: await page.textContent('#confirm-ok') };
  await page.click(cancel ? '#confirm-cancel' : '#confirm-ok');
  await page.waitForSelector('#dlg-confirm', { state: 'hidden' });
  return said;
}

describe('administration and moderation', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_LOGIN_RATE_PER_MINUTE: '1000', CONFAB_REGISTER_RATE_PER_HOUR: '10000', CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000' } });
    browser = await launch();
    anna = await newPage('anna');
    ben = await newPage('ben', { bypassCSP: false });
    await register(anna, server.url, 'anna');
    await register(ben, server.url, 'ben');
    await anna.evaluate(async ([pw, extra]) => {
      const reg = (username) => window.confab.api.request('POST', '/auth/register', { username, password: pw }, { auth: false });
      for (const name of ['bella', 'bert', 'carl', 'dina']) await reg(name); // in this order: ids ascending
      await Promise.all(Array.from({ length: extra }, (_, i) => reg(`user${String(i).padStart(2, '0')}`)));
    }, [PASSWORD, EXTRA]);
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('Settings offers Administration to admins only; it opens at People, everyone a page at a time', async () => {
    assert.equal(await anna.evaluate(() => window.confab.store.me.role), 'admin', 'the first account is the admin');
    await ben.click('#btn-settings');
    await ben.waitForSelector('#dlg-settings[open]');
    assert.equal(await ben.isVisible('#btn-admin'), false, 'a member is not offered it');
    await ben.keyboard.press('Escape');

    await anna.click('#btn-settings');
    await anna.waitForSelector('#dlg-settings[open] #btn-admin');
    await anna.click('#btn-admin');
    await anna.waitForSelector('#dlg-admin[open] #admin-people:not([hidden])');
    assert.equal(await anna.isVisible('#dlg-settings'), false, 'Settings closed');
    assert.equal(await anna.evaluate(() => location.hash), '#/admin/people');
    assert.equal(await anna.evaluate(() => document.activeElement.id), 'admin-q', 'the search box has the focus');
    assert.equal(await anna.getAttribute('#admin-tab-people', 'aria-selected'), 'true');
    await anna.waitForSelector('#admin-people-list li.person');
    const total = 2 + 4 + EXTRA;
    assert.equal((await names(anna)).length, 50, 'the first page');
    assert.equal(await anna.textContent('#admin-people-status'), '50 people so far.');
    assert.equal(await anna.isVisible('#admin-people-more'), true);
    await anna.click('#admin-people-more');
    await anna.waitForFunction((n) => document.querySelectorAll('#admin-people-list li.person').length === n, total);
    const all = await names(anna);
    assert.deepEqual(all.slice(0, 6), ['anna', 'ben', 'bella', 'bert', 'carl', 'dina'], 'in id order');
    assert.equal(new Set(all).size, total, 'nobody twice');
    assert.equal(await anna.isVisible('#admin-people-more'), false, 'the end');
    assert.equal(await anna.textContent('#admin-people-status'), `${total} people.`);
    // Each person: name, role, last seen; I am "you" and have no Deactivate.
    const me = person(anna, 'anna');
    assert.deepEqual(await tags(me), ['you', 'admin']);
    assert.match(await me.locator('p').textContent(), /^Last seen (just now|\d+ min ago) · joined \d{4}-\d\d-\d\d$/);
    assert.equal(await me.locator('[data-action=active]').count(), 0);
    assert.deepEqual(await tags(person(anna, 'user00')), ['member']);
    assert.match(await person(anna, 'user00').locator('p').textContent(), /^Last seen|^Never signed in/);
    await axeBoth(anna, 'admin people');
  });

  test('people found by the start of a name; Ben made admin and back; the last admin may not step down', async () => {
    await search(anna, 'be');
    assert.deepEqual(await names(anna), ['ben', 'bella', 'bert']);
    assert.equal(await anna.isVisible('#admin-people-more'), false);
    const row = person(anna, 'ben');
    assert.equal(await row.locator('[data-action=role]').getAttribute('aria-label'), 'Make admin: ben');
    await row.locator('[data-action=role]').click();
    await anna.waitForFunction(() => [...document.querySelectorAll('#admin-people-list li.person')].some((li) => li.querySelector('.person-name').textContent === 'ben' && li.querySelector('.tag.role').textContent === 'admin'));
    assert.equal(await person(anna, 'ben').locator('[data-action=role]').textContent(), 'Make member');
    assert.equal(await anna.evaluate(() => document.activeElement.dataset.action), 'role', 'the focus stays on the button');
    const asServer = async () => (await api(anna, 'GET', '/admin/users?q=ben')).ok.users[0].role;
    assert.equal(await asServer(), 'admin');
    await person(anna, 'ben').locator('[data-action=role]').click();
    await person(anna, 'ben').locator('[data-action=role]:text-is("Make admin")').waitFor();
    assert.deepEqual(await tags(person(anna, 'ben')), ['member']);
    assert.equal(await asServer(), 'member');
    // Anna is the only admin: stepping down is refused, in the server's words.
    await search(anna, 'anna');
    await person(anna, 'anna').locator('[data-action=role]').click();
    await anna.waitForSelector('#admin-people-error:not([hidden])');
    assert.equal(await anna.textContent('#admin-people-error'), 'anna: The server needs an active admin: make someone else admin first.');
    assert.deepEqual(await tags(person(anna, 'anna')), ['you', 'admin']);
    assert.equal(await anna.evaluate(() => window.confab.store.me.role), 'admin');
    // Characters no name has: no one, and no request.
    let asked = 0;
    const count = (r) => { if (r.url().includes('/admin/users?')) asked++; };
    anna.on('request', count);
    await anna.fill('#admin-q', 'b!');
    await anna.waitForSelector('#admin-people-status:has-text("no one matches")');
    await anna.waitForTimeout(400);
    anna.off('request', count);
    assert.equal(asked, 0);
    assert.deepEqual(await names(anna), []);
  });

  test('deactivated, Ben\'s open browser ends at the sign-in screen at once and his sign-in is refused; reactivated, he is back', async () => {
    await waitConnected(ben);
    await search(anna, 'ben');
    const row = () => person(anna, 'ben');
    await row().locator('[data-action=active]').click();
    const asked = await confirm(anna, { cancel: true });
    assert.equal(asked.title, 'Deactivate ben?');
    assert.match(asked.text, /^ben is signed out on every device at once/);
    assert.equal(asked.action, 'Deactivate ben');
    assert.equal(await row().locator('[data-action=active]').textContent(), 'Deactivate', 'Cancel changed nothing');
    assert.equal(await anna.evaluate(() => document.activeElement.dataset.action), 'active', 'the focus is back on the button');
    assert.equal(await ben.isVisible('#app'), true);

    await row().locator('[data-action=active]').click();
    await anna.waitForSelector('#dlg-confirm[open]');
    await axeBoth(anna, 'admin confirm');
    await confirm(anna);
    await row().locator('.tag-off').waitFor();
    assert.deepEqual(await tags(row()), ['member', 'deactivated']);
    assert.equal(await row().locator('[data-action=active]').textContent(), 'Reactivate');
    const t0 = Date.now();
    await ben.waitForSelector('#auth:not([hidden])', { timeout: 10000 });
    console.log(`E2E-TIMING deactivated→signed-out ms=${Date.now() - t0}`);
    assert.equal(await ben.isVisible('#app'), false);
    assert.equal(await ben.textContent('#auth-error'), 'Your session has ended. Please sign in again.');
    assert.equal(await ben.evaluate(() => localStorage.getItem('confab.tokens')), null);
    assert.equal(await signIn(ben, 'ben', PASSWORD, { expectRefusal: true }), 'This account is deactivated. Ask an admin.');
    assert.equal(await ben.isVisible('#app'), false);

    await row().locator('[data-action=active]').click();
    const back = await confirm(anna);
    assert.equal(back.title, 'Reactivate ben?');
    await row().locator('[data-action=active]:text-is("Deactivate")').waitFor();
    assert.deepEqual(await tags(row()), ['member']);
    await signIn(ben, 'ben', PASSWORD);
    assert.equal(await ben.evaluate(() => window.confab.store.me.username), 'ben');
  });

  test('a reset link: made and copied here, used once signed out; it signs Ben out and his new password signs in', async () => {
    await anna.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const row = () => person(anna, 'ben');
    await row().locator('[data-action=reset]').click();
    const input = row().locator('input.reset-url');
    await input.waitFor();
    link = await input.inputValue();
    assert.match(link, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/#/reset/[^/]+$`));
    assert.equal(await anna.evaluate(() => document.activeElement.classList.contains('reset-url')), true, 'the link has the focus');
    const about = await row().locator('.reset-box p').first().textContent();
    assert.match(about, /^Works once, until \d{4}-\d\d-\d\d \d\d:\d\d \(24 hours\)\. Send it to ben yourself/);
    const until = await row().locator('.reset-box time').getAttribute('datetime');
    const hours = (Date.parse(until) - Date.now()) / 3600e3;
    assert.ok(hours > 23.9 && hours <= 24, `expires in 24 hours (${hours})`);
    await row().locator('[data-action=copy]').click();
    await row().locator('.reset-box [role=status]:has-text("Link copied.")').waitFor();
    assert.equal(await anna.evaluate(() => navigator.clipboard.readText()), link);
    await search(anna, 'b');
    await person(anna, 'ben').locator('input.reset-url').waitFor(); // the link stays with his row
    await axeBoth(anna, 'admin people (a reset link)');
    await anna.screenshot({ path: join(shots, 'admin.png') });

    const visitor = await newPage('visitor');
    await visitor.goto(link);
    await visitor.waitForSelector('#reset:not([hidden])');
    assert.equal(await visitor.isVisible('#auth'), false);
    assert.equal(await visitor.isVisible('#app'), false);
    assert.equal(await visitor.evaluate(() => document.activeElement.id), 'reset-password');
    await axeBoth(visitor, 'reset');
    await visitor.fill('#reset-password', 'short');
    await visitor.fill('#reset-confirm', 'short');
    await visitor.click('#reset-submit');
    assert.equal(await visitor.textContent('#err-reset-password'), 'Use 8 to 128 characters.');
    await visitor.fill('#reset-password', NEW_PASSWORD);
    await visitor.fill('#reset-confirm', NEW_PASSWORD + '!');
    await visitor.click('#reset-submit');
    assert.equal(await visitor.textContent('#err-reset-confirm'), 'The two passwords are not the same.');
    assert.equal(await visitor.isVisible('#err-reset-password'), false);
    await axeBoth(visitor, 'reset (refused here)');
    await visitor.fill('#reset-confirm', NEW_PASSWORD);
    const answer = visitor.waitForResponse((r) => r.url().endsWith('/api/v1/auth/password-reset'));
    await visitor.click('#reset-submit');
    assert.equal((await answer).status(), 204);
    await visitor.waitForSelector('#auth:not([hidden])');
    assert.equal(await visitor.isVisible('#reset'), false);
    assert.equal(await visitor.textContent('#auth-ok'), 'Your password is set. Sign in with it.');
    assert.equal(await visitor.evaluate(() => location.hash), '#/');
    await axeBoth(visitor, 'sign in (password set)');
    // Every session of Ben's ended: his open browser too.
    await ben.waitForSelector('#auth:not([hidden])', { timeout: 10000 });
    assert.match(await signIn(ben, 'ben', PASSWORD, { expectRefusal: true }), /./, 'the old password no longer works');
    await signIn(visitor, 'ben', NEW_PASSWORD);
    assert.equal(await visitor.evaluate(() => window.confab.store.me.username), 'ben');
    assert.equal(await visitor.isVisible('#auth-ok'), false);

    // The link works once.
    const again = await newPage('visitor 2');
    await again.goto(link);
    await again.waitForSelector('#reset:not([hidden])');
    await again.fill('#reset-password', 'yet another password');
    await again.fill('#reset-confirm', 'yet another password');
    await again.click('#reset-submit');
    await again.waitForSelector('#reset-error:not([hidden])');
    assert.equal(await again.textContent('#reset-error'), 'This link is invalid, used or expired. Ask an admin for a new one.');
    await axeBoth(again, 'reset (a used link)');
    await again.click('#reset-back');
    await again.waitForSelector('#auth:not([hidden])');
    assert.equal(await again.isVisible('#auth-ok'), false);
  });

  test('the audit log: readable lines, newest first, older on request; the server\'s settings; arrows between the tabs', async () => {
    // Enough invite links for a second page of the log.
    await anna.evaluate(async () => { for (let i = 0; i < 50; i++) await window.confab.api.createInvite({ max_uses: 1 }); });
    await anna.click('#admin-tab-audit');
    await anna.waitForSelector('#admin-audit-list li');
    assert.equal(await anna.evaluate(() => location.hash), '#/admin/audit');
    let lines = await auditTexts(anna);
    assert.equal(lines.length, 50);
    assert.ok(lines.every((l) => l === 'anna created an invite link' || /^anna created an invite link \(.+\)$/.test(l)), lines[0]);
    assert.equal(await anna.isVisible('#admin-audit-more'), true);
    await anna.click('#admin-audit-more');
    await anna.waitForFunction(() => document.querySelectorAll('#admin-audit-list li').length > 50);
    await anna.waitForSelector('#admin-audit-more', { state: 'hidden' });
    lines = await auditTexts(anna);
    assert.deepEqual(lines.slice(50), [
      'ben set a new password with a reset link',
      'anna made a password reset link for ben',
      'anna reactivated ben',
      'anna deactivated ben',
      'anna made ben a member',
      'anna made ben an admin',
    ]);
    const times = await anna.$$eval('#admin-audit-list time', (els) => els.map((e) => e.textContent));
    assert.ok(times.every((t) => /^(just now|\d+ min ago)$/.test(t)), times.join());
    await axeBoth(anna, 'admin audit');

    // Arrows move between the tabs; the server's settings say where they come from.
    await anna.focus('#admin-tab-audit');
    await anna.keyboard.press('ArrowRight');
    assert.equal(await anna.evaluate(() => document.activeElement.id), 'admin-tab-server');
    await anna.waitForSelector('#admin-server:not([hidden]) #admin-server-info dd');
    const info = await anna.$$eval('#admin-server-info dt, #admin-server-info dd', (els) => els.map((e) => e.textContent));
    const { version } = await anna.evaluate(() => window.confab.api.server());
    assert.deepEqual(info.slice(0, 2), ['Version', version]);
    // The name and the registration policy are editable (profiles.test.js saves them); the rest is the options'.
    assert.equal(await anna.inputValue('#admin-server-name'), 'Confab');
    assert.equal(await anna.isChecked('#admin-server input[name=registration][value=open]'), true);
    assert.match(await anna.textContent('#admin-server'), /set by the server's options/);
    await axeBoth(anna, 'admin server');
    await anna.keyboard.press('Home');
    assert.equal(await anna.getAttribute('#admin-tab-people', 'aria-selected'), 'true');
    await anna.keyboard.press('ArrowLeft');
    assert.equal(await anna.evaluate(() => document.activeElement.id), 'admin-tab-server', 'round the end');

    // Escape closes it and the route goes back; the route opens it again after a reload.
    await anna.keyboard.press('Escape');
    await anna.waitForSelector('#dlg-admin', { state: 'hidden' });
    // The dialog's `close` event (which moves the route back) is queued after it hides.
    await anna.waitForFunction(() => !/admin/.test(location.hash), null, { timeout: 5000 });
    assert.doesNotMatch(await anna.evaluate(() => location.hash), /admin/);
    await anna.evaluate(() => { location.hash = '#/admin/audit'; });
    await anna.reload();
    await anna.waitForSelector('#dlg-admin[open] #admin-audit:not([hidden]) #admin-audit-list li');
    await anna.keyboard.press('Escape');
  });

  test('Carl bans Dina from his room while she has it open: she loses it and is told; unbanned, she joins again', async () => {
    carl = await newPage('carl');
    dina = await newPage('dina', { bypassCSP: false });
    await carl.goto(server.url + '/');
    await signIn(carl, 'carl', PASSWORD);
    await dina.goto(server.url + '/');
    await signIn(dina, 'dina', PASSWORD);
    await createRoom(carl, 'lounge');
    lounge = await carl.evaluate(() => window.confab.store.activeRoomId);
    await dina.evaluate(async (id) => { await window.confab.sync.addRoom(await window.confab.api.joinRoom(id)); location.hash = `#/rooms/${id}`; }, lounge);
    await dina.waitForSelector('#room-name:has-text("#lounge")');
    await dina.waitForSelector('#composer:not([hidden])');

    await carl.click('#btn-members');
    await carl.waitForSelector('#member-list .member:has-text("dina") button.ban');
    assert.equal(await carl.locator('#member-list .member:has-text("carl") button.ban').count(), 0, 'not myself');
    await carl.waitForSelector('#bans-status:has-text("No one is banned.")');
    assert.equal(await carl.isVisible('#add-member-q'), true, 'an owner may add people');
    await axeBoth(carl, 'members (moderation)');
    assert.equal(await carl.getAttribute('#member-list .member:has-text("dina") button.ban', 'aria-label'), 'Ban dina');
    await carl.click('#member-list .member:has-text("dina") button.ban');
    const asked = await confirm(carl);
    assert.equal(asked.title, 'Ban dina from #lounge?');
    assert.match(asked.text, /^dina leaves the room at once/);

    // Dina: the room goes, and she is told why.
    await dina.waitForSelector('#room-list .room-link:has-text("lounge")', { state: 'detached', timeout: 10000 });
    await dina.waitForSelector('#toast:has-text("You are banned from this room.")');
    assert.equal(await dina.textContent('#room-name'), 'Welcome');
    assert.equal(await dina.isVisible('#composer'), false);
    // Carl: she is out of the members and in the banned, her Unban focused.
    await carl.waitForSelector('#member-list .member:has-text("dina")', { state: 'detached' });
    await carl.waitForSelector('#ban-list li:has-text("dina") button.unban');
    assert.equal(await carl.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Unban dina');
    assert.deepEqual((await api(carl, 'GET', `/rooms/${lounge}/bans`)).ok.users.map((u) => u.username), ['dina']);
    await axeBoth(carl, 'members (one banned)');

    // Trying to come back: Browse → Join says she is banned.
    await dina.click('#btn-browse');
    const item = dina.locator('#browse-list .browse-item', { hasText: '#lounge' });
    await item.waitFor();
    await item.locator('button.primary').click();
    await dina.waitForSelector('#browse-error:has-text("You are banned from this room.")');
    assert.equal(await dina.isVisible('#dlg-browse'), true);
    // Adding her is refused too, said with her name.
    await carl.fill('#add-member-q', 'din');
    await carl.click('#add-member-results button[aria-label="Add dina"]');
    await carl.waitForSelector('#moderation-error:has-text("dina is banned from this room: unban them first.")');
    await carl.fill('#add-member-q', '');

    await carl.click('#ban-list li:has-text("dina") button.unban');
    await carl.waitForSelector('#bans-status:has-text("No one is banned.")');
    assert.equal(await carl.evaluate(() => document.activeElement.id), 'btn-members-close', 'the focus stays in the panel');
    await item.locator('button.primary').click();
    await dina.waitForSelector('#dlg-browse', { state: 'hidden' });
    await dina.waitForSelector('#room-name:has-text("#lounge")');
    await dina.waitForSelector('#composer:not([hidden])');
    await carl.waitForSelector('#member-list .member:has-text("dina")');

    // The log names the room.
    await anna.click('#btn-settings');
    await anna.click('#btn-admin');
    await anna.click('#admin-tab-audit');
    await anna.waitForSelector('#admin-audit-list li:has-text("carl lifted dina\'s ban from #lounge")');
    const top = (await auditTexts(anna)).slice(0, 2);
    assert.deepEqual(top, ["carl lifted dina's ban from #lounge", 'carl banned dina from #lounge']);
    await anna.keyboard.press('Escape');
  });

  test('an owner adds someone to a private room from the members panel', async () => {
    await createRoom(carl, 'backroom', 'private');
    const room = await carl.evaluate(() => window.confab.store.activeRoomId);
    if (await carl.isHidden('#members')) await carl.click('#btn-members');
    await carl.waitForSelector('#moderation:not([hidden]) #add-member-q');
    await carl.fill('#add-member-q', 'din');
    await carl.waitForSelector('#add-member-results button.add');
    assert.equal(await carl.getAttribute('#add-member-results button.add', 'aria-label'), 'Add dina');
    await carl.click('#add-member-results button.add');
    await carl.waitForSelector('#member-list .member:has-text("dina")');
    assert.equal(await carl.evaluate(() => document.activeElement.id), 'add-member-q');
    // Dina gets the room live.
    await dina.waitForSelector('#room-list .room-link:has-text("backroom")');
    assert.equal(await dina.evaluate((id) => window.confab.store.rooms.get(id).joined, room), true);
    assert.deepEqual(problems, []);
  });
});
