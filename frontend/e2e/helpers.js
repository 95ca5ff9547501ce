// Shared pieces of the browser tests: launching Chromium, signing up through the UI, sending, and
// running axe-core in the page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

export const PASSWORD = 'correct horse battery';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const launch = () => chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });

/** Collects page errors, console errors and unexpected native dialogs into `problems`. */
export function watch(page, name, problems) {
  page.on('dialog', (d) => { problems.push(`${name}: dialog ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|WebSocket|ERR_INTERNET_DISCONNECTED/.test(m.text())) problems.push(`${name} console: ${m.text()}`); });
}

/**
 * A page in a browser context of its own (its own storage and session: another person, or
 * another device), watched into `problems`. `bypassCSP` for a page axe is injected into;
 * `clipboard`: an origin whose pages may read and write the clipboard. The context is
 * `page.context()`.
 */
export async function openPage(browser, name, problems, { bypassCSP = false, clipboard = null, viewport = { width: 1280, height: 860 } } = {}) {
  const ctx = await browser.newContext({ viewport, bypassCSP });
  if (clipboard) await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: clipboard });
  const page = await ctx.newPage();
  watch(page, name, problems);
  return page;
}

export const waitConnected = (page, timeout = 15000) => page.waitForSelector('#conn[data-state=connected]', { timeout });

export async function register(page, url, username) {
  await page.goto(url + '/');
  await page.click('#tab-register');
  await page.fill('#auth-username', username);
  await page.fill('#auth-password', PASSWORD);
  await page.click('#auth-submit');
  await page.waitForSelector('#app:not([hidden])');
  await waitConnected(page);
}

export async function send(page, text) {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

/** Creates a room over the page's API client and opens it. */
export async function createRoom(page, name, visibility = 'public') {
  await page.evaluate(async ([n, v]) => { const r = await window.confab.api.createRoom(n, undefined, v); location.hash = `#/rooms/${r.id}`; }, [name, visibility]);
  await page.reload();
  await page.waitForSelector(`#room-name:has-text("#${name}")`);
  await waitConnected(page);
}

/** Deletes the app's local copy (the app lets go of it), so the next load starts as on a new device. */
export const forgetLocalCopy = (page) => page.evaluate(() => new Promise((r) => { const d = indexedDB.deleteDatabase('confab'); d.onsuccess = r; d.onerror = r; }));

export const msgRow = (page, text) => page.locator('#messages .msg', { has: page.locator('.msg-body p', { hasText: text }) });
export const bodies = (page) => page.$$eval('#messages .msg .msg-body p', (els) => els.map((e) => e.textContent));

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page as it is; returns the violations as "rule (impact): targets" lines. */
export async function axe(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')}`));
  return violations;
}

/** axe on the page as it is now, in light and dark; asserts zero violations for both. */
export async function axeBoth(page, screen) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(50);
    const v = await axe(page);
    console.log(`E2E-AXE screen=${screen} scheme=${colorScheme} violations=${v.length}`);
    assert.deepEqual(v, [], `${screen} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
