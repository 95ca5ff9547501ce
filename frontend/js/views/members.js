// The members panel: live online dots, avatars (over their initials: `avatars`, avatars.js's),
// names (a display name with the @username after it) and status lines. Loaded with the session.
import { $, h, setChildren } from './dom.js';
import { avatarHue, displayName, initials } from '../format.js';

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };

export function renderMembers(store, roomId, avatars) {
  const list = store.members.get(roomId) || [];
  const sorted = [...list].sort((a, b) => Number(store.isOnline(b.user.id)) - Number(store.isOnline(a.user.id))
    || (ROLE_ORDER[a.role] ?? 3) - (ROLE_ORDER[b.role] ?? 3) || displayName(a.user).localeCompare(displayName(b.user)));
  setChildren($('member-list'), sorted.map(({ user: u, role }) => {
    const on = store.isOnline(u.id);
    const face = h('span', { class: `avatar mini hue-${avatarHue(u.id)}`, 'aria-hidden': 'true', text: initials(u) });
    if (avatars) avatars.fill(face, u);
    return h('li', { class: 'member', dataset: { userId: String(u.id) } },
      h('span', { class: 'dot' + (on ? ' on' : ''), role: 'img', 'aria-label': on ? 'online' : 'offline' }), face,
      h('span', { class: 'member-main' }, h('span', { class: 'member-name', text: displayName(u) }),
        u.display_name ? h('span', { class: 'member-user', text: ` @${u.username}` }) : null,
        u.bot ? h('span', { class: 'role bot-tag', text: 'bot' }) : null,
        u.status ? h('span', { class: 'member-status', text: u.status }) : null),
      role && role !== 'member' ? h('span', { class: 'role', text: role }) : null);
  }));
}
