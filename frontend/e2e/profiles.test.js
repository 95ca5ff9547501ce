// Profiles and the server's settings, on a server that asks for invites (CONFAB_REGISTRATION=invite).
// Ann (the first account: the admin) creates an invite link in Administration and copies it; Ben
// opens it in another browser, creates his account on the join page and joins Ann's public
// #lobby, where he writes. In Settings → Profile his own checks and the server's refusals show
// under their fields (a display name too long, one the server refuses, a file that is no image);
// he sets a display name, a status and an avatar (a PNG made here), and Ann's open page shows them
// at once, without reloading: in the members panel (the name, @ben after it, the status, the image
// as a blob: URL) and on his message (name, @ben in its title, the image); his avatar removed,
// the initials come back for her. Then Ann edits the server's name and registration policy in
// Administration (a refusal under the name first), and a fresh visitor's sign-in page shows the new
// name and what the policy offers. axe on the profile and the server settings, light and dark.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { launch, openPage, waitConnected, axeBoth, send, msgRow, PASSWORD } from './helpers.js';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');
mkdirSync(shots, { recursive: true });

let server; let browser; let ann; let ben; let annCtx; let link; let lobby; let benId;
const problems = [];

/** A PNG of `size`×`size` pixels of one colour, made here (signature, IHDR, IDAT, IEND, with their CRCs). */
function png(size, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const head = Buffer.alloc(8); head.writeUInt32BE(data.length, 0); head.write(type, 4, 'ascii');
    const tail = Buffer.alloc(4); tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function newPage(name, { bypassCSP = true } = {}) {
  const page = await openPage(browser, name, problems, { bypassCSP });
  return { ctx: page.context(), page };
}

async function fillAndSubmit(page, username) {
  await page.fill('#auth-username', username);
  await page.fill('#auth-password', PASSWORD);
  await page.click('#auth-submit');
  await page.waitForSelector('#app:not([hidden])');
  await waitConnected(page);
}

const benInPanel = (page) => page.locator(`#member-list li.member[data-user-id="${benId}"]`);

describe('profiles and the server\'s settings', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_REGISTRATION: 'invite', CONFAB_ACTION_RATE: '1000', CONFAB_ACTION_BURST: '1000' } });
    browser = await launch();
    ({ ctx: annCtx, page: ann } = await newPage('ann'));
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('the admin invites Ben; he creates his account on the join page and joins her room', async () => {
    await ann.goto(server.url + '/');
    await ann.waitForSelector('#tab-register[aria-selected=true]');
    await fillAndSubmit(ann, 'ann');
    await ann.click('#btn-invite');
    await ann.waitForSelector('#dlg-admin[open] #admin-invites:not([hidden])');
    await ann.click('#invite-submit');
    await ann.waitForSelector('#invite-new:not([hidden])');
    link = await ann.inputValue('#invite-link');
    await annCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await ann.click('#btn-copy-invite');
    await ann.waitForSelector('#invite-status:has-text("Link copied")');
    assert.equal(await ann.evaluate(() => navigator.clipboard.readText()), link);
    await ann.keyboard.press('Escape');
    await ann.waitForSelector('#dlg-admin', { state: 'hidden' });
    // A public room, through the create dialog.
    await ann.click('#btn-create');
    await ann.fill('#create-name', 'lobby');
    await ann.click('#create-submit');
    await ann.waitForSelector('#room-name:has-text("#lobby")');
    lobby = await ann.evaluate(() => window.confab.store.activeRoomId);

    ({ page: ben } = await newPage('ben', { bypassCSP: false }));
    await ben.goto(link);
    await ben.waitForSelector('#auth-note:has-text("You are invited")');
    await fillAndSubmit(ben, 'ben');
    benId = await ben.evaluate(() => window.confab.store.me.id);
    await ben.click('#btn-browse');
    await ben.click('#browse-list button[aria-label="Join #lobby"]');
    await ben.waitForSelector('#room-name:has-text("#lobby")');
    await send(ben, 'hello from ben');
    await msgRow(ann, 'hello from ben').waitFor();
    await ann.click('#btn-members');
    await benInPanel(ann).waitFor();
    assert.equal(await benInPanel(ann).locator('.member-name').textContent(), 'ben');
    assert.equal(await benInPanel(ann).locator('.avatar').textContent(), 'B', 'initials, drawn as text');
    assert.equal(await benInPanel(ann).locator('img').count(), 0);
  });

  test('Ben sets a display name, a status and an avatar; Ann sees them at once', async () => {
    await ben.click('#btn-settings');
    await ben.waitForSelector('#dlg-settings[open] #settings-profile');
    assert.equal(await ben.evaluate(() => document.activeElement.id), 'profile-name', 'the profile comes first');
    assert.match(await ben.textContent('#profile-name-help'), /@ben/);

    // The form's own check (the field's maxlength aside), then the server's refusal at its field.
    await ben.evaluate(() => { document.querySelector('#profile-name').value = 'n'.repeat(65); });
    await ben.click('#profile-save');
    await ben.waitForSelector('#err-profile-name:has-text("Use at most 64 characters.")');
    const refused = ben.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH');
    await ben.fill('#profile-name', 'Ben\u202E Ross');
    await ben.click('#profile-save');
    const res = await refused;
    assert.equal(res.status(), 400);
    const problem = await res.json();
    assert.equal(problem.code, 'validation_failed');
    assert.equal(problem.errors[0].field, 'display_name');
    await ben.waitForFunction(() => /^The display name /.test(document.querySelector('#err-profile-name').textContent));
    assert.equal(await ben.isVisible('#profile-error'), false);

    await ben.fill('#profile-name', 'Ben Ross');
    await ben.fill('#profile-status', 'On holiday until Monday');
    await ben.click('#profile-save');
    await ben.waitForSelector('#profile-ok:has-text("Profile saved.")');
    assert.equal(await ben.isVisible('#err-profile-name'), false);
    await ben.waitForFunction(() => document.querySelector('#me-name').textContent === 'Ben Ross');

    // Ann's page, without reloading: the members panel and his message.
    await benInPanel(ann).locator('.member-name:has-text("Ben Ross")').waitFor();
    assert.equal(await benInPanel(ann).locator('.member-user').textContent(), ' @ben');
    assert.equal(await benInPanel(ann).locator('.member-status').textContent(), 'On holiday until Monday');
    assert.equal(await benInPanel(ann).locator('.avatar').textContent(), 'BR');
    const row = msgRow(ann, 'hello from ben');
    await row.locator('.author:has-text("Ben Ross")').waitFor();
    assert.equal(await row.locator('.author').getAttribute('title'), '@ben');

    // A file that is no image (named and typed as one): the server refuses it at the avatar.
    await ben.setInputFiles('#profile-avatar-file', { name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await ben.waitForSelector('#err-profile-avatar:not([hidden])');
    assert.match(await ben.textContent('#err-profile-avatar'), /^The image /);
    assert.equal(await ben.locator('#settings-profile .avatar-preview img').count(), 0, 'the preview is back to the initials');
    // A PDF never leaves the browser.
    await ben.setInputFiles('#profile-avatar-file', { name: 'a.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') });
    await ben.waitForSelector('#err-profile-avatar:has-text("Pick an image")');

    const uploaded = ben.waitForResponse((r) => r.url().endsWith('/api/v1/me/avatar') && r.request().method() === 'PUT');
    await ben.setInputFiles('#profile-avatar-file', { name: 'me.png', mimeType: 'image/png', buffer: png(48, [220, 40, 60]) });
    const put = await uploaded;
    assert.equal(put.status(), 200);
    assert.equal(put.request().headers()['content-type'], 'image/png');
    const user = await put.json();
    assert.match(user.avatar_url, new RegExp(`^/api/v1/users/${benId}/avatar`));
    await ben.waitForSelector('#profile-avatar-status:has-text("Avatar saved.")');
    await ben.waitForSelector('#settings-profile .avatar-preview img[src^="blob:"]');
    assert.equal(await ben.isVisible('#profile-avatar-remove'), true);
    await ben.screenshot({ path: join(shots, 'profile-settings.png') });

    // Ann: the image in the members panel and on his message, as blob: URLs, fetched with her token.
    await benInPanel(ann).locator('img.avatar-img[src^="blob:"]').waitFor();
    await row.locator('.avatar img.avatar-img[src^="blob:"]').waitFor();
    const loaded = await row.locator('.avatar img').evaluate((img) => img.complete && img.naturalWidth > 0);
    assert.ok(loaded, 'the image decodes');
    await ann.screenshot({ path: join(shots, 'profiles.png') });

    // Removed: the initials again, for her too.
    await ben.click('#profile-avatar-remove');
    await ben.waitForSelector('#profile-avatar-status:has-text("Avatar removed")');
    await benInPanel(ann).locator('img').waitFor({ state: 'detached' });
    await row.locator('.avatar img').waitFor({ state: 'detached' });
    assert.equal(await row.locator('.avatar').textContent(), 'BR');
    await ben.keyboard.press('Escape');
  });

  test('a bot the admin made joins and posts with its token; it shows as a bot', async () => {
    const made = await ann.evaluate(() => window.confab.api.request('POST', '/bots', { username: 'ci-bot', display_name: 'CI' }));
    const call = (method, path, body) => fetch(server.url + '/api/v1' + path, {
      method, headers: { Authorization: 'Bearer ' + made.token, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
    });
    assert.equal((await call('PUT', `/rooms/${lobby}/members/me`)).status, 200);
    assert.equal((await call('POST', `/rooms/${lobby}/messages`, { body: 'build 42 passed' })).status, 201);
    const row = msgRow(ann, 'build 42 passed');
    await row.waitFor();
    assert.equal(await row.locator('.author').textContent(), 'CI');
    assert.equal(await row.locator('.bot-tag').textContent(), 'bot');
    if (!(await ann.isVisible('#member-list'))) await ann.click('#btn-members');
    await ann.locator(`#member-list li[data-user-id="${made.user.id}"] .bot-tag`).waitFor();
    assert.equal(await benInPanel(ann).locator('.bot-tag').count(), 0, 'people are not bots');
  });

  test('the admin edits the server\'s name and registration; a fresh visitor sees them', async () => {
    // Her own profile form, for axe (Ben's page keeps the CSP).
    await ann.click('#btn-settings');
    await ann.waitForSelector('#dlg-settings[open] #settings-profile .avatar-preview .avatar');
    await axeBoth(ann, 'settings (profile)');
    await ann.keyboard.press('Escape');
    await ann.click('#btn-invite');
    await ann.waitForSelector('#dlg-admin[open]');
    await ann.click('#admin-tab-server');
    await ann.waitForSelector('#admin-server:not([hidden]) #admin-server-info dd');
    assert.equal(await ann.inputValue('#admin-server-name'), 'Confab');
    assert.equal(await ann.isChecked('#admin-server input[name=registration][value=invite]'), true);
    await axeBoth(ann, 'admin server (editable)');

    // The form's own check, then the server's refusal under the name.
    await ann.fill('#admin-server-name', ' ');
    await ann.click('#admin-server-save');
    await ann.waitForSelector('#err-admin-server-name:has-text("Give the server a name.")');
    const refused = ann.waitForResponse((r) => r.url().endsWith('/api/v1/admin/server'));
    await ann.fill('#admin-server-name', 'Acme\u202E chat');
    await ann.click('#admin-server-save');
    const res = await refused;
    assert.equal(res.status(), 400);
    assert.equal((await res.json()).errors[0].field, 'name');
    await ann.waitForFunction(() => /^The name /.test(document.querySelector('#err-admin-server-name').textContent));

    await ann.fill('#admin-server-name', 'Acme chat');
    await ann.check('#admin-server input[name=registration][value=open]');
    await ann.click('#admin-server-save');
    await ann.waitForSelector('#admin-server-ok:has-text("Server settings saved.")');
    assert.equal(await ann.isVisible('#err-admin-server-name'), false);
    const now = await ann.evaluate(() => window.confab.api.server());
    assert.equal(now.name, 'Acme chat');
    assert.equal(now.registration, 'open');

    const { ctx, page } = await newPage('visitor');
    await page.goto(server.url + '/');
    await page.waitForSelector('#auth-title:has-text("Acme chat")');
    await page.click('#tab-register');
    await page.waitForSelector('#auth-username', { state: 'visible' });
    assert.equal(await page.isVisible('#auth-note'), false, 'open: no invite needed');

    // Closed: the next visitor gets no create-account tab.
    await ann.check('#admin-server input[name=registration][value=closed]');
    await ann.click('#admin-server-save');
    await ann.waitForFunction(() => document.querySelector('#admin-server-ok').textContent === 'Server settings saved.' && document.querySelector('#admin-server input[value=closed]').checked);
    await page.reload();
    await page.waitForSelector('#auth-title:has-text("Acme chat")');
    await page.waitForSelector('#auth-tabs', { state: 'hidden' });
    await ctx.close();
    // The audit log says so.
    await ann.click('#admin-tab-audit');
    await ann.waitForSelector('#admin-audit-list .audit-text:has-text("ann changed the server\'s settings")');
    await ann.keyboard.press('Escape');
    assert.deepEqual(problems, []);
  });
});
