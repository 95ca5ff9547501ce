// The message list: rows grouped by author and day, reconciled by key so unchanged rows (and a
// focused edit box) stay in place.
import { h, syncChildren } from './dom.js';
import { renderBody } from './markdown-dom.js';
import { groupRows, formatTime, fullTimestamp, avatarHue } from '../format.js';

export class MessageList {
  constructor(listEl, handlers) {
    this.el = listEl;
    this.handlers = handlers; // {onEdit(msg), onSaveEdit(msg, body), onCancelEdit(), onDelete(msg), onRetry(clientId), onDiscard(clientId)}
    this.cache = new Map();
    this.editingId = null;
  }

  render(messages, me) {
    const rows = groupRows(messages);
    const nodes = [];
    const next = new Map();
    for (const row of rows) {
      let key;
      if (row.kind === 'day') key = row.key + '|' + row.label;
      else {
        const m = row.msg;
        key = [m.id, row.first, m.edited_at, m.deleted, m.pending || '', this.editingId === m.id, m.body, me && me.username].join('|');
      }
      let node = this.cache.get(key) || next.get(key);
      if (!node) node = row.kind === 'day' ? this.dayRow(row) : this.messageRow(row, me);
      next.set(key, node);
      nodes.push(node);
    }
    this.cache = next;
    syncChildren(this.el, nodes);
  }

  dayRow(row) {
    return h('li', { class: 'day', role: 'separator' }, h('span', { text: row.label }));
  }

  messageRow({ msg, first }, me) {
    const mine = me && msg.author && msg.author.id === me.id;
    const cls = ['msg'];
    if (first) cls.push('first');
    if (msg.pending) cls.push(msg.pending === 'failed' ? 'failed' : 'pending');
    if (msg.deleted) cls.push('deleted');
    if (mine) cls.push('mine');
    const li = h('li', { class: cls.join(' '), dataset: { id: String(msg.id), seq: msg.seq !== undefined ? String(msg.seq) : '' } });
    const time = h('time', { datetime: msg.created_at, title: fullTimestamp(msg.created_at), text: formatTime(msg.created_at) });
    if (first) {
      const name = msg.author ? msg.author.username : '?';
      li.append(h('span', { class: `avatar hue-${avatarHue(msg.author ? msg.author.id : 0)}`, 'aria-hidden': 'true', text: name.slice(0, 1).toUpperCase() }));
      li.append(h('div', { class: 'msg-head' }, h('strong', { class: 'author', text: name }), time));
    } else {
      time.className = 'side-time';
      li.append(time);
    }
    const content = h('div', { class: 'msg-content' });
    if (msg.deleted) {
      content.append(h('p', { class: 'tombstone', text: 'message deleted' }));
    } else if (this.editingId === msg.id) {
      content.append(this.editForm(msg));
    } else {
      const body = h('div', { class: 'msg-body' }, renderBody(msg.body, me && me.username));
      if (msg.edited_at) {
        const last = body.lastElementChild && body.lastElementChild.tagName === 'P' ? body.lastElementChild : body;
        last.append(h('span', { class: 'edited', title: 'Edited ' + fullTimestamp(msg.edited_at), text: '(edited)' }));
      }
      content.append(body);
    }
    if (msg.pending === 'pending') content.append(h('span', { class: 'status', text: 'Sending…' }));
    if (msg.pending === 'failed') {
      content.append(h('span', { class: 'status error' }, 'Not sent. ',
        h('button', { type: 'button', class: 'link-btn retry', onclick: () => this.handlers.onRetry(msg.client_id) }, 'Retry'), ' · ',
        h('button', { type: 'button', class: 'link-btn', onclick: () => this.handlers.onDiscard(msg.client_id) }, 'Discard')));
    }
    li.append(content);
    if (mine && !msg.deleted && !msg.pending && this.editingId !== msg.id) {
      li.append(h('div', { class: 'msg-actions' },
        h('button', { type: 'button', class: 'act edit', 'aria-label': 'Edit message', title: 'Edit', onclick: () => this.handlers.onEdit(msg) }, 'Edit'),
        h('button', { type: 'button', class: 'act delete', 'aria-label': 'Delete message', title: 'Delete', onclick: (e) => this.armDelete(e.currentTarget, msg) }, 'Delete')));
    }
    return li;
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

  editForm(msg) {
    const ta = h('textarea', { class: 'edit-input', rows: '2', maxlength: '4000', 'aria-label': 'Edit message' });
    ta.value = msg.body;
    const save = () => { const v = ta.value.trim(); if (v) this.handlers.onSaveEdit(msg, v); };
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); save(); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.handlers.onCancelEdit(); }
    });
    const form = h('form', { class: 'edit-form', onsubmit: (e) => { e.preventDefault(); save(); } }, ta,
      h('div', { class: 'edit-actions' },
        h('button', { type: 'button', class: 'btn subtle', onclick: () => this.handlers.onCancelEdit() }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, 'Save')),
      h('span', { class: 'muted small', text: 'Enter to save · Esc to cancel' }));
    queueMicrotask(() => { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); });
    return form;
  }
}
