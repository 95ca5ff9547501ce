// The "new direct message" dialog (markup in index.html): search people by name; "Message" opens
// the direct room with one of them at once, "Add" gathers up to 8 for a group (shown as chips
// that Remove takes out), and "Start conversation" opens the one direct room of exactly those
// people (POST /dms with user_ids: made the first time, the same room after). Enter in the name
// box picks the first person found (or starts the group when the box is empty). Loaded the first
// time it opens.
import { $, h, setChildren, fieldError } from './dom.js';
import { displayName } from '../format.js';

/** At most this many other people in a direct room. */
export const MAX_OTHERS = 8;

/** store, api, sync; openRoom(roomId). Returns {open()}. */
export function initDirectMessage({ store, api, sync, openRoom }) {
  const dlg = $('dlg-dm');
  const query = $('dm-query');
  const results = $('dm-results');
  const chips = h('ul', { class: 'chips dm-picked', 'aria-label': 'People in the conversation', hidden: true });
  const start = h('button', { type: 'button', class: 'btn primary', id: 'dm-start', hidden: true, onclick: () => startGroup() }, 'Start conversation');
  query.after(chips);
  $('dm-help').textContent = 'Type the start of a name: Message writes to that person; Add gathers up to 8 people for a group.';
  dlg.querySelector('.dialog-actions').append(start);
  let picked = []; // users gathered for a group, in the order added
  let found = []; // users the search found for the text
  let timer = 0; // debounces the user search while typing

  async function openWith(ids, peer) {
    try {
      const room = await api.openDm(peer ? peer.id : ids);
      if (peer) store.setDmPeer(room.id, peer);
      dlg.close();
      await sync.addRoom(room);
      await openRoom(room.id);
    } catch (err) { fieldError('dm-error', err.detail || err.message); }
  }
  const startGroup = () => { if (picked.length) openWith(picked.map((u) => u.id), picked.length === 1 ? picked[0] : null); };

  function add(u) {
    if (picked.length >= MAX_OTHERS) { fieldError('dm-error', `A conversation can have at most ${MAX_OTHERS} other people.`); return; }
    picked.push(u);
    render();
    query.focus();
  }
  function remove(u) {
    picked = picked.filter((p) => p.id !== u.id);
    fieldError('dm-error');
    render();
    query.focus();
  }

  function render() {
    const full = picked.length >= MAX_OTHERS;
    chips.hidden = !picked.length;
    setChildren(chips, picked.map((u) => h('li', { class: 'chip' }, h('span', { text: u.username }),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${u.username}`, title: 'Remove', onclick: () => remove(u) }, '×'))));
    start.hidden = !picked.length;
    start.textContent = picked.length > 1 ? `Start conversation (${picked.length + 1} people)` : 'Start conversation';
    const users = found.filter((u) => !picked.some((p) => p.id === u.id));
    if (!query.value.trim()) { results.replaceChildren(); return; }
    setChildren(results, users.length ? users.map((u) => h('li', { class: 'browse-item' },
      h('span', {}, h('span', { class: 'dot' + (store.isOnline(u.id) ? ' on' : ''), 'aria-hidden': 'true' }), ' ', h('strong', { text: displayName(u) }), u.display_name ? h('span', { class: 'muted small', text: ` @${u.username}` }) : null),
      h('span', { class: 'browse-actions' },
        h('button', { type: 'button', class: 'btn subtle dm-add', 'aria-label': `Add ${u.username} to a group`, 'aria-disabled': full ? 'true' : null, onclick: () => add(u) }, 'Add'),
        picked.length ? null : h('button', { type: 'button', class: 'btn primary', 'aria-label': `Message ${u.username}`, onclick: () => openWith(null, u) }, 'Message'))))
      : h('li', { class: 'muted', text: found.length ? 'Everyone found is added.' : 'Nobody by that name.' }));
  }

  $('form-dm').addEventListener('submit', (e) => {
    e.preventDefault();
    const first = results.querySelector(picked.length ? '.dm-add' : 'button:not(.dm-add)');
    if (first) first.click();
    else if (!query.value.trim()) startGroup();
  });
  query.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = query.value.trim();
      fieldError('dm-error');
      if (!q) { found = []; render(); return; }
      try {
        const res = await api.searchUsers(q);
        if (query.value.trim() !== q) return;
        found = res.users.filter((u) => u.id !== store.me.id);
        render();
      } catch (err) { fieldError('dm-error', err.detail || err.message); }
    }, 200);
  });

  return {
    open() {
      query.value = '';
      picked = [];
      found = [];
      render();
      fieldError('dm-error');
      dlg.showModal();
      query.focus();
    },
  };
}
