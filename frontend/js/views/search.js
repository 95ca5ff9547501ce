// Message search (`/` or Ctrl/Cmd+Shift+F): a dialog with a search form, the query's filters as
// removable chips, results grouped by room with the matched words marked, "Load more", and
// opening a result in its room at that message. The arrow keys move between results (one tab
// stop for the list, like the timeline); clicking an author or a room adds it as a filter.
// The query logic (debounce, stale answers, chips, highlight ranges) is in ../search.js.
import { $, h, setChildren } from './dom.js';
import { toast } from './notices.js';
import { SearchSession, highlightSegments, snippet, filterChips, removeToken, setFilter, groupByRoom } from '../search.js';
import { dayLabel, formatTime, fullTimestamp, senderName } from '../format.js';
import { fileNames } from '../files.js';

const MOVE_KEYS = { ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };

/** store, api, sync; openRoom(roomId, {target}). Returns {open()}. */
export function initSearch({ store, api, sync, openRoom }) {
  const dlg = $('dlg-search');
  const input = $('search-input');
  const chipsEl = $('search-chips');
  const statusEl = $('search-status');
  const resultsEl = $('search-results');
  const moreBtn = $('search-more');
  let activeId = null; // message id of the result holding the list's tab stop
  let focusAfterMore = false; // "Load more" had the focus: the first new result gets it

  const session = new SearchSession({
    search: (q, { beforeId, signal }) => api.search(q, { beforeId, signal }),
    onChange: render,
  });

  function render(state = session.state) {
    renderChips();
    const { status, hits, hasMore, loadingMore, error } = state;
    statusEl.classList.toggle('error', Boolean(error));
    statusEl.textContent = error || (status === 'loading' ? 'Searching…'
      : status === 'done' ? (hits.length ? `${hits.length}${hasMore ? '+' : ''} result${hits.length === 1 && !hasMore ? '' : 's'}` : 'No messages found') : '');
    const hadFocus = resultsEl.contains(document.activeElement) ? activeId : null;
    const before = resultsEl.querySelectorAll('.hit').length;
    if (!hits.some((x) => x.message.id === activeId)) activeId = hits.length ? hits[0].message.id : null;
    setChildren(resultsEl, groupByRoom(hits).map(groupNode));
    resultsEl.dataset.query = state.query; // what the list shows the answer to (and its status)
    resultsEl.dataset.status = status;
    learnRooms(hits);
    moreBtn.hidden = !(status === 'done' && hasMore);
    moreBtn.disabled = loadingMore;
    moreBtn.textContent = loadingMore ? 'Loading…' : 'Load more';
    applyRoving();
    if (focusAfterMore && !loadingMore) {
      focusAfterMore = false;
      const rows = resultsEl.querySelectorAll('.hit');
      if (rows.length > before) focusHit(rows[before]);
      else if (!moreBtn.hidden) moreBtn.focus();
    } else if (hadFocus !== null) {
      const row = hitRow(hadFocus);
      if (row) row.querySelector('.hit-open').focus();
    }
  }

  function renderChips() {
    const chips = filterChips(input.value);
    chipsEl.hidden = !chips.length;
    setChildren(chipsEl, chips.map((c) => h('li', { class: 'chip' },
      h('span', { text: c.label }),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove filter ${c.label}`, title: 'Remove', onclick: () => edit(removeToken(input.value, c)) }, '×'))));
  }

  /** The query was changed by a chip or a filter link: search it at once, the box focused. */
  function edit(q) {
    if (q === null) return;
    input.value = q;
    input.focus();
    session.now(q);
    render();
  }

  /** Rooms of results not in the store (joined elsewhere since the list loaded) are fetched and added. */
  const asked = new Set();
  function learnRooms(hits) {
    for (const id of new Set(hits.map((x) => x.message.room_id))) {
      if (store.rooms.has(id) || asked.has(id)) continue;
      asked.add(id);
      api.room(id).then(async (room) => { if (room.joined) await sync.addRoom(room); else store.upsertRoom(room); render(); }).catch(() => {});
    }
  }

  function groupNode({ roomId, hits }) {
    const room = store.rooms.get(roomId);
    const title = room ? (room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name) : 'A room';
    const canFilter = room && room.kind !== 'direct' && !/[\s"]/.test(room.name);
    const headId = `search-group-${roomId}`;
    return h('section', { class: 'search-group', 'aria-labelledby': headId },
      h('h3', { id: headId, class: 'search-group-head' }, canFilter
        ? h('button', { type: 'button', class: 'filter-link group-room', title: `Only messages in ${title}`, 'aria-describedby': 'search-filter-hint', onclick: () => edit(setFilter(input.value, 'in', room.name)) }, title)
        : title),
      h('ul', { class: 'search-hits' }, hits.map(hitNode)));
  }

  function hitNode({ message: m, highlights }) {
    const cut = snippet(m.body, highlights);
    const headId = `hit-head-${m.id}`;
    const author = m.author ? m.author.username : '?'; // what from: takes
    const name = senderName(m);
    return h('li', { class: 'hit', dataset: { id: String(m.id) } },
      h('div', { class: 'hit-head', id: headId },
        h('button', { type: 'button', class: 'filter-link hit-author', title: `Only messages from @${author}`, 'aria-describedby': 'search-filter-hint', onclick: () => edit(setFilter(input.value, 'from', author)) }, name),
        h('time', { datetime: m.created_at, title: fullTimestamp(m.created_at), text: `${dayLabel(m.created_at)} ${formatTime(m.created_at)}` })),
      h('button', { type: 'button', class: 'hit-open', 'aria-describedby': headId, onclick: () => choose(m) },
        highlightSegments(cut.body, cut.highlights).map((s) => (s.mark ? h('mark', { text: s.text }) : s.text)),
        m.attachments.length ? h('span', { class: 'hit-files', text: `Files: ${fileNames(m.attachments)}` }) : null));
  }

  const hitRow = (id) => resultsEl.querySelector(`.hit[data-id="${id}"]`);

  /** One tab stop in the list: the active result's buttons (and its room's), the others out of the tab order. */
  function applyRoving() {
    for (const row of resultsEl.querySelectorAll('.hit')) {
      const on = row.dataset.id === String(activeId);
      row.classList.toggle('active', on);
      for (const b of row.querySelectorAll('button')) b.tabIndex = on ? 0 : -1;
    }
    for (const g of resultsEl.querySelectorAll('.search-group')) {
      const on = Boolean(g.querySelector('.hit.active'));
      for (const b of g.querySelectorAll('.search-group-head button')) b.tabIndex = on ? 0 : -1;
    }
  }

  function focusHit(row) {
    activeId = Number(row.dataset.id);
    applyRoving();
    row.querySelector('.hit-open').focus();
    row.scrollIntoView({ block: 'nearest' });
  }

  async function choose(m) {
    dlg.close();
    if (!store.rooms.has(m.room_id)) {
      // A room I joined elsewhere since the list was loaded.
      try { await sync.addRoom(await api.room(m.room_id)); } catch (e) { toast(e.detail || e.message); return; }
    }
    // A reply: its room, and its thread at it.
    await openRoom(m.room_id, m.reply_to ? { thread: { rootId: m.reply_to, at: { id: m.id, seq: m.seq } } } : { target: { id: m.id, seq: m.seq } });
  }

  input.addEventListener('input', () => { renderChips(); session.input(input.value); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); session.now(input.value); }
    if (e.key === 'ArrowDown') {
      const row = hitRow(activeId) || resultsEl.querySelector('.hit');
      if (row) { e.preventDefault(); focusHit(row); }
    }
    if (e.key === 'Escape') { e.preventDefault(); dlg.close(); } // not just clearing the field
  });
  $('search-form').addEventListener('submit', (e) => { e.preventDefault(); session.now(input.value); });
  resultsEl.addEventListener('keydown', (e) => {
    const row = e.target.closest('.hit');
    if (!row || !(e.key in MOVE_KEYS) || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    const rows = [...resultsEl.querySelectorAll('.hit')];
    const i = rows.indexOf(row);
    const step = MOVE_KEYS[e.key];
    if (e.key === 'ArrowUp' && i === 0) { input.focus(); return; }
    const next = Number.isFinite(step) ? rows[Math.max(0, Math.min(rows.length - 1, i + step))] : rows[step < 0 ? 0 : rows.length - 1];
    focusHit(next);
  });
  resultsEl.addEventListener('focusin', (e) => {
    const row = e.target.closest('.hit');
    if (row && row.dataset.id !== String(activeId)) { activeId = Number(row.dataset.id); applyRoving(); }
  });
  moreBtn.addEventListener('click', () => { focusAfterMore = document.activeElement === moreBtn; session.more(); });

  return {
    /** Forgets the query and its results (the session ended). */
    clear() { asked.clear(); session.cancel(); input.value = ''; session.set({ ...session.state, query: '', status: 'idle', hits: [], hasMore: false, error: '' }); },
    /** Opens the search, with the last query selected (typing replaces it). */
    open() {
      if (dlg.open) { input.focus(); input.select(); return; }
      dlg.showModal();
      render();
      input.focus();
      input.select();
    },
  };
}
