// Session lifecycle against a server with 20-second access tokens: silent refresh, and a session
// revoked from another tab sends this one back to the sign-in screen.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from './server.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let server; let browser; let ctx; let page;
const errors = [];

describe('sessions', () => {
  before(async () => {
    server = await startServer({ env: { CONFAB_ACCESS_TOKEN_TTL: '20' } });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
    ctx = await browser.newContext();
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => { errors.push('dialog ' + d.message()); d.dismiss(); });
  });
  after(async () => { if (browser) await browser.close(); if (server) await server.stop(); });

  test('an expiring access token is refreshed silently (REST and socket)', async () => {
    await page.goto(server.url + '/');
    await page.click('#tab-register');
    await page.fill('#auth-username', 'carol');
    await page.fill('#auth-password', 'correct horse battery');
    await page.click('#auth-submit');
    await page.waitForSelector('#conn[data-state=connected]');
    const first = await page.evaluate(() => JSON.parse(localStorage.getItem('confab.tokens')).refresh_token);
    await page.waitForTimeout(21000); // the access token has expired now
    await page.click('#btn-create');
    await page.fill('#create-name', 'after-expiry');
    await page.click('#create-submit');
    await page.waitForSelector('#room-name:has-text("#after-expiry")');
    const second = await page.evaluate(() => JSON.parse(localStorage.getItem('confab.tokens')).refresh_token);
    assert.notEqual(first, second, 'the refresh token rotated');
    // A reconnect authenticates with a fresh token.
    await page.evaluate(() => window.confab.socket.drop());
    await page.waitForFunction(() => window.confab.connectionLog.includes('reconnecting'));
    await page.waitForSelector('#conn[data-state=connected]');
    await page.fill('#composer-input', 'still here');
    await page.press('#composer-input', 'Enter');
    await page.waitForSelector('#messages .msg:not(.pending) .msg-body:has-text("still here")');
  });

  test('logging out in another tab ends the session here too', async () => {
    const other = await ctx.newPage();
    await other.goto(server.url + '/');
    await other.waitForSelector('#app:not([hidden])');
    await other.click('#btn-logout');
    await other.waitForSelector('#auth:not([hidden])');
    await page.waitForSelector('#auth:not([hidden])', { timeout: 15000 });
    assert.deepEqual(errors, []);
  });
});
