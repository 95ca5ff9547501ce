// The message list: rows grouped by author and day, reconciled by key so unchanged rows (and a
// focused edit box) stay in place. One roving tab stop: the selected row is the timeline's only
// Tab stop (its actions and links with it); the arrow keys, Home and End move the selection, and
// a click or tap selects, which also shows the row's actions on touch screens. A focused control
// whose row is rendered anew (a reaction came in) keeps the focus in the new row. The room's
// timeline and a thread's panel each have one; a message that mentions me is marked (and says so).
import { h, syncChildren } from './dom.js';
import { renderBody } from './markdown-dom.js';
import { toast } from './notices.js';
import { groupRows, formatTime, fullTimestamp, avatarHue, isLong, initials, senderName, postedBy } from '../format.js';

const MOVE_KEYS = { ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };

export class MessageList {
  /**
   * ctx: store, api, sync; views() → the session's views once loaded ({attachments, reactions,
   * threads, mentions(roomId) → (msg) → names}), else null; render() draws the list again;
   * focus() focuses its message box; prefix: of its elements' ids; thread: a thread's list
   * (its messages offer no thread of their own).
   */
  constructor(listEl, ctx) {
    this.el = listEl;
    this.ctx = ctx;
    this.cache = new Map();
    this.editingId = null;
    this.selectedId = null; // the row holding the tab stop (null: the newest)
    this.newestId = null; // the newest row at the last render: a selection there follows new messages
    this.expanded = new Set(); // ids of long messages shown in full
    listEl.addEventListener('keydown', (e) => this.onKey(e));
    listEl.addEventListener('focusin', (e) => {
      const row = e.target.closest('li.msg');
      if (row && row.dataset.id !== String(this.selectedId)) { this.selectedId = keyId(row.dataset.id); this.applyRoving(); }
    });
  }

  /**
   * opts: divider ({before: a message id, text, cls, id}: a line before it), connected; after: the
   * message shown just before the list (a thread's root: no day line again for its day).
   */
  render(messages, me, { divider = null, connected = true, after = null } = {}) {
    const rows = after ? groupRows([after, ...messages]).slice(2) : groupRows(messages);
    if (after && rows[0] && rows[0].kind === 'msg') rows[0] = { ...rows[0], first: true };
    const nodes = [];
    const next = new Map();
    const views = this.ctx.views();
    const rx = views && views.reactions;
    const th = views && !this.ctx.thread ? views.threads : null;
    const names = views && messages.length ? views.mentions(messages[0].room_id) : null;
    const focused = this.el.contains(document.activeElement) ? document.activeElement : null;
    for (const row of rows) {
      let key;
      let shown = null; // the names its @names show as mentions
      if (row.kind === 'day') key = row.key + '|' + row.label;
      else {
        const m = row.msg;
        shown = names && names(m);
        key = [m.id, row.first, m.edited_at, m.deleted, m.pending || '', m.reason || '', m.pending && connected, this.editingId === m.id, this.expanded.has(m.id), m.body, me && me.username,
          rx && this.editingId !== m.id ? rx.key(m) : '', th ? th.key(m) : '', shown ? [...shown].join() : '', m.author && [m.author.display_name, m.author.avatar_url]].join('|'); // an edit box under way stays (its chips catch up after)
      }
      if (divider && row.kind === 'msg' && row.msg.id === divider.before) nodes.push(this.reuse(next, divider.text, () => h('li', { class: divider.cls, id: divider.id }, h('span', { text: divider.text }))));
      nodes.push(this.reuse(next, key, () => (row.kind === 'day' ? dayRow(row) : this.messageRow(row, me, connected, { rx, th, shown, files: views && views.attachments, threads: views && views.threads, avatars: views && views.avatars }))));
    }
    this.cache = next;
    syncChildren(this.el, nodes);
    this.applyRoving();
    if (focused && !focused.isConnected) this.refocus(focused);
  }

  /** The focus was in a row rendered anew: the same control of the new row takes it (else the row). */
  refocus(old) {
    const row = this.rows().find((r) => r.dataset.id === old.closest('li.msg').dataset.id);
    const same = row && old.dataset.focus && [...row.querySelectorAll('[data-focus]')].find((el) => el.dataset.focus === old.dataset.focus);
    if (row) (same || row).focus({ preventScroll: true });
  }

  reuse(next, key, make) {
    const node = this.cache.get(key) || next.get(key) || make();
    next.set(key, node);
    return node;
  }

  rows() { return [...this.el.querySelectorAll('li.msg')]; }

  /** The selected row keeps the tab stop; every other row and what is inside it leaves the tab order. */
  applyRoving() {
    const rows = this.rows();
    if (!rows.length) return;
    const newest = rows[rows.length - 1];
    let sel = rows.find((r) => r.dataset.id === String(this.selectedId));
    // A selection on the newest row follows new messages, unless that row has the focus.
    if (!sel || (this.selectedId === this.newestId && !sel.contains(document.activeElement))) { sel = newest; this.selectedId = keyId(sel.dataset.id); }
    this.newestId = keyId(newest.dataset.id);
    for (const r of rows) {
      const on = r === sel;
      r.tabIndex = on ? 0 : -1;
      r.classList.toggle('selected', on);
      for (const el of r.querySelectorAll('a, button')) el.tabIndex = on ? 0 : -1;
    }
  }

