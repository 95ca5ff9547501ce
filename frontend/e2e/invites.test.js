// Invites on a server that asks for them (CONFAB_REGISTRATION=invite): the first person creates the
// first account and is its admin, creates an invite link and copies it; a second person opens the
// link, creates an account and lands in #general; a third without a link is told one is needed,
// and a revoked link is refused at the form; a closed server offers no create-account tab. The
// sidebar's "Invite people" opens Administration at its Invites tab. axe on it and the join page,
// light and dark. Prints E2E-AXE lines.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, openPage, waitConnected, axeBoth, PASSWORD } from './helpers.js';

let server; let browser; let admin; let adminCtx; let link;
const problems = [];

/** A page in a fresh context (axe needs the CSP bypassed), watched for errors. */
async function newPage(name) {
  const page = await openPage(browser, name, problems, { bypassCSP: true, viewport: { width: 1200, height: 800 } });
  return { ctx: page.context(), page };
}

async function fillAndSubmit(page, username) {
  await page.fill('#auth-username', username);
  await page.fill('#auth-password', PASSWORD);
  await page.click('#auth-submit');
}

const noteText = (page) => page.locator('#auth-note').textContent();

describe('invites', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_REGISTRATION: 'invite', CONFAB_DEFAULT_ROOM: 'general' } });
    browser = await launch();
    ({ ctx: adminCtx, page: admin } = await newPage('ann'));
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('the first account is the admin: the create-account tab opens first and says so', async () => {
    await admin.goto(server.url + '/');
    await admin.waitForSelector('#tab-register[aria-selected=true]');
    assert.match(await noteText(admin), /first account: you will be the server's admin/);
    await fillAndSubmit(admin, 'ann');
    await waitConnected(admin);
    assert.equal(await admin.evaluate(() => window.confab.store.me.role), 'admin');
    await admin.waitForSelector('#btn-invite', { state: 'visible' });
  });

  test('an admin creates an invite link, copies it, and sees it listed', async () => {
    await admin.click('#btn-invite');
    await admin.waitForSelector('#dlg-admin[open] #admin-invites:not([hidden]) #invite-list li');
    assert.equal(await admin.getAttribute('#admin-tab-invites', 'aria-selected'), 'true');
    assert.equal(await admin.evaluate(() => location.hash), '#/admin/invites');
    assert.equal(await admin.evaluate(() => document.activeElement.name), 'uses', 'focus on the first choice');
    assert.match(await admin.locator('#invite-list').textContent(), /No active invite links/);
    await axeBoth(admin, 'invites');
    // Keyboard: the uses radios take the arrows, the form submits with Enter.
    await admin.keyboard.press('ArrowRight');
    assert.equal(await admin.evaluate(() => document.activeElement.value), '5');
    await admin.check('#form-invite input[name=expires][value="86400"]');
    await admin.click('#invite-submit');
    await admin.waitForSelector('#invite-new:not([hidden])');
    link = await admin.inputValue('#invite-link');
    assert.match(link, new RegExp(`^${server.url.replace(/[.]/g, '\\.')}/#/join/[^/]+$`));
    assert.equal(await admin.evaluate(() => document.activeElement.id), 'btn-copy-invite');
    await admin.waitForSelector('#invite-list li.invite');
    const item = await admin.locator('#invite-list li.invite').textContent();
    assert.match(item, /0 of 5 uses/);
    assert.match(item, /Expires in 1 day/);
    assert.match(item, /by ann/);
    assert.ok(item.includes(link), 'the list shows the link');
    // Copy: the clipboard when allowed, else the link is selected for Ctrl+C.
    await adminCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await admin.click('#btn-copy-invite');
    await admin.waitForSelector('#invite-status:has-text("Link copied")');
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), link);
    await admin.evaluate(() => { navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError')); });
    await admin.click('#btn-copy-invite');
    await admin.waitForSelector('#invite-status:has-text("press Ctrl+C")');
    assert.deepEqual(await admin.evaluate(() => { const i = document.activeElement; return [i.id, i.value.slice(i.selectionStart, i.selectionEnd)]; }), ['invite-link', link]);
    await admin.click('#invite-list li.invite button.copy');
    assert.equal(await admin.evaluate(() => String(getSelection())), link, 'a listed link is selected');
    await axeBoth(admin, 'invites (a link created)');
    await admin.keyboard.press('Escape');
  });

  test('a second person opens the link, creates an account and lands in #general', async () => {
    const { ctx, page } = await newPage('ben');
    await page.goto(link);
    await page.waitForSelector('#tab-register[aria-selected=true]');
    await page.waitForSelector('#auth-note:has-text("You are invited")');
    await axeBoth(page, 'join');
    await fillAndSubmit(page, 'ben');
    await waitConnected(page);
    await page.waitForSelector('#room-name:has-text("#general")');
    assert.match(await page.evaluate(() => location.hash), /^#\/rooms\/\d+$/, 'the invite is gone from the address');
    assert.equal(await page.evaluate(() => window.confab.store.me.role), 'member');
    assert.equal(await page.isVisible('#btn-invite'), false, 'members are not offered invites');
    await ctx.close();
    // The admin sees the use counted.
    await admin.click('#btn-invite');
    await admin.waitForSelector('#invite-list li.invite:has-text("1 of 5 uses")');
  });

  test('without a link an invite is needed; a revoked link is refused at the form', async () => {
    const code = new URL(link).hash.slice('#/join/'.length);
    await admin.click(`#invite-list li.invite[data-code="${code}"] button.revoke`);
    await admin.waitForSelector('#invite-list li:has-text("No active invite links")');
    await admin.waitForSelector('#invite-status:has-text("revoked")');
    assert.equal(await admin.evaluate(() => document.activeElement.id), 'invite-submit', 'focus back on the form');
    await admin.keyboard.press('Escape');

    const { ctx, page } = await newPage('cat');
    await page.goto(server.url + '/');
    await page.waitForSelector('#auth-submit:enabled');
    await page.click('#tab-register');
    await page.waitForSelector('#auth-note:has-text("invite link is needed")');
    assert.equal(await page.isVisible('#auth-username'), false, 'no form to fill without an invite');
    await axeBoth(page, 'register (an invite needed)');
    await page.goto(link);
    await page.waitForSelector('#auth-note:has-text("You are invited")');
    await fillAndSubmit(page, 'cat');
    await page.waitForSelector('#auth-error:has-text("This invite link is not valid any more: ask for a new one.")');
    assert.equal(await page.isVisible('#app'), false);
    await axeBoth(page, 'join (refused)');
    await ctx.close();
  });

  test('a closed server: the first account still, then no create-account tab', async () => {
    const closed = await startServer({ env: { CONFAB_REGISTRATION: 'closed' } });
    try {
      const { ctx, page } = await newPage('dot');
      await page.goto(closed.url + '/');
      await page.waitForSelector('#tab-register[aria-selected=true]');
      await fillAndSubmit(page, 'dot');
      await waitConnected(page);
      await page.click('#btn-logout');
      await page.waitForSelector('#auth:not([hidden])');
      await page.waitForSelector('#auth-tabs', { state: 'hidden' });
      assert.equal(await page.textContent('#auth-submit'), 'Sign in');
      await ctx.close();
    } finally { await closed.stop(); }
    assert.deepEqual(problems, []);
  });
});
