// The quick switcher (Ctrl/Cmd+K): rooms (mine, then public ones I have not joined) and people (my
// direct messages, then anyone the user search finds), ranked as typed; Enter opens the choice.
import { $, h, setChildren } from './dom.js';
import { toast } from './notices.js';
import { rankMatches } from '../format.js';
import { isGroup } from '../store.js';

/** store, api, sync; openRoom(roomId). Returns {open()}. */
export function initSwitcher({ store, api, sync, openRoom }) {
  const dlg = $('dlg-switch');
  const input = $('switch-input');
  const listEl = $('switch-list');
  let matches = [];
  let active = 0;
  let people = []; // users the search found for the current text
  let searchTimer = 0; // debounces the user search

  function known() {
    const rooms = [...store.joinedRooms(), ...store.publicRooms().filter((r) => !r.joined)]
      .map((r) => ({ label: r.name, prefix: '#', hint: r.joined ? '' : 'not joined', roomId: r.id }));
    const dms = store.directRooms()
      .map((r) => ({ label: store.roomTitle(r), prefix: '@', hint: 'direct message', roomId: r.id, userId: !isGroup(r) && store.dmPeers.get(r.id)?.id }));
    return [...rooms, ...dms];
  }

  function render() {
    const entries = known();
    for (const u of people) {
      if (u.id !== store.me.id && !entries.some((e) => e.userId === u.id)) entries.push({ label: u.username, prefix: '@', hint: 'new direct message', user: u });
    }
    matches = rankMatches(entries, input.value);
    active = Math.min(active, Math.max(0, matches.length - 1));
    setChildren(listEl, matches.length
      ? matches.map((m, i) => h('li', { role: 'option', id: `switch-opt-${i}`, class: 'switch-opt', 'aria-selected': String(i === active), onclick: () => choose(m) },
        h('span', { class: 'switch-prefix', 'aria-hidden': 'true', text: m.prefix }), h('span', { text: m.label }),
        m.hint ? h('span', { class: 'muted small', text: ` · ${m.hint}` }) : null))
      : h('li', { role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', class: 'muted', text: 'No match' }));
    if (matches.length) input.setAttribute('aria-activedescendant', `switch-opt-${active}`);
    else input.removeAttribute('aria-activedescendant');
  }

  async function choose(m) {
    dlg.close();
    if (m.roomId) { await openRoom(m.roomId); return; }
    try {
      const room = await api.openDm(m.user.id);
      store.setDmPeer(room.id, m.user);
      await sync.addRoom(room);
      await openRoom(room.id);
    } catch (e) { toast(e.detail || e.message); }
  }

  input.addEventListener('keydown', (e) => {
    const step = { ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (step && matches.length) { e.preventDefault(); active = (active + step + matches.length) % matches.length; render(); }
    if (e.key === 'Enter' && matches[active]) { e.preventDefault(); choose(matches[active]); }
  });
  input.addEventListener('input', () => {
    active = 0;
    render();
    clearTimeout(searchTimer);
    const q = input.value.trim().replace(/^@/, '');
    if (!q || q.startsWith('#')) { people = []; return; }
    searchTimer = setTimeout(async () => {
      try { const res = await api.searchUsers(q); if (input.value.trim().replace(/^@/, '') === q) { people = res.users; render(); } } catch { /* rooms still match */ }
    }, 150);
  });

  return {
    open() {
      input.value = '';
      people = [];
      active = 0;
      render();
      dlg.showModal();
      input.focus();
      // Public rooms I have not joined are not in the store until someone asks (the first page).
      api.roomsPage({ joined: false }).then((res) => { for (const r of res.rooms) store.upsertRoom(r); if (dlg.open) render(); }).catch(() => {});
    },
  };
}
