import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, fileKind, isInlineImage, thumbBox, sizeProblem, fileNames, UploadQueue, MAX_ATTACHMENTS } from '../../js/files.js';

test('sizes in powers of 1024, one decimal below 10', () => {
  assert.deepEqual([0, 1, 1023, 1024, 1536, 10 * 1024, 1023.9 * 1024, 2.4 * 1024 * 1024, 24 * 1024 * 1024, 5 * 1024 ** 3, 3 * 1024 ** 5].map(formatSize),
    ['0 B', '1 B', '1023 B', '1.0 KB', '1.5 KB', '10 KB', '1.0 MB', '2.4 MB', '24 MB', '5.0 GB', '3072 TB']);
  assert.equal(formatSize(9.97 * 1024), '10 KB', 'no "10.0"');
  assert.equal(formatSize(undefined), '0 B');
});

test('the kind of a file (its icon) from its content type', () => {
  const kinds = {
    'image/png': 'image', 'image/svg+xml': 'image', 'audio/ogg': 'audio', 'video/mp4': 'video', 'application/pdf': 'pdf',
    'application/zip': 'archive', 'application/x-7z-compressed': 'archive', 'application/gzip': 'archive',
    'text/plain; charset=utf-8': 'text', 'Text/Markdown': 'text', 'application/json': 'text', 'application/ld+json': 'text', 'application/atom+xml': 'text',
    'application/octet-stream': 'file', 'application/vnd.ms-excel': 'file', '': 'file', undefined: 'file',
  };
  for (const [type, kind] of Object.entries(kinds)) assert.equal(fileKind(type === 'undefined' ? undefined : type), kind, type);
});

test('inline images: png, jpeg, gif and webp whose size the server knows', () => {
  const file = (content_type, width = 60, height = 40) => ({ content_type, width, height });
  assert.deepEqual(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'IMAGE/PNG'].map((t) => isInlineImage(file(t))), [true, true, true, true, true]);
  assert.equal(isInlineImage(file('image/svg+xml')), false, 'not an SVG (no thumbnail)');
  assert.equal(isInlineImage(file('image/bmp')), false);
  assert.equal(isInlineImage(file('image/png', null, null)), false, 'not decoded by the server');
  assert.equal(isInlineImage(file('text/plain', null, null)), false);
});

test('the box of an image: scaled down to at most 400 px on its longest side, never up, shape kept', () => {
  assert.deepEqual(thumbBox(60, 40), { width: 60, height: 40 });
  assert.deepEqual(thumbBox(4000, 3000), { width: 400, height: 300 });
  assert.deepEqual(thumbBox(1000, 4000), { width: 100, height: 400 });
  assert.deepEqual(thumbBox(400, 400), { width: 400, height: 400 });
  assert.deepEqual(thumbBox(10000, 10), { width: 400, height: 1 }, 'never a zero side');
  assert.deepEqual(thumbBox(900, 300, 300), { width: 300, height: 100 });
});

test('the client checks the server\'s size limit first', () => {
  assert.equal(sizeProblem(10, 10), null);
  assert.equal(sizeProblem(5e9, null), null, 'no limit known: the server decides');
  assert.equal(sizeProblem(12 * 1024 * 1024 + 1, 10 * 1024 * 1024), 'Too large (12 MB): this server takes files up to 10 MB.');
});

test('file names for a line of text', () => {
  const f = (...names) => names.map((name) => ({ name }));
  assert.equal(fileNames(f('a.png')), 'a.png');
  assert.equal(fileNames(f('a.png', 'b.txt', 'c.pdf')), 'a.png, b.txt, c.pdf');
  assert.equal(fileNames(f('a', 'b', 'c', 'd', 'e')), 'a, b, c and 2 more');
});

test('uploads: progress, done and refused entries per room; the message takes the uploaded ones', () => {
  const changes = [];
  const q = new UploadQueue((room) => changes.push(room));
  const a = q.add(1, { name: 'a.png', size: 100, type: 'image/png' });
  const b = q.add(1, { name: 'b.txt', size: 50, type: 'text/plain' });
  const c = q.add(2, { name: 'c.pdf', size: 10, type: 'application/pdf' });
  const big = q.add(1, { name: 'big.bin', size: 1e12, type: '' }, 'Too large');
  assert.deepEqual(q.list(1).map((e) => [e.name, e.status, e.error]), [['a.png', 'uploading', ''], ['b.txt', 'uploading', ''], ['big.bin', 'failed', 'Too large']]);
  assert.equal(new Set([a.key, b.key, c.key, big.key]).size, 4, 'keys are unique');
  q.progress(a.key, 40, 100);
  assert.deepEqual([q.get(a.key).loaded, q.get(a.key).total], [40, 100]);
  assert.equal(q.busy(1), true);
  q.done(a.key, { id: 7, name: 'a.png' });
  assert.equal(q.get(a.key).loaded, 100, 'done is all of it');
  q.fail(b.key, 'The server refused it');
  q.progress(b.key, 10, 50);
  q.done(b.key, { id: 8 });
  assert.deepEqual([q.get(b.key).status, q.get(b.key).loaded, q.get(b.key).file], ['failed', 0, null], 'a settled entry stays settled');
  assert.equal(q.busy(1), false);
  assert.equal(q.busy(2), true, 'per room');
  assert.deepEqual(q.files(1), [{ id: 7, name: 'a.png' }]);
  assert.deepEqual(q.take(1), [{ id: 7, name: 'a.png' }]);
  assert.deepEqual(q.list(1).map((e) => e.name), ['b.txt', 'big.bin'], 'refused ones stay with their reason');
  assert.deepEqual(q.take(1), []);
  assert.equal(q.remove(big.key).name, 'big.bin');
  assert.equal(q.remove(big.key), null);
  q.progress('nope', 1, 1);
  assert.deepEqual(changes, [1, 1, 2, 1, 1, 1, 1, 1, 1], 'each change once, for its room');
  assert.deepEqual(q.clear().map((e) => e.name), ['c.pdf'], 'the running ones, to abort');
  assert.deepEqual([q.list(1), q.list(2)], [[], []]);
  assert.deepEqual(changes.slice(9), [1, 2]);
});

test('uploads: a message carries at most 10 files (refused ones do not count)', () => {
  const q = new UploadQueue();
  q.add(1, { name: 'x', size: 1, type: '' }, 'refused');
  const keys = Array.from({ length: MAX_ATTACHMENTS }, (_, i) => q.add(1, { name: `f${i}`, size: 1, type: '' }).key);
  assert.equal(q.list(1).filter((e) => e.status === 'uploading').length, MAX_ATTACHMENTS);
  const extra = q.add(1, { name: 'eleven', size: 1, type: '' });
  assert.deepEqual([extra.status, extra.error], ['failed', 'A message can carry at most 10 files.']);
  assert.equal(q.add(2, { name: 'other room', size: 1, type: '' }).status, 'uploading');
  q.remove(keys[0]);
  assert.equal(q.add(1, { name: 'fits again', size: 1, type: '' }).status, 'uploading');
});
