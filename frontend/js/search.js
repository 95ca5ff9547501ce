// Message search without the DOM: highlight ranges turned into text segments, the query's filter
// tokens (the chips) and their removal or addition, results grouped by room, and a search session
// that debounces typing, pages with `before_id` and shows only the latest query's answer.
//
// The query language is the server's (docs/search.md): tokens are separated by whitespace, a `"`
// opens a phrase up to the next `"`, and `from:`, `in:`, `has:`, `before:`, `after:` (any case)
// are filters. Highlights are `[start, end)` code-point ranges of `message.body`, so bodies are
// cut with `[...body]`, never with UTF-16 indices.

/** The filter names of the query language, in the order their chips show. */
export const FILTERS = ['from', 'in', 'has', 'before', 'after'];

/** Typing pause before a search starts (ms). */
export const DEBOUNCE_MS = 200;

/**
 * The body as segments `{text, mark}`: the highlighted ranges marked. Ranges are code points;
 * out-of-range, empty, unsorted or overlapping ones are clamped, sorted and merged.
 */
export function highlightSegments(body, highlights = []) {
  const chars = [...body];
  const ranges = normalizeRanges(highlights, chars.length);
  const out = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) out.push({ text: chars.slice(at, s).join(''), mark: false });
    out.push({ text: chars.slice(s, e).join(''), mark: true });
    at = e;
  }
  if (at < chars.length || !out.length) out.push({ text: chars.slice(at).join(''), mark: false });
  return out;
}

function normalizeRanges(highlights, length) {
  const ranges = (Array.isArray(highlights) ? highlights : [])
    .filter((r) => Array.isArray(r) && r.length >= 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]))
    .map(([s, e]) => [Math.max(0, Math.min(s, length)), Math.max(0, Math.min(e, length))])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/**
 * A long body shortened to about `max` code points around its first highlight, with "…" where
 * text was left out; the highlights are moved along. Returns {body, highlights}.
 */
export function snippet(body, highlights = [], { max = 280, before = 60 } = {}) {
  const chars = [...body];
  if (chars.length <= max) return { body, highlights };
  const ranges = normalizeRanges(highlights, chars.length);
  const first = ranges.length ? ranges[0][0] : 0;
  const start = Math.max(0, Math.min(first - before, chars.length - max));
  const end = Math.min(chars.length, start + max);
  const lead = start > 0 ? '…' : '';
  const shift = lead.length - start; // '…' is one code point
  const moved = ranges.map(([s, e]) => [Math.max(s, start) + shift, Math.min(e, end) + shift]).filter(([s, e]) => e > s);
  return { body: lead + chars.slice(start, end).join('') + (end < chars.length ? '…' : ''), highlights: moved };
}

/**
 * The query's tokens as the server splits them: `{kind: 'filter'|'phrase'|'word', raw, start,
 * end}` (UTF-16 offsets into `q`, for editing it), filters with `name` (lower case) and `value`.
 */
export function tokenize(q) {
  const tokens = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i])) i++;
    if (i >= q.length) break;
    const start = i;
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      i = close < 0 ? q.length : close + 1;
      tokens.push({ kind: 'phrase', raw: q.slice(start, i), start, end: i });
      continue;
    }
    while (i < q.length && !/\s/.test(q[i])) i++;
    const raw = q.slice(start, i);
    const colon = raw.indexOf(':');
    const name = colon > 0 ? raw.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? raw.slice(colon + 1) : '';
    const filter = FILTERS.includes(name) && (value !== '' || name === 'has' || name === 'before' || name === 'after');
    tokens.push(filter ? { kind: 'filter', raw, start, end: i, name, value } : { kind: 'word', raw, start, end: i });
  }
  return tokens;
}

/** The filter tokens of a query, as chips: `{name, value, label, start, end}`. */
export function filterChips(q) {
  return tokenize(q).filter((t) => t.kind === 'filter').map((t) => ({
    name: t.name, value: t.value, raw: t.raw, start: t.start, end: t.end,
    label: `${t.name}: ${t.name === 'from' ? t.value.replace(/^@/, '') : t.name === 'in' ? t.value.replace(/^#/, '') : t.value}`,
  }));
}

/** The query without one token (a chip from filterChips), the spaces around it closed up. */
export function removeToken(q, token) {
  const head = q.slice(0, token.start).trimEnd();
  const tail = q.slice(token.end).trimStart();
  return head && tail ? `${head} ${tail}` : head + tail;
}

/**
 * The query with the filter `name:value` (replacing any of that name: the server keeps only one).
 * It goes first, so the last word stays last (and still matches as a prefix). Null when the value
 * cannot be written as a token (it has a space or a quote in it).
 */