  onKey(e) {
    const row = e.target.closest('li.msg');
    if (!row || e.target !== row || e.altKey || e.ctrlKey || e.metaKey || !(e.key in MOVE_KEYS)) return;
    e.preventDefault();
    const rows = this.rows();
    const i = rows.indexOf(row);
    const step = MOVE_KEYS[e.key];
    const target = rows[Math.max(0, Math.min(rows.length - 1, Number.isFinite(step) ? i + step : step < 0 ? 0 : rows.length - 1))];
    this.selectedId = keyId(target.dataset.id);
    this.applyRoving();
    target.focus();
  }

  /** A message jumped to: in the middle of `scroller`'s view, highlighted for a moment, selected and focused. */
  spotlight(row, scroller) {
    scroller.scrollTop = Math.max(0, row.offsetTop - (scroller.clientHeight - row.offsetHeight) / 2);
    for (const old of this.el.querySelectorAll('li.msg.flash')) old.classList.remove('flash');
    row.classList.add('flash');
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => row.classList.remove('flash'), 2500);
    this.selectedId = keyId(row.dataset.id);
    this.applyRoving();
    row.focus({ preventScroll: true });
  }

  /** Moves the tab stop to the newest row and focuses it (the skip target from the composer). */
  focusNewest() {
    const rows = this.rows();
    if (!rows.length) return false;
    this.selectedId = keyId(rows[rows.length - 1].dataset.id);
    this.applyRoving();
    rows[rows.length - 1].focus();
    return true;
  }

  messageRow({ msg, first }, me, connected, { rx, th, shown, files, threads, avatars }) {
    const mine = me && msg.author && msg.author.id === me.id;
    const toMe = !mine && !msg.deleted && this.ctx.store.mentionsMe(msg);
    const cls = ['msg'];
    if (first) cls.push('first');
    if (msg.pending) cls.push(msg.pending === 'failed' ? 'failed' : 'pending');
    if (msg.deleted) cls.push('deleted');
    if (mine) cls.push('mine');
    if (toMe) cls.push('to-me');
    const name = senderName(msg); // a webhook post's own name (posted_as) before its account's
    const via = postedBy(msg);
    const li = h('li', { class: cls.join(' '), tabindex: '-1', dataset: { id: String(msg.id), seq: msg.seq !== undefined ? String(msg.seq) : '' } });
    const origin = threads && threads.origin(msg, this.ctx.thread); // a reply also sent to the room: above it
    if (origin) li.append(origin);
    const time = h('time', { datetime: msg.created_at, title: fullTimestamp(msg.created_at), text: formatTime(msg.created_at) });
    const hint = toMe ? h('span', { class: 'sr-only', text: msg.mentions_room ? ', mentions everyone' : ', mentions you' }) : null;
    if (first) {
      const face = h('span', { class: `avatar hue-${avatarHue(msg.author ? msg.author.id : 0)}`, 'aria-hidden': 'true', text: initials(via ? { display_name: name } : msg.author) });
      if (avatars) avatars.fill(face, msg.author);
      const bot = msg.author && msg.author.bot ? h('span', { class: 'role bot-tag', text: 'bot' }) : null;
      li.append(face, h('div', { class: 'msg-head' },
        h('strong', { class: 'author', text: name, title: via ? `${name}, ${via}` : msg.author && '@' + msg.author.username }), bot,
        via ? h('span', { class: 'sr-only posted-by', text: ` (${via})` }) : null, time, hint));
    } else {
      time.className = 'side-time';
      li.append(time);
    }
    const content = h('div', { class: 'msg-content' }, first ? null : hint);
    if (msg.deleted) {
      content.append(h('p', { class: 'tombstone', text: 'message deleted' }));
    } else {
      if (this.editingId === msg.id) content.append(this.editForm(msg));
      else if (msg.body || !msg.attachments.length) content.append(...this.body(msg, me, shown)); // files alone: no empty body
      const attached = files && files.node(msg.attachments, this.el);
      if (attached) content.append(attached);
      const chips = rx && rx.chips(msg);
      if (chips) content.append(chips);
    }
    const replies = th && th.summary(msg);
    if (replies) content.append(replies);
    if (msg.pending === 'pending') content.append(h('span', { class: 'status', text: connected ? 'Sending…' : 'Waiting for the connection: it is sent when it is back' }));
    if (msg.pending === 'failed') {
      content.append(h('span', { class: 'status error' }, `Not sent: ${msg.reason} `,
        h('button', { type: 'button', class: 'link-btn retry', onclick: () => this.ctx.sync.retry(msg.client_id) }, 'Retry'), ' · ',
        h('button', { type: 'button', class: 'link-btn discard', onclick: () => this.ctx.store.discardPending(msg.client_id) }, 'Discard')));
    }
    li.append(content);
    const own = mine && !msg.deleted && !msg.pending && this.editingId !== msg.id;
    const react = rx && this.editingId !== msg.id && rx.addButton(msg);
    const reply = th && th.action(msg);
    if (own || react || reply) {
      li.append(h('div', { class: 'msg-actions' },
        own && h('button', { type: 'button', class: 'act edit', 'aria-label': 'Edit message', title: 'Edit', dataset: { focus: 'edit' }, onclick: () => this.edit(msg.id) }, 'Edit'),
        own && h('button', { type: 'button', class: 'act delete', 'aria-label': 'Delete message', title: 'Delete', dataset: { focus: 'delete' }, onclick: (e) => this.armDelete(e.currentTarget, msg) }, 'Delete'),
        reply, react));
    }
    return li;
  }

  /** Opens the edit box of a message (null: closes it). */
  edit(id) { this.editingId = id; this.ctx.render(); }

  endEdit() { this.edit(null); this.ctx.focus(); }

  async save(msg, body) {
    try {
      if (body !== msg.body) this.ctx.store.mergeMessage(msg.room_id, await this.ctx.api.editMessage(msg.room_id, msg.id, body), { snapshot: true });
      this.endEdit();
    } catch (e) { toast(e.detail || e.message); }
  }

  async remove(msg) {
    try {
      await this.ctx.api.deleteMessage(msg.room_id, msg.id);
      this.ctx.store.markDeleted(msg.room_id, msg.id);
      if (this.editingId === msg.id) this.endEdit();
    } catch (e) { toast(e.detail || e.message); }
  }

  /** The rendered body, collapsed behind "Show more" when long. */
  body(msg, me, shown) {
    const body = h('div', { class: 'msg-body', id: `${this.ctx.prefix || ""}body-${msg.id}` }, renderBody(msg.body, me && me.username, shown));
    if (msg.edited_at) {
      const last = body.lastElementChild && body.lastElementChild.tagName === 'P' ? body.lastElementChild : body;
      last.append(h('span', { class: 'edited', title: 'Edited ' + fullTimestamp(msg.edited_at), text: '(edited)' }));
    }
    if (!isLong(msg.body)) return [body];
    const open = this.expanded.has(msg.id);
    if (!open) body.classList.add('collapsed');
    return [body, h('button', {
      type: 'button', class: 'link-btn more', 'aria-expanded': String(open), 'aria-controls': body.id,
      onclick: () => { if (open) this.expanded.delete(msg.id); else this.expanded.add(msg.id); this.ctx.render(); },
    }, open ? 'Show less' : 'Show more')];
  }

  /** Delete takes two clicks (no blocking confirm() dialog). */
  armDelete(btn, msg) {
    if (!btn.dataset.armed) {
      btn.dataset.armed = '1';
      btn.textContent = 'Confirm delete';
      setTimeout(() => { if (btn.isConnected) { delete btn.dataset.armed; btn.textContent = 'Delete'; } }, 4000);
      return;
    }
    this.remove(msg);
  }

  /** The edit box; saving it empty asks whether to delete the message or restore its text (a message with files just loses its text). */
  editForm(msg) {
    const ta = h('textarea', { class: 'edit-input', rows: '2', 'aria-label': 'Edit message' });
    ta.value = msg.body;
    const restore = () => { emptied.hidden = true; ta.value = msg.body; ta.focus(); };
    const emptied = h('p', { class: 'edit-empty', role: 'alert', hidden: true }, 'The message is empty. ',
      h('button', { type: 'button', class: 'btn subtle danger edit-delete', onclick: () => this.remove(msg) }, 'Delete message'), ' ',
      h('button', { type: 'button', class: 'btn subtle edit-restore', onclick: restore }, 'Restore text'));
    const save = () => {
      const v = ta.value.trim();
      if (v || msg.attachments.length) { this.save(msg, v); return; }
      emptied.hidden = false;
      emptied.querySelector('.edit-restore').focus();
    };
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.endEdit(); }
    });
    const form = h('form', { class: 'edit-form', onsubmit: (e) => { e.preventDefault(); save(); } }, ta, emptied,
      h('div', { class: 'edit-actions' },
        h('button', { type: 'button', class: 'btn subtle', onclick: () => this.endEdit() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Save')),
      h('span', { class: 'muted small', text: 'Enter to save · Esc to cancel' }));
    queueMicrotask(() => { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); });
    return form;
  }
}

function dayRow(row) {
  return h('li', { class: 'day' }, h('span', { text: row.label }));
}

/** A row's id back from its data attribute: a number for stored messages, 'p:…' for pending ones. */
function keyId(s) { return /^\d+$/.test(s) ? Number(s) : s; }
