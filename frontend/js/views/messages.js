// The message list: rows grouped by author and day, reconciled by key so unchanged rows (and a
// focused edit box) stay in place. One roving tab stop: the selected row is the timeline's only
// Tab stop (its actions and links with it); the arrow keys, Home and End move the selection, and
// a click or tap selects, which also shows the row's actions on touch screens. A focused control
// whose row is rendered anew (a reaction came in) keeps the focus in the new row.
import { h, syncChildren } from './dom.js';
import { renderBody } from './markdown-dom.js';
import { groupRows, formatTime, fullTimestamp, avatarHue, isLong } from '../format.js';

const MOVE_KEYS = { ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };

export class MessageList {
  constructor(listEl, handlers) {
    this.el = listEl;
    this.handlers = handlers; // {onEdit(msg), onSaveEdit(msg, body), onCancelEdit(), onDelete(msg), onRetry(clientId), onDiscard(clientId), renderFiles(files) → node | null, reactions() → reactions.js's views once loaded, else null}
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

  /** opts: unreadFrom (id of the first unread message: the divider goes before it), connected. */
  render(messages, me, { unreadFrom = null, connected = true } = {}) {
    const rows = groupRows(messages);
    const nodes = [];
    const next = new Map();
    const rx = this.handlers.reactions();
    const focused = this.el.contains(document.activeElement) ? document.activeElement : null;
    for (const row of rows) {
      let key;
      if (row.kind === 'day') key = row.key + '|' + row.label;
      else {
        const m = row.msg;
        key = [m.id, row.first, m.edited_at, m.deleted, m.pending || '', m.reason || '', m.pending && connected, this.editingId === m.id, this.expanded.has(m.id), m.body, me && me.username,
          rx && this.editingId !== m.id ? rx.key(m) : ''].join('|'); // an edit box under way stays (its chips catch up after)
      }
      if (row.kind === 'msg' && row.msg.id === unreadFrom) nodes.push(this.reuse(next, 'unread', () => h('li', { class: 'unread-divider', id: 'unread-divider' }, h('span', { text: 'New since you left' }))));
      nodes.push(this.reuse(next, key, () => (row.kind === 'day' ? dayRow(row) : this.messageRow(row, me, connected, rx))));
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

  /** Moves the tab stop to the newest row and focuses it (the skip target from the composer). */
  focusNewest() {
    const rows = this.rows();
    if (!rows.length) return false;
    this.selectedId = keyId(rows[rows.length - 1].dataset.id);
    this.applyRoving();
    rows[rows.length - 1].focus();
    return true;
  }

  messageRow({ msg, first }, me, connected, rx) {
    const mine = me && msg.author && msg.author.id === me.id;
    const cls = ['msg'];
    if (first) cls.push('first');
    if (msg.pending) cls.push(msg.pending === 'failed' ? 'failed' : 'pending');
    if (msg.deleted) cls.push('deleted');
    if (mine) cls.push('mine');
    const name = msg.author ? msg.author.username : '?';
    const li = h('li', { class: cls.join(' '), tabindex: '-1', dataset: { id: String(msg.id), seq: msg.seq !== undefined ? String(msg.seq) : '' } });
    const time = h('time', { datetime: msg.created_at, title: fullTimestamp(msg.created_at), text: formatTime(msg.created_at) });
    if (first) {
      li.append(h('span', { class: `avatar hue-${avatarHue(msg.author ? msg.author.id : 0)}`, 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }));
      li.append(h('div', { class: 'msg-head' }, h('strong', { class: 'author', text: name }), time));
    } else {
      time.className = 'side-time';
      li.append(time);
    }
    const content = h('div', { class: 'msg-content' });
    if (msg.deleted) {
      content.append(h('p', { class: 'tombstone', text: 'message deleted' }));
    } else {
      if (this.editingId === msg.id) content.append(this.editForm(msg));
      else if (msg.body || !msg.attachments.length) content.append(...this.body(msg, me)); // files alone: no empty body
      const files = this.handlers.renderFiles(msg.attachments);
      if (files) content.append(files);
      const chips = rx && rx.chips(msg);
      if (chips) content.append(chips);
    }
    if (msg.pending === 'pending') content.append(h('span', { class: 'status', text: connected ? 'Sending…' : 'Waiting for the connection: it is sent when it is back' }));
    if (msg.pending === 'failed') {
      content.append(h('span', { class: 'status error' }, `Not sent: ${msg.reason} `,
        h('button', { type: 'button', class: 'link-btn retry', onclick: () => this.handlers.onRetry(msg.client_id) }, 'Retry'), ' · ',
        h('button', { type: 'button', class: 'link-btn discard', onclick: () => this.handlers.onDiscard(msg.client_id) }, 'Discard')));
    }
    li.append(content);
    const own = mine && !msg.deleted && !msg.pending && this.editingId !== msg.id;
    const react = rx && this.editingId !== msg.id && rx.addButton(msg);
    if (own || react) {
      li.append(h('div', { class: 'msg-actions' },
        own && h('button', { type: 'button', class: 'act edit', 'aria-label': 'Edit message', title: 'Edit', dataset: { focus: 'edit' }, onclick: () => this.handlers.onEdit(msg) }, 'Edit'),
        own && h('button', { type: 'button', class: 'act delete', 'aria-label': 'Delete message', title: 'Delete', dataset: { focus: 'delete' }, onclick: (e) => this.armDelete(e.currentTarget, msg) }, 'Delete'),
        react));
    }
    return li;
  }

  /** The rendered body, collapsed behind "Show more" when long. */
  body(msg, me) {
    const body = h('div', { class: 'msg-body', id: `body-${msg.id}` }, renderBody(msg.body, me && me.username));
    if (msg.edited_at) {
      const last = body.lastElementChild && body.lastElementChild.tagName === 'P' ? body.lastElementChild : body;
      last.append(h('span', { class: 'edited', title: 'Edited ' + fullTimestamp(msg.edited_at), text: '(edited)' }));
    }
    if (!isLong(msg.body)) return [body];
    const open = this.expanded.has(msg.id);
    if (!open) body.classList.add('collapsed');
    return [body, h('button', {
      type: 'button', class: 'link-btn more', 'aria-expanded': String(open), 'aria-controls': body.id,
      onclick: () => { if (open) this.expanded.delete(msg.id); else this.expanded.add(msg.id); this.handlers.onToggle(); },
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
    this.handlers.onDelete(msg);
  }

  /** The edit box; saving it empty asks whether to delete the message or restore its text (a message with files just loses its text). */
  editForm(msg) {
    const ta = h('textarea', { class: 'edit-input', rows: '2', 'aria-label': 'Edit message' });
    ta.value = msg.body;
    const restore = () => { emptied.hidden = true; ta.value = msg.body; ta.focus(); };
    const emptied = h('p', { class: 'edit-empty', role: 'alert', hidden: true }, 'The message is empty. ',
      h('button', { type: 'button', class: 'btn subtle danger edit-delete', onclick: () => this.handlers.onDelete(msg) }, 'Delete message'), ' ',
      h('button', { type: 'button', class: 'btn subtle edit-restore', onclick: restore }, 'Restore text'));
    const save = () => {
      const v = ta.value.trim();
      if (v || msg.attachments.length) { this.handlers.onSaveEdit(msg, v); return; }
      emptied.hidden = false;
      emptied.querySelector('.edit-restore').focus();
    };
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.handlers.onCancelEdit(); }
    });
    const form = h('form', { class: 'edit-form', onsubmit: (e) => { e.preventDefault(); save(); } }, ta, emptied,
      h('div', { class: 'edit-actions' },
        h('button', { type: 'button', class: 'btn subtle', onclick: () => this.handlers.onCancelEdit() }, 'Cancel'),
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