export function setFilter(q, name, value) {
  const v = String(value);
  if (!v || /[\s"]/.test(v)) return null;
  let rest = q;
  for (const t of tokenize(q).filter((x) => x.kind === 'filter' && x.name === name).reverse()) rest = removeToken(rest, t);
  rest = rest.trimStart();
  return rest ? `${name}:${v} ${rest}` : `${name}:${v} `;
}

/** Search hits grouped by room, in order of each room's first (newest) hit: `[{roomId, hits}]`. */
export function groupByRoom(hits) {
  const groups = new Map();
  for (const hit of hits) {
    const id = hit.message.room_id;
    if (!groups.has(id)) groups.set(id, { roomId: id, hits: [] });
    groups.get(id).hits.push(hit);
  }
  return [...groups.values()];
}

/** The text to show for a failed search: the server's validation detail, or why it failed. */
export function searchError(e) {
  if (!e) return '';
  if (e.status === 400) {
    const q = typeof e.fieldErrors === 'function' ? e.fieldErrors().q : null;
    return q || e.detail || e.message || 'The query is not valid.';
  }
  if (e.status === 429) return 'Too many searches at once: wait a moment and try again.';
  return e.detail || e.message || 'Search failed.';
}

/**
 * One search box's state: `input(q)` as the person types (debounced), `now(q)` at once (Enter, a
 * chip), `more()` for the next page. Only the latest query's answers are applied: an older
 * request still in flight is aborted and its answer, if it comes anyway, dropped.
 *
 * search(q, {beforeId, signal}) → Promise<{results, has_more}>; onChange(state) after every change.
 * state: {query, status: 'idle'|'loading'|'done'|'error', hits, hasMore, loadingMore, error}
 */
export class SearchSession {
  constructor({ search, onChange = () => {}, delay = DEBOUNCE_MS, setTimeout = (fn, ms) => globalThis.setTimeout(fn, ms), clearTimeout = (id) => globalThis.clearTimeout(id), AbortController = globalThis.AbortController }) {
    this.search = search;
    this.onChange = onChange;
    this.delay = delay;
    this.timers = { setTimeout, clearTimeout };
    this.Abort = AbortController;
    this.generation = 0; // bumped by every new query: answers of older ones are stale
    this.timer = 0;
    this.controller = null;
    this.state = idle('');
  }

  /** The text changed: search it after a pause (an empty query clears the results at once). */
  input(q) {
    this.timers.clearTimeout(this.timer);
    this.timer = 0;
    if (!q.trim()) { this.cancel(); this.set(idle(q)); return; }
    if (q === this.state.query && this.state.status !== 'idle' && this.state.status !== 'error') return;
    this.timer = this.timers.setTimeout(() => { this.timer = 0; this.now(q); }, this.delay);
  }

  /** Searches `q` now; resolves once its answer (or failure) is applied or turned out stale. */
  async now(q) {
    this.timers.clearTimeout(this.timer);
    this.timer = 0;
    if (!q.trim()) { this.cancel(); this.set(idle(q)); return; }
    const gen = this.begin();
    this.set({ ...idle(q), status: 'loading' });
    try {
      const page = await this.search(q, { signal: this.controller && this.controller.signal });
      if (gen !== this.generation) return;
      this.set({ ...idle(q), status: 'done', hits: page.results, hasMore: Boolean(page.has_more) });
    } catch (e) {
      if (gen !== this.generation) return;
      this.set({ ...idle(q), status: 'error', error: searchError(e) });
    }
  }

  /** Loads the next page (results older than the last one shown). */
  async more() {
    const s = this.state;
    if (s.status !== 'done' || !s.hasMore || s.loadingMore || !s.hits.length) return;
    const gen = this.generation;
    const beforeId = s.hits[s.hits.length - 1].message.id;
    this.set({ ...s, loadingMore: true, error: '' });
    try {
      const page = await this.search(s.query, { beforeId, signal: this.controller && this.controller.signal });
      if (gen !== this.generation) return;
      const seen = new Set(this.state.hits.map((h) => h.message.id));
      const hits = this.state.hits.concat(page.results.filter((h) => !seen.has(h.message.id)));
      this.set({ ...this.state, hits, hasMore: Boolean(page.has_more) && page.results.length > 0, loadingMore: false });
    } catch (e) {
      if (gen !== this.generation) return;
      this.set({ ...this.state, loadingMore: false, error: searchError(e) });
    }
  }

  /** Forgets any request in flight and any pending search. */
  cancel() {
    this.timers.clearTimeout(this.timer);
    this.timer = 0;
    this.begin();
    this.controller = null;
  }

  begin() {
    this.generation += 1;
    if (this.controller) this.controller.abort();
    this.controller = this.Abort ? new this.Abort() : null;
    return this.generation;
  }

  set(state) { this.state = state; this.onChange(state); }
}

function idle(query) { return { query, status: 'idle', hits: [], hasMore: false, loadingMore: false, error: '' }; }
