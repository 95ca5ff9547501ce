import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlightSegments, snippet, tokenize, filterChips, removeToken, setFilter, groupByRoom, searchError, SearchSession } from '../../js/search.js';
import { ApiError } from '../../js/api.js';

const marked = (segs) => segs.map((s) => (s.mark ? `[${s.text}]` : s.text)).join('');

test('highlights are code-point ranges: emoji and other astral characters count once', () => {
  assert.deepEqual(highlightSegments('Deploy on Friday', [[0, 6]]), [{ text: 'Deploy', mark: true }, { text: ' on Friday', mark: false }]);
  // "🚀" is two UTF-16 units but one code point: [2, 8) is "deploy", not "eploy " or worse.
  assert.equal(marked(highlightSegments('🚀 deploy now', [[2, 8]])), '🚀 [deploy] now');
  assert.equal(marked(highlightSegments('😄😄 café 😄 crème', [[3, 7], [10, 15]])), '😄😄 [café] 😄 [crème]');
  // Astral CJK (U+20BB7 𠮷) and a family emoji made of several code points joined by ZWJ.
  assert.equal(marked(highlightSegments('𠮷野家 会議 👨‍👩‍👧 会議', [[4, 6], [13, 15]])), '𠮷野家 [会議] 👨‍👩‍👧 [会議]');
  assert.equal(marked(highlightSegments('日本語のテキスト', [[0, 3]])), '[日本語]のテキスト');
});

test('highlight ranges are clamped, sorted and merged; none leaves the body as it is', () => {
  assert.equal(marked(highlightSegments('abcdef', [[4, 99], [0, 2], [1, 3]])), '[abc]d[ef]');
  assert.equal(marked(highlightSegments('abc', [[2, 2], [-5, 1], 'x', [1]])), '[a]bc');
  assert.deepEqual(highlightSegments('', []), [{ text: '', mark: false }]);
  assert.deepEqual(highlightSegments('plain', undefined), [{ text: 'plain', mark: false }]);
});

test('a long body is cut around its first highlight, the ranges moved along (in code points)', () => {
  const body = '😄'.repeat(300) + ' needle ' + 'x'.repeat(300);
  const cut = snippet(body, [[301, 307]], { max: 100, before: 10 });
  assert.equal([...cut.body].length, 102, '100 code points and two ellipses');
  assert.ok(cut.body.startsWith('…') && cut.body.endsWith('…'));
  assert.equal([...marked(highlightSegments(cut.body, cut.highlights))].slice(0, 22).join(''), '…' + '😄'.repeat(9) + ' [needle] xx', '10 code points before the match');
  const short = snippet('short one', [[0, 5]]);
  assert.deepEqual(short, { body: 'short one', highlights: [[0, 5]] });
});

test('the query is split like the server does: phrases, filters (any case), words', () => {
  const t = tokenize('FROM:@anna  "release notes" in:#ops deploy from: has:file before:2026-12-01 x:y');
  assert.deepEqual(t.map((x) => [x.kind, x.raw]), [
    ['filter', 'FROM:@anna'], ['phrase', '"release notes"'], ['filter', 'in:#ops'], ['word', 'deploy'],
    ['word', 'from:'], ['filter', 'has:file'], ['filter', 'before:2026-12-01'], ['word', 'x:y'],
  ]);
  assert.deepEqual(tokenize('"in:ops is quoted" "open'), [
    { kind: 'phrase', raw: '"in:ops is quoted"', start: 0, end: 18 }, { kind: 'phrase', raw: '"open', start: 19, end: 24 }]);
  assert.equal(tokenize('before:yesterday')[0].kind, 'filter', 'a bad date is still a filter: the server explains');
});

test('chips show the filters; removing one edits the query', () => {
  const q = 'from:@anna deploy in:#ops "on friday" after:2026-11-01';
  const chips = filterChips(q);
  assert.deepEqual(chips.map((c) => c.label), ['from: anna', 'in: ops', 'after: 2026-11-01']);
  assert.equal(removeToken(q, chips[0]), 'deploy in:#ops "on friday" after:2026-11-01');
  assert.equal(removeToken(q, chips[1]), 'from:@anna deploy "on friday" after:2026-11-01');
  assert.equal(removeToken(q, chips[2]), 'from:@anna deploy in:#ops "on friday"');
  assert.equal(removeToken('in:ops', filterChips('in:ops')[0]), '');
  assert.deepEqual(filterChips('just words "and from:x"'), []);
});

test('adding a filter replaces one of the same name and keeps the last word last (a prefix)', () => {
  assert.equal(setFilter('depl', 'from', 'anna'), 'from:anna depl');
  assert.equal(setFilter('from:bob depl', 'from', 'anna'), 'from:anna depl');
  assert.equal(setFilter('in:ops FROM:bob x from:carl', 'from', 'anna'), 'from:anna in:ops x');
  assert.equal(setFilter('', 'in', 'ops'), 'in:ops ');
  assert.equal(setFilter('x', 'in', 'room with spaces'), null, 'not expressible as a token');
});

