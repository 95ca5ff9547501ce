// Sends that never need a manual retry and a connection badge that tells the truth: the network
// cut (context.setOffline), a connection that stops answering, the server killed and restarted
// under pending sends, rate limits, and a send refused for good. Prints E2E-TIMING lines.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, bodies, msgRow } from './helpers.js';

let server; let browser; let ctxA; let ctxB; let A; let B;
const problems = [];
const timing = (name, ms) => console.log(`E2E-TIMING ${name}=${ms}ms`);
const noPending = (page, timeout = 30000) => page.waitForFunction(() => !document.querySelector('#messages .msg.pending, #messages .msg.failed'), null, { timeout, polling: 50 });

describe('reliable sends and honest status', () => {
  before(async () => {
    // A low send rate so a burst meets rate_limited (it must be retried without the person).
    server = await startServer({ env: { CONFAB_SEND_RATE: '2', CONFAB_SEND_BURST: '4' } });
    browser = await launch();
    ctxA = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    ctxB = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    A = await ctxA.newPage(); watch(A, 'alice', problems);
    B = await ctxB.newPage(); watch(B, 'bob', problems);
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    await createRoom(A, 'ops');
    await B.click('#btn-browse');
    await B.click('#browse-list .browse-item:has-text("#ops") button:has-text("Join")');
    await B.waitForSelector('#composer:not([hidden])');
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('network cut: "Offline" at once; sends wait and go out in order when it is back', async () => {
    const t0 = Date.now();
    await ctxA.setOffline(true);
    await A.waitForSelector('#conn[data-state=offline]:text-is("Offline")', { timeout: 5000 });
    timing('network_cut_to_offline', Date.now() - t0);
    for (const n of [1, 2, 3]) await send(A, `offline ${n}`);
    await A.waitForSelector('#messages .msg.pending:has-text("offline 3") .status:has-text("Waiting for the connection")');
    await A.waitForTimeout(1500); // past the old "failed after 10 s" is not needed: nothing turns failed while offline
    assert.equal(await A.locator('#messages .msg.failed').count(), 0);
    const t1 = Date.now();
    await ctxA.setOffline(false);
    await waitConnected(A, 5000);
    await noPending(A);
    timing('network_back_to_acked', Date.now() - t1);
    await B.waitForSelector('#messages .msg-body:has-text("offline 3")');
    const seen = (await bodies(B)).filter((t) => t.startsWith('offline'));
    assert.deepEqual(seen, ['offline 1', 'offline 2', 'offline 3'], 'each once, in order');
  });

  test('a connection that stops answering is detected by the heartbeat and replaced', async () => {
    // Make the page deaf to its socket (as a half-open TCP connection would be), then probe.
    await A.evaluate(() => { const s = window.confab.socket; s.o.pongMs = 1000; s.ws.onmessage = null; window.confab.connectionLog.length = 0; s.probe(); });
    const t0 = Date.now();
    await A.waitForFunction(() => window.confab.connectionLog.includes('reconnecting'), null, { timeout: 5000 });
    timing('heartbeat_deadline_to_reconnecting', Date.now() - t0);
    await waitConnected(A, 5000);
    await send(A, 'after the heartbeat');
    await B.waitForSelector('#messages .msg-body:has-text("after the heartbeat")');
  });

  test('server killed with sends pending: "Reconnecting in N s", then resent once each, in order', async () => {
    await server.kill();
    await A.waitForSelector('#conn[data-state=reconnecting]', { timeout: 10000 });
    for (const n of [1, 2]) await send(A, `during restart ${n}`);
    await A.waitForFunction(() => /Reconnecting in \d+ s|Reconnecting…/.test(document.getElementById('conn').textContent), null, { timeout: 5000 });
    const t0 = Date.now();
    await server.start();
    const started = Date.now() - t0;
    await noPending(A, 40000);
    timing('server_restart_to_acked', Date.now() - t0);
    timing('server_restart_itself', started);
    await waitConnected(B, 40000);
    await B.waitForSelector('#messages .msg-body:has-text("during restart 2")', { timeout: 20000 });
    await B.waitForTimeout(300);
    const seen = (await bodies(B)).filter((t) => t.startsWith('during restart'));
    assert.deepEqual(seen, ['during restart 1', 'during restart 2']);
    assert.equal((await bodies(A)).filter((t) => t.startsWith('during restart')).length, 2);
  });

  test('a burst over the rate limit is delivered in full and in order, with no manual retry', async () => {
    const n = 9;
    await A.evaluate((count) => { for (let i = 1; i <= count; i++) window.confab.sync.send(window.confab.store.activeRoomId, `burst ${i}`); }, n);
    await noPending(A, 30000);
    await B.waitForSelector(`#messages .msg-body:has-text("burst ${n}")`);
    const seen = (await bodies(B)).filter((t) => t.startsWith('burst'));
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => `burst ${i + 1}`));
  });

  test('a send refused for good asks the person: the reason, Retry and Discard', async () => {
    await A.waitForTimeout(1500); // let the rate limit refill
    await send(A, 'bell \u0007 here');
    const row = A.locator('#messages .msg.failed');
    await row.waitFor();
    assert.match(await row.locator('.status').textContent(), /Not sent: .+ Retry · Discard/);
    await row.locator('button.discard').click();
    await row.waitFor({ state: 'detached' });
    await send(A, 'fine again');
    await msgRow(B, 'fine again').waitFor();
    assert.deepEqual(problems, []);
  });
});
