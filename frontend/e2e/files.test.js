// Files and images between two people: PNGs dropped on the room show inline for the other (in a
// box of the right shape before they load) and open full size in a viewer; a text file attached
// with the button is a card the other downloads byte for byte; an image pasted into the message
// box uploads; an upload cancelled or removed sends nothing; the size limit is checked before
// uploading and the server's reason is shown; a send with a file made offline goes out once when
// the network is back; thumbnails are fetched with the bearer header (never a token in a URL) and
// revoked when the room changes; axe in light and dark. Alice's context keeps the app's CSP (so
// blob: images must pass it); Bob's bypasses it so axe can be injected.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.js';
import { launch, watch, register, send, createRoom, waitConnected, axeBoth, msgRow } from './helpers.js';

const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots');

// ---- a real PNG, made here: two colours, left and right ------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A width × height RGB PNG, red on the left half and blue on the right; `idat` replaces the pixels (a lie about the size). */
function png(width, height, { idat } = {}) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8 bits per channel, RGB
  const row = Buffer.alloc(1 + width * 3); // filter 0, then the pixels
  for (let x = 0; x < width; x++) row.set(x < width / 2 ? [220, 40, 40] : [40, 80, 220], 1 + x * 3);
  const pixels = idat || deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

const small = png(60, 40);
const wide = png(800, 200);
const notes = Buffer.from(Array.from({ length: 50 }, (_, i) => `line ${i + 1}: the quick brown fox\n`).join('').slice(0, 1234), 'utf8'); // "1.2 KB"
const asFile = (name, type, bytes) => ({ name, type, bytes: [...bytes] });

/** Dispatches drag events with `files` (built in the page) on `selector`: 'dragenter' and 'dragover', then 'drop' unless `hover`. */
const dragFiles = (page, selector, files, { hover = false } = {}) => page.evaluate(([sel, list, onlyHover]) => {
  const dt = new DataTransfer();
  for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
  const el = document.querySelector(sel);
  const fire = (type) => el.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  fire('dragenter');
  const accepted = !fire('dragover'); // the app takes the drop: dragover's default is prevented
  if (!onlyHover) fire('drop');
  return accepted;
}, [selector, files, hover]);

/** Pastes `files` into the message box (a synthetic paste with a DataTransfer); returns whether the paste's default was prevented. */
const pasteFiles = (page, files) => page.evaluate((list) => {
  const dt = new DataTransfer();
  for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
  const ta = document.getElementById('composer-input');
  ta.focus();
  return !ta.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }));
}, files);

const uploadRows = (page) => page.$$eval('#uploads .upload', (els) => els.map((li) => [li.querySelector('.upload-name').textContent, li.className.replace('upload ', '')]));
const ready = (page, n) => page.waitForFunction((count) => document.querySelectorAll('#uploads .upload.done').length === count && !document.querySelector('#uploads .upload.uploading'), n);
const loadedThumb = (page, name) => page.waitForFunction((alt) => {
  const img = [...document.querySelectorAll('#messages .att-image img')].find((i) => i.alt === alt);
  return img && img.complete && img.naturalWidth > 0;
}, name);
const box = (page, sel) => page.$eval(sel, (el) => { const r = el.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; });
const thumbSel = (name) => `#messages .att-image:has(img[alt="${name}"])`;

let server; let browser; let ctxA; let ctxB; let A; let B; let roomId;
const problems = [];
const sendFrames = []; // Alice's `send` frames
const fileRequests = []; // [page, url, authorization] of every request for a file or an upload

