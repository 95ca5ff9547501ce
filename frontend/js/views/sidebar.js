// Sidebar: my rooms and direct messages with unread badges (and an "@" one for mentions of me),
// "Invite people" for server admins, the connection state (its badge, and the banner over the
// timeline while it is down: the sidebar is a drawer on a phone), and the drawer it becomes on
// narrow screens. (The title's count is views/attention.js's.)
import { $, h, setChildren } from './dom.js';
import { connectionLabel, bannerText, displayName } from '../format.js';
import { isGroup } from '../store.js';

export function renderSidebar(store, { onOpen }) {
  const item = (room) => {
    const unread = room.unread_count || 0;
    const mentions = room.mention_count || 0;
    const active = room.id === store.activeRoomId;
    const title = store.roomTitle(room);
    const peer = room.kind === 'direct' ? store.dmPeers.get(room.id) : null;
    const a = h('a', {
      href: `#/rooms/${room.id}`, class: 'room-link' + (unread ? ' unread' : '') + (active ? ' active' : ''),
      'aria-current': active ? 'page' : null, dataset: { roomId: String(room.id) },
      onclick: (e) => { e.preventDefault(); onOpen(room.id); },
    },
    isGroup(room) ? h('span', { class: 'hash', 'aria-hidden': 'true', text: String(room.member_count) })
      : room.kind === 'direct' ? h('span', { class: 'dot' + (peer && store.isOnline(peer.id) ? ' on' : ''), 'aria-hidden': 'true' })
      : h('span', { class: 'hash', 'aria-hidden': 'true', text: room.visibility === 'private' ? '🔒' : '#' }),
    h('span', { class: 'room-label', text: title }),
    mentions ? h('span', { class: 'badge mention-badge', text: mentions > 1 ? `@${mentions}` : '@', 'aria-label': `${mentions} mention${mentions > 1 ? 's' : ''} of you` }) : null,
    unread ? h('span', { class: 'badge', text: unread > 99 ? '99+' : String(unread), 'aria-label': `${unread} unread` }) : null);
    return h('li', {}, a);
  };
  $('invite-section').hidden = !(store.me && store.me.role === 'admin');
  $('me-name').textContent = displayName(store.me);
  const rooms = store.joinedRooms();
  setChildren($('room-list'), rooms.length ? rooms.map(item) : h('li', { class: 'muted side-empty', text: 'No rooms yet' }));
  const dms = store.directRooms();
  setChildren($('dm-list'), dms.length ? dms.map(item) : h('li', { class: 'muted side-empty', text: 'No conversations yet' }));
}

/** The connection badge and banner, with the seconds to the next attempt and a "Retry now" while it waits. */
export function renderConnection(store, now = Date.now()) {
  const el = $('conn');
  const { connection: state, connectionInfo: info } = store;
  el.dataset.state = state;
  el.textContent = connectionLabel(state, info, now);
  const waiting = state === 'reconnecting' && info.retryAt > now + 1000;
  $('btn-reconnect').hidden = !waiting;
  const banner = bannerText(state, info, now);
  $('offline-banner').hidden = !banner;
  $('offline-banner').dataset.state = state;
  $('offline-text').textContent = banner || '';
  $('banner-retry').hidden = !waiting;
}

// ---- the drawer (narrow screens) -------------------------------------------------------------
export function navOpen() { return document.body.classList.contains('nav-open'); }

export function openNav() {
  document.body.classList.add('nav-open');
  $('scrim').hidden = false;
  $('btn-nav').setAttribute('aria-expanded', 'true');
  const first = $('sidebar').querySelector('a,button');
  if (first) first.focus();
}

export function closeNav() {
  if (!navOpen()) return;
  document.body.classList.remove('nav-open');
  $('scrim').hidden = true;
  $('btn-nav').setAttribute('aria-expanded', 'false');
}