test('results are grouped by room in order of their newest hit', () => {
  const hit = (id, room) => ({ message: { id, room_id: room }, highlights: [] });
  const groups = groupByRoom([hit(9, 2), hit(8, 1), hit(7, 2), hit(5, 3)]);
  assert.deepEqual(groups.map((g) => [g.roomId, g.hits.map((x) => x.message.id)]), [[2, [9, 7]], [1, [8]], [3, [5]]]);
});

test('a 400 shows the server\'s validation detail', () => {
  const e = new ApiError(400, { code: 'validation_failed', detail: 'Invalid request', errors: [{ field: 'q', message: 'before: expects a date as YYYY-MM-DD, not "yesterday"' }] });
  assert.equal(searchError(e), 'before: expects a date as YYYY-MM-DD, not "yesterday"');
  assert.equal(searchError(new ApiError(400, { detail: 'q: bad' })), 'q: bad');
  assert.match(searchError(new ApiError(429, {})), /Too many/);
});

/** A SearchSession with fake timers and a search that answers when told. */
function harness() {
  const timers = new Map(); let next = 1;
  const calls = [];
  const states = [];
  const s = new SearchSession({
    search: (q, opts) => new Promise((resolve, reject) => calls.push({ q, opts, resolve, reject })),
    onChange: (st) => states.push(st),
    setTimeout: (fn, ms) => { const id = next++; timers.set(id, { fn, ms }); return id; },
    clearTimeout: (id) => timers.delete(id),
  });
  const tick = () => { const all = [...timers.values()]; timers.clear(); for (const t of all) t.fn(); };
  return { s, calls, states, timers, tick };
}
const hits = (...ids) => ids.map((id) => ({ message: { id, room_id: 1, body: 'b' }, highlights: [] }));
const flush = () => new Promise((r) => setImmediate(r));

test('typing is debounced: one request for the text as it stands after the pause', () => {
  const h = harness();
  h.s.input('d'); h.s.input('de'); h.s.input('dep');
  assert.equal(h.timers.size, 1);
  assert.equal([...h.timers.values()][0].ms, 200);
  assert.equal(h.calls.length, 0);
  h.tick();
  assert.deepEqual(h.calls.map((c) => c.q), ['dep']);
  assert.equal(h.s.state.status, 'loading');
});

test('only the latest query\'s answer is shown: a stale one is aborted and dropped', async () => {
  const h = harness();
  h.s.now('dep');
  h.s.now('deploy');
  assert.equal(h.calls[0].opts.signal.aborted, true, 'the older request is aborted');
  assert.equal(h.calls[1].opts.signal.aborted, false);
  h.calls[1].resolve({ results: hits(5), has_more: false });
  await flush();
  h.calls[0].resolve({ results: hits(1, 2, 3), has_more: true }); // the old one answers late anyway
  await flush();
  assert.equal(h.s.state.query, 'deploy');
  assert.deepEqual(h.s.state.hits.map((x) => x.message.id), [5]);
  // A stale failure is dropped too; clearing the box cancels what is in flight.
  h.s.now('x');
  h.s.input('');
  h.calls[2].reject(new ApiError(500, {}));
  await flush();
  assert.equal(h.s.state.status, 'idle');
  assert.deepEqual(h.s.state.hits, []);
});

test('errors and empty answers are states, shown inline', async () => {
  const h = harness();
  h.s.now('before:yesterday');
  h.calls[0].reject(new ApiError(400, { detail: 'q: before: expects a date as YYYY-MM-DD, not "yesterday"' }));
  await flush();
  assert.equal(h.s.state.status, 'error');
  assert.match(h.s.state.error, /expects a date/);
  h.s.now('nothing');
  h.calls[1].resolve({ results: [], has_more: false });
  await flush();
  assert.deepEqual([h.s.state.status, h.s.state.hits.length], ['done', 0]);
});

test('load more pages with before_id (the last result\'s id), without duplicates; a new query makes it stale', async () => {
  const h = harness();
  h.s.now('w');
  h.calls[0].resolve({ results: hits(9, 8), has_more: true });
  await flush();
  h.s.more();
  h.s.more(); // already loading: no second request
  assert.equal(h.calls.length, 2);
  assert.equal(h.calls[1].opts.beforeId, 8);
  assert.equal(h.s.state.loadingMore, true);
  h.calls[1].resolve({ results: hits(8, 7), has_more: true });
  await flush();
  assert.deepEqual(h.s.state.hits.map((x) => x.message.id), [9, 8, 7]);
  h.s.more();
  h.s.now('other');
  h.calls[2].resolve({ results: hits(1), has_more: false });
  await flush();
  assert.equal(h.s.state.query, 'other');
  assert.equal(h.s.state.status, 'loading', 'the old page did not land on the new query');
  h.calls[3].resolve({ results: hits(4), has_more: false });
  await flush();
  h.s.more();
  assert.equal(h.calls.length, 4, 'nothing more to load');
});