describe('files and images', () => {
  before(async () => {
    server = await startServer();
    browser = await launch();
    ctxA = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    ctxB = await browser.newContext({ viewport: { width: 1200, height: 800 }, bypassCSP: true, acceptDownloads: true });
    A = await ctxA.newPage(); watch(A, 'alice', problems);
    A.on('websocket', (ws) => ws.on('framesent', (f) => {
      const frame = typeof f.payload === 'string' && f.payload.startsWith('{') ? JSON.parse(f.payload) : null;
      if (frame && frame.type === 'send') sendFrames.push(frame);
    }));
    B = await ctxB.newPage(); watch(B, 'bob', problems);
    for (const [page, name] of [[A, 'alice'], [B, 'bob']]) {
      page.on('request', async (r) => {
        if (/\/api\/v1\/(files|rooms\/\d+\/files)/.test(r.url())) fileRequests.push([name, r.url(), (await r.allHeaders()).authorization]);
      });
    }
    await register(A, server.url, 'alice');
    await register(B, server.url, 'bob');
    await createRoom(A, 'media');
    roomId = await A.evaluate(() => window.confab.store.activeRoomId);
    await B.evaluate(async (id) => { await window.confab.api.joinRoom(id); location.hash = `#/rooms/${id}`; }, roomId);
    await B.reload();
    await B.waitForSelector('#room-name:has-text("#media")');
    await waitConnected(B);
    await B.waitForSelector('#composer:not([hidden])');
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  test('PNGs dropped on the room upload at once and are sent; the other sees them inline, in a box of the right shape before they load', async () => {
    // Bob's thumbnails wait until the test lets them through: the box must be there before.
    let release;
    const held = new Promise((r) => { release = r; });
    await B.route('**/api/v1/files/*/thumbnail', async (route) => { await held; await route.continue(); });
    assert.equal(await dragFiles(A, '#timeline', [asFile('wide.png', 'image/png', wide), asFile('small.png', 'image/png', small)], { hover: true }), true, 'the drop is taken');
    assert.equal(await A.isVisible('#drop-zone'), true, 'the drop zone shows');
    await dragFiles(A, '#timeline', [asFile('wide.png', 'image/png', wide), asFile('small.png', 'image/png', small)]);
    assert.equal(await A.isHidden('#drop-zone'), true);
    await ready(A, 2);
    assert.deepEqual(await uploadRows(A), [['wide.png', 'done'], ['small.png', 'done']]);
    assert.ok(small.length < 1024);
    assert.equal(await A.textContent('#uploads .upload:has-text("small.png") .upload-size'), `${small.length} B`);
    await A.press('#composer-input', 'Enter'); // no text: the files alone
    await A.waitForSelector('#uploads', { state: 'hidden' });
    await A.waitForFunction(() => !document.querySelector('#messages .msg.pending'));
    const frame = sendFrames.at(-1);
    assert.equal(frame.body, '');
    assert.equal(frame.attachments.length, 2, 'the send names both files');
    // Bob: two images in reserved boxes (the wide one scaled to 400 px), not loaded yet.
    await B.waitForSelector(thumbSel('small.png'));
    assert.deepEqual(await box(B, thumbSel('small.png')), [60, 40]);
    assert.deepEqual(await box(B, thumbSel('wide.png')), [400, 100]);
    assert.equal(await B.$eval(`${thumbSel('small.png')} img`, (i) => i.naturalWidth), 0, 'not loaded yet');
    const rowHeight = await B.$eval('#messages .msg:has(.att-image)', (el) => el.getBoundingClientRect().height);
    release();
    await loadedThumb(B, 'small.png');
    await loadedThumb(B, 'wide.png');
    assert.equal(await B.$eval('#messages .msg:has(.att-image)', (el) => el.getBoundingClientRect().height), rowHeight, 'no jump when they load');
    assert.deepEqual(await box(B, thumbSel('small.png')), [60, 40]);
    assert.match(await B.$eval(`${thumbSel('small.png')} img`, (i) => i.src), /^blob:/);
    assert.equal(await B.locator('#messages .msg:has(.att-image) .msg-body').count(), 0, 'no empty body');
    // Alice (with the CSP) sees her own images load too.
    await loadedThumb(A, 'small.png');
    await A.screenshot({ path: join(shots, 'files.png') });
    await B.unroute('**/api/v1/files/*/thumbnail');
    const sent = await A.evaluate(() => window.confab.store.messages(window.confab.store.activeRoomId).at(-1).attachments.map((f) => [f.id, f.name, f.width, f.height]));
    assert.deepEqual(sent.map((f) => f.slice(1)), [['wide.png', 800, 200], ['small.png', 60, 40]]);
    assert.deepEqual(frame.attachments, sent.map((f) => f[0]));
    // Every file request carried the bearer header and no token in its URL.
    const tokens = await Promise.all([A, B].map((p) => p.evaluate(() => window.confab.api.tokens.access_token)));
    assert.ok(fileRequests.length >= 4);
    for (const [who, url, auth] of fileRequests) {
      assert.match(auth || '', /^Bearer \S+/, `${who} ${url}`);
      for (const t of tokens) assert.equal(url.includes(t), false, `no token in ${url}`);
    }
  });

  test('the viewer: a click or Enter opens the full image with a download link; Escape or Close closes it, the focus goes back', async () => {
    await B.click(thumbSel('small.png'));
    await B.waitForSelector('#dlg-viewer[open]');
    assert.equal(await B.textContent('#viewer-title'), 'small.png');
    await B.waitForFunction(() => { const i = document.getElementById('viewer-img'); return !i.hidden && i.complete && i.naturalWidth === 60 && i.naturalHeight === 40; });
    assert.equal(await B.getAttribute('#viewer-img', 'alt'), 'small.png');
    assert.match(await B.getAttribute('#viewer-download', 'href'), /^blob:/);
    assert.equal(await B.getAttribute('#viewer-download', 'download'), 'small.png');
    const src = await B.getAttribute('#viewer-img', 'src');
    await B.keyboard.press('Escape');
    await B.waitForSelector('#dlg-viewer:not([open])', { state: 'attached' });
    assert.equal(await B.evaluate(() => document.activeElement.querySelector('img').alt), 'small.png', 'the focus is back on the thumbnail');
    assert.equal(await B.evaluate((u) => fetch(u).then(() => 'alive', () => 'revoked'), src), 'revoked', 'the full image is let go');
    // By keyboard: the thumbnail is a button.
    await B.focus(thumbSel('wide.png'));
    await B.keyboard.press('Enter');
    await B.waitForSelector('#dlg-viewer[open]');
    await B.waitForFunction(() => document.getElementById('viewer-img').naturalWidth === 800);
    assert.equal(await B.evaluate(() => document.activeElement.id), 'viewer-close');
    await B.keyboard.press('Enter');
    await B.waitForSelector('#dlg-viewer:not([open])', { state: 'attached' });
    assert.equal(await B.evaluate(() => document.activeElement.querySelector('img').alt), 'wide.png');
  });

  test('a text file attached with the button is a card with its name and size; the other downloads it byte for byte', async () => {
    const [chooser] = await Promise.all([A.waitForEvent('filechooser'), A.click('#btn-attach')]);
    assert.equal(chooser.isMultiple(), true);
    await chooser.setFiles({ name: 'notes <b>draft.txt', mimeType: 'text/plain', buffer: notes });
    await ready(A, 1);
    await send(A, 'the notes');
    const row = msgRow(B, 'the notes');
    await row.waitFor();
    const card = row.locator('.file-card');
    assert.equal(await card.locator('.file-name').textContent(), 'notes <b>draft.txt', 'the name as given, as text');
    assert.equal(await card.locator('.file-name b').count(), 0);
    assert.equal(await card.locator('.file-size').textContent(), '1.2 KB');
    assert.equal(await card.locator('.file-icon').getAttribute('data-kind'), 'text');
    const [download] = await Promise.all([B.waitForEvent('download'), card.locator('button.file-download').click()]);
    assert.match(download.suggestedFilename(), /^notes .*draft\.txt$/);
    assert.deepEqual(await readFile(await download.path()), notes);
    assert.equal(await card.locator('button.file-download').textContent(), 'Download');
    // Search results name a message's files.
    await B.keyboard.press('Control+Shift+F');
    await B.fill('#search-input', 'notes');
    await B.waitForSelector('#search-results[data-status=done] .hit');
    assert.equal(await B.textContent('#search-results .hit .hit-files'), 'Files: notes <b>draft.txt');
    await B.keyboard.press('Escape');
    // The text of a message with files may be emptied: the file stays.
    const mine = msgRow(A, 'the notes');
    await mine.hover();
    await mine.locator('button.edit').click();
    await A.fill('.edit-input', '');
    await A.press('.edit-input', 'Enter');
    await B.waitForFunction(() => [...document.querySelectorAll('#messages .file-card .file-name')].some((n) => n.textContent === 'notes <b>draft.txt' && !n.closest('.msg').querySelector('.msg-body')));
  });

  test('an image pasted into the message box uploads; one removed once up is not sent', async () => {
    assert.equal(await pasteFiles(A, [asFile('pasted.png', 'image/png', small)]), true, 'the paste is taken');
    await A.waitForSelector('#uploads .upload:has-text("pasted.png")');
    await ready(A, 1);
    assert.equal(await A.inputValue('#composer-input'), '', 'nothing pasted as text');
    await A.click('#uploads .upload:has-text("pasted.png") button.upload-remove');
    await A.waitForSelector('#uploads', { state: 'hidden' });
    assert.equal(await A.evaluate(() => document.activeElement.id), 'composer-input', 'the focus goes back to the message box');
    await send(A, 'nothing attached');
    const row = msgRow(B, 'nothing attached');
    await row.waitFor();
    assert.equal(await row.locator('.attachments').count(), 0);
  });

  test('an upload in progress holds Send and can be cancelled: nothing is sent with the message', async () => {
    let seen = 0;
    await A.route('**/api/v1/rooms/*/files*', () => { seen++; }); // never answered: the upload stays under way
    await dragFiles(A, '#composer', [asFile('slow.png', 'image/png', wide)]);
    await A.waitForSelector('#uploads .upload.uploading:has-text("slow.png") progress');
    for (let i = 0; i < 100 && !seen; i++) await A.waitForTimeout(20);
    assert.equal(await A.isDisabled('#btn-send'), true, 'Send waits for the upload');
    await A.fill('#composer-input', 'after the cancel');
    await A.press('#composer-input', 'Enter');
    await A.waitForSelector('#toast:not([hidden]):has-text("still uploading")');
    assert.equal(await A.inputValue('#composer-input'), 'after the cancel', 'not sent');
    assert.equal(seen, 1);
    const aborted = A.waitForEvent('requestfailed', (r) => /\/rooms\/\d+\/files/.test(r.url()));
    await A.click('#uploads .upload.uploading button.upload-remove');
    assert.match((await aborted).failure().errorText, /ABORTED/, 'the request itself is cancelled');
    await A.waitForSelector('#uploads', { state: 'hidden' });
    assert.equal(await A.isEnabled('#btn-send'), true);
    await A.unroute('**/api/v1/rooms/*/files*');
    await A.click('#btn-send');
    const row = msgRow(B, 'after the cancel');
    await row.waitFor();
    assert.equal(await row.locator('.attachments').count(), 0);
  });

  test('too large for the server: said before uploading; the server\'s own reason is shown per file', async () => {
    const { max_upload_bytes: max } = await A.evaluate(() => window.confab.api.server());
    assert.equal(typeof max, 'number', 'GET /server tells the limit');
    const before = fileRequests.length;
    await A.evaluate(([size]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(size)], 'huge.bin', { type: 'application/octet-stream' }));
      document.getElementById('timeline').dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, [max + 1]);
    await A.waitForSelector('#uploads .upload.failed:has-text("huge.bin") .upload-error');
    assert.match(await A.textContent('#uploads .upload.failed .upload-error'), /^Too large \(.+\): this server takes files up to .+\.$/);
    assert.equal(fileRequests.length, before, 'no upload was tried');
    // A PNG that claims to be 30000 × 30000: the server refuses it with a reason, shown at the file.
    const bomb = png(30000, 30000, { idat: deflateSync(Buffer.alloc(1000)) });
    const answer = A.waitForResponse((r) => /\/rooms\/\d+\/files/.test(r.url()));
    await dragFiles(A, '#timeline', [asFile('bomb.png', 'image/png', bomb)]);
    const res = await answer;
    const problem = await res.json();
    assert.equal(res.status(), 400);
    assert.ok(problem.detail, 'the server says why');
    await A.waitForSelector('#uploads .upload.failed:has-text("bomb.png") .upload-error');
    assert.equal(await A.textContent('#uploads .upload.failed:has-text("bomb.png") .upload-error'), problem.detail);
    assert.equal(await A.isEnabled('#btn-send'), true, 'refused files do not hold Send');
  });

  test('axe in light and dark: a room with images and a file card, the viewer, the composer with refused uploads', async () => {
    // Bob's composer: one upload ready and one refused.
    await dragFiles(B, '#timeline', [asFile('bob.png', 'image/png', small)]);
    await ready(B, 1);
    await B.evaluate(async () => {
      const { max_upload_bytes: max } = await window.confab.api.server();
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(max + 1)], 'huge.zip', { type: 'application/zip' }));
      document.getElementById('composer-input').dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt }));
    });
    await B.waitForSelector('#uploads .upload.failed .upload-error');
    await axeBoth(B, 'room with files');
    await B.click(thumbSel('wide.png'));
    await B.waitForFunction(() => document.getElementById('viewer-img').naturalWidth === 800);
    await axeBoth(B, 'image viewer');
    await B.keyboard.press('Escape');
    await B.waitForSelector('#dlg-viewer:not([open])', { state: 'attached' });
    await B.screenshot({ path: join(shots, 'files-composer.png') });
  });

  test('a file sent offline waits with the message and goes out once when the network is back', async () => {
    await A.setInputFiles('#file-input', { name: 'offline.txt', mimeType: 'text/plain', buffer: Buffer.from('made offline\n') });
    await ready(A, 1);
    await ctxA.setOffline(true);
    await A.waitForSelector('#conn[data-state=offline]', { timeout: 5000 });
    await send(A, 'sent offline');
    const pending = A.locator('#messages .msg.pending', { has: A.locator('.msg-body p', { hasText: 'sent offline' }) });
    await pending.waitFor();
    assert.equal(await pending.locator('.file-card .file-name').textContent(), 'offline.txt', 'the pending message shows its file');
    await ctxA.setOffline(false);
    await waitConnected(A);
    await A.waitForFunction(() => !document.querySelector('#messages .msg.pending'));
    const row = msgRow(B, 'sent offline');
    await row.waitFor();
    assert.equal(await row.locator('.file-card .file-name').textContent(), 'offline.txt');
    await B.waitForTimeout(300);
    assert.equal(await msgRow(B, 'sent offline').count(), 1, 'once');
  });

  test('thumbnails are let go when the room changes, and fetched again on the way back', async () => {
    await B.evaluate(async () => { await window.confab.sync.addRoom(await window.confab.api.createRoom('elsewhere', undefined, 'public')); });
    await loadedThumb(B, 'small.png');
    const fresh = await B.$eval(`${thumbSel('small.png')} img`, (i) => i.src);
    assert.equal(await B.evaluate((u) => fetch(u).then(() => 'alive', () => 'revoked'), fresh), 'alive');
    await B.click('#room-list .room-link:has-text("elsewhere")');
    await B.waitForSelector('#room-name:has-text("#elsewhere")');
    assert.equal(await B.evaluate((u) => fetch(u).then(() => 'alive', () => 'revoked'), fresh), 'revoked');
    await B.click('#room-list .room-link:has-text("media")');
    await loadedThumb(B, 'small.png');
    assert.notEqual(await B.$eval(`${thumbSel('small.png')} img`, (i) => i.src), fresh);
    assert.deepEqual(problems, []);
  });
});
