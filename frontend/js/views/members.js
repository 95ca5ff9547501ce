// The members panel with live online dots.
import { $, h, setChildren } from './dom.js';

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };

export function renderMembers(store, roomId) {
  const list = store.members.get(roomId) || [];
  const sorted = [...list].sort((a, b) => Number(store.isOnline(b.user.id)) - Number(store.isOnline(a.user.id))
    || (ROLE_ORDER[a.role] ?? 3) - (ROLE_ORDER[b.role] ?? 3) || a.user.username.localeCompare(b.user.username));
  setChildren($('member-list'), sorted.map((m) => {
    const on = store.isOnline(m.user.id);
    return h('li', { class: 'member', dataset: { userId: String(m.user.id) } },
      h('span', { class: 'dot' + (on ? ' on' : ''), role: 'img', 'aria-label': on ? 'online' : 'offline' }),
      h('span', { class: 'member-name', text: m.user.username }),
      m.role && m.role !== 'member' ? h('span', { class: 'role', text: m.role }) : null);
  }));
}
