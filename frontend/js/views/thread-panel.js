// The thread panel, beside the timeline (on a phone it takes the screen, with a back button): the
// root, "N replies", older replies on request, the replies live (new ones, edits, deletes and
// reactions come with the room's events), and a composer of its own (composer.js: text, emoji,
// files, mentions) whose messages are replies, and under it "Also send to #room" (off again after
// each send: such a reply shows in the room's timeline too). Opened at a reply (a search result, a
// notification) it loads the page around it and the pages after it, so it runs to the live end.
// Escape or the close button closes it and the focus goes back to what opened it. Loaded the
// first time a thread opens.
import { $, h } from './dom.js';
import { MessageList } from './messages.js';
import { initComposer } from './composer.js';
import { toast } from './notices.js';
import { repliesLabel } from './threads.js';

const PAGE = 50;
const MAX_PAGES_AFTER = 20; // pages loaded after a reply opened at (a bound, in case of a server bug)
const phone = matchMedia('(max-width: 720px)');

/** store, api, sync; views: the session's; uploads: uploads.js's initUploads. Returns {open, close}. */
export function initThreadPanel({ store, api, sync, views, uploads }) {
  const back = h('button', { type: 'button', class: 'icon-btn thread-back', onclick: () => close() }, '←');
  const closeBtn = h('button', { type: 'button', class: 'icon-btn thread-close', 'aria-label': 'Close thread', title: 'Close (Esc)', onclick: () => close() }, '✕');
  const roomLabel = h('p', { class: 'topic', id: 'thread-room' });
  const status = h('p', { class: 'history-status', id: 'thread-status', role: 'status' });
  const older = h('button', { type: 'button', class: 'link-btn thread-older', hidden: true, onclick: () => loadOlder() }, 'Load older replies');
  const rootEl = h('ol', { class: 'messages thread-root', 'aria-label': 'Thread root' });
  const divider = h('p', { class: 'thread-divider', hidden: true }, h('span'));
  const listEl = h('ol', { class: 'messages thread-replies', 'aria-label': 'Replies' });
  const empty = h('p', { class: 'history-status', hidden: true, text: 'No replies yet: write the first one below.' });
  const scroller = h('div', { class: 'thread-scroll', role: 'region', 'aria-label': 'Thread', 'aria-describedby': 'timeline-help' }, status, rootEl, divider, older, listEl, empty);
  const input = h('textarea', { id: 'thread-input', rows: '1', placeholder: 'Reply in thread', enterkeyhint: 'send', 'aria-describedby': 'thread-count' });
  const count = h('span', { id: 'thread-count', class: 'count', hidden: true });
  const files = h('ul', { class: 'uploads', 'aria-label': 'Files to send', hidden: true });
  const fileInput = h('input', { type: 'file', multiple: true, hidden: true });
  const attach = h('button', { type: 'button', class: 'icon-btn attach-btn', 'aria-label': 'Attach files', title: 'Attach files (or drop them here, or paste an image)' }, $('btn-attach').firstElementChild.cloneNode(true));
  const emoji = h('button', { type: 'button', class: 'icon-btn emoji-btn', 'aria-label': 'Insert emoji', 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'emoji-picker', title: 'Emoji' }, '☺');
  const send = h('button', { type: 'submit', class: 'btn primary' }, 'Send');
  const form = h('form', { class: 'composer thread-composer' }, files, h('label', { for: 'thread-input', class: 'sr-only', text: 'Reply in thread' }), input, count, attach, fileInput, emoji, send);
  const zone = h('div', { class: 'drop-zone', 'aria-hidden': 'true', hidden: true }, h('p', { text: 'Drop files to attach them to your reply' }));
  const also = h('input', { type: 'checkbox', id: 'thread-also' });
  const alsoText = h('span');
  const alsoRow = h('p', { class: 'thread-also' }, h('label', { for: 'thread-also' }, also, alsoText));
  const panel = h('aside', { id: 'thread', class: 'thread', 'aria-labelledby': 'thread-title', hidden: true },
    h('div', { class: 'thread-head' }, back, h('div', { class: 'room-title' }, h('h2', { id: 'thread-title', text: 'Thread' }), roomLabel), closeBtn),
    scroller, zone, form, alsoRow);
  $('main').after(panel);

  let current = null; // {roomId, rootId} shown
  let opener = null; // {el, rootId}: where the focus goes back on close
  let target = null; // {id, seq}: the reply to scroll to, highlight and focus once loaded
  let loadingOlder = false;
  let loading = ''; // the thread (key()) whose first pages are on their way
  let stick = true; // follow new replies; off while reading further up
  let frame = 0;

  const makeList = (el, prefix) => new MessageList(el, { store, api, sync, views: () => views, render: () => render(), focus: () => input.focus(), prefix, thread: true });
  const rootList = makeList(rootEl, 'tr');
  const replies = makeList(listEl, 't');
  views.reactions.watch(rootEl);
  views.reactions.watch(listEl);
  const key = () => (current ? `${current.roomId}/${current.rootId}` : '');
  const files$ = uploads({
    api, els: { list: files, input, picker: fileInput, attach, area: panel, zone },
    roomId: () => current && current.roomId, key, can: () => Boolean(current) && !form.hidden, onChange: () => composer.updateSend(),
  });
  const composer = initComposer({
    form, input, count, button: send, store, sync, roomId: () => current && current.roomId, uploads: () => files$,
    send: (body, attached) => {
      stick = true;
      const toRoom = also.checked;
      also.checked = false;
      sync.send(current.roomId, body, attached, current.rootId, toRoom);
    },
    onEmptyUp: () => {
      const mine = store.threadMessages(current.roomId, current.rootId).filter((m) => m.reply_to && !m.pending && !m.deleted && m.author.id === store.me.id);
      if (mine.length) replies.edit(mine[mine.length - 1].id);
      return mine.length > 0;
    },
  });
  views.picker.forComposer(emoji, input, composer.updateCount);

  store.subscribe((what, roomId) => {
    if (!current) return;
    if (what === 'reset') { close({ quiet: true }); return; }
    if (what === 'rooms' && !store.rooms.has(current.roomId)) { close({ quiet: true }); return; }
    if (roomId === undefined || roomId === null || roomId === current.roomId) schedule();
  });
  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  scroller.addEventListener('scroll', () => { stick = atBottom(); }, { passive: true });
  phone.addEventListener('change', () => { $('main').inert = Boolean(current) && phone.matches; });

  function schedule() { if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); }); }

  function render() {
    if (!current) return;
    const { roomId, rootId } = current;
    const room = store.rooms.get(roomId);
    const th = store.thread(roomId, rootId);
    const all = store.threadMessages(roomId, rootId);
    const root = all.find((m) => m.id === rootId);
    const rest = all.filter((m) => m.id !== rootId);
    const wasBottom = stick;
    if (!th.loaded && loading !== key()) load(roomId, rootId, target); // its pages were dropped (a replay too long)
    roomLabel.textContent = room ? (room.kind === 'direct' ? store.roomTitle(room) : '#' + room.name) : '';
    back.setAttribute('aria-label', `Back to ${roomLabel.textContent || 'the room'}`);
    form.hidden = !(room && room.joined);
    alsoRow.hidden = form.hidden;
    alsoText.textContent = ` Also send to ${room && room.kind !== 'direct' ? '#' + room.name : 'the conversation'}`;
    const connected = store.connection === 'connected';
    rootList.render(root ? [root] : [], store.me, { connected });
    replies.render(rest, store.me, { connected, after: root });
    const n = root ? root.reply_count || 0 : rest.filter((m) => !m.deleted && !m.pending).length;
    divider.hidden = !n;
    divider.firstChild.textContent = repliesLabel(n);
    status.textContent = !th.loaded ? 'Loading the thread…' : loadingOlder ? 'Loading older replies…' : '';
    older.hidden = !(th.loaded && th.hasMore && !loadingOlder);
    empty.hidden = !(th.loaded && !rest.length);
    files$.render();
    composer.updateSend();
    const row = target && th.loaded ? listEl.querySelector(`li.msg[data-id="${target.id}"]`) : null;
    if (target && th.loaded) {
      target = null;
      if (row) show(row); else toast('That reply is no longer there.');
    } else if (wasBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  /** The reply opened at: in the middle of the panel, highlighted for a moment, and focused. */
  function show(row) {
    replies.spotlight(row, scroller);
    stick = atBottom();
  }

  /** The thread's first page (around `at`, then the pages after it up to the newest), unless loaded. */
  async function load(roomId, rootId, at) {
    const th = store.thread(roomId, rootId);
    const here = () => current && current.roomId === roomId && current.rootId === rootId;
    if (th.loaded && (!at || store.timeline(roomId).byId.has(at.id))) return;
    loading = `${roomId}/${rootId}`;
    try {
      const page = await api.history(roomId, { thread: rootId, aroundSeq: at ? at.seq : undefined, limit: PAGE });
      let more = Boolean(at && page.has_more_after);
      let after = page.messages.length ? page.messages[page.messages.length - 1].seq : null;
      const pages = [page.messages];
      for (let n = 0; more && after !== null && n < MAX_PAGES_AFTER; n++) {
        const next = await api.history(roomId, { thread: rootId, afterSeq: after, limit: PAGE * 2 });
        pages.push(next.messages);
        more = next.has_more && next.messages.length > 0;
        if (next.messages.length) after = next.messages[next.messages.length - 1].seq;
      }
      store.applyThread(roomId, rootId, pages.flat(), page.has_more);
    } catch (e) {
      if (here()) { toast(e.status === 404 || e.status === 409 ? 'That thread is no longer there.' : e.detail || e.message); close(); }
    } finally {
      if (loading === `${roomId}/${rootId}`) loading = '';
    }
  }

  async function loadOlder() {
    const { roomId, rootId } = current;
    const before = store.threadBefore(roomId, rootId);
    if (before === null || loadingOlder) return;
    loadingOlder = true;
    const focusBack = document.activeElement === older;
    render();
    try {
      const page = await api.history(roomId, { thread: rootId, beforeSeq: before, limit: PAGE });
      const height = scroller.scrollHeight - scroller.scrollTop;
      loadingOlder = false;
      store.applyThread(roomId, rootId, page.messages, page.has_more);
      render();
      scroller.scrollTop = scroller.scrollHeight - height; // the replies read stay in place
    } catch (e) {
      loadingOlder = false;
      toast(e.detail || e.message);
      render();
    }
    if (focusBack) (older.hidden ? listEl.querySelector('li.msg[tabindex="0"]') || input : older).focus();
  }

  /**
   * Shows the thread of `rootId` in `roomId`: `at` ({id, seq}) a reply to scroll to, highlight
   * and focus; `opener` the control that opened it (the focus goes back there on close).
   */
  function open(roomId, rootId, { at = null, opener: from = null } = {}) {
    if (current && (current.roomId !== roomId || current.rootId !== rootId)) close({ quiet: true });
    current = { roomId, rootId };
    opener = { el: from, rootId };
    target = at;
    stick = !at;
    also.checked = false;
    replies.editingId = null;
    replies.selectedId = null;
    panel.hidden = false;
    $('main').inert = phone.matches;
    document.body.classList.add('thread-open');
    load(roomId, rootId, at);
    render();
    if (!at) {
      if (phone.matches) back.focus(); // a phone would pop up its keyboard for the message box
      else if (!form.hidden) input.focus();
      else closeBtn.focus();
    }
  }

  /** Closes the panel; the focus goes back to what opened it (unless `quiet`). True if it was open. */
  function close({ quiet = false } = {}) {
    if (!current) return false;
    current = null;
    target = null;
    panel.hidden = true;
    $('main').inert = false;
    document.body.classList.remove('thread-open');
    if (views.picker) views.picker.close();
    rootEl.replaceChildren();
    listEl.replaceChildren();
    if (!quiet) focusOpener();
    return true;
  }

  /** The control that opened the thread, or the same one of its row drawn anew, else the row, else the message box. */
  function focusOpener() {
    const { el, rootId } = opener || {};
    opener = null;
    if (el && el.isConnected) { el.focus(); return; }
    const row = $('messages').querySelector(`li.msg[data-id="${rootId}"]`);
    const same = row && el && row.querySelector(`[data-focus="${el.dataset.focus}"]`);
    const summary = row && row.querySelector('[data-focus="thread"]');
    (same || summary || row || $('composer-input')).focus();
  }

  return { open, close };
}
