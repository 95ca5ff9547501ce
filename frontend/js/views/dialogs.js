// Two dialogs (markup in index.html): create a room, browse (filter, preview, join) public rooms.
// Loaded the first time one opens (a direct message's dialog is direct-message.js's).
import { $, h, setChildren, fieldError } from './dom.js';
import { showProblem } from './auth.js';
import { memberCount } from '../format.js';

/** store, api, sync; openRoom(roomId). Returns {create(), browse()}: each opens its dialog. */
export function initDialogs({ store, api, sync, openRoom }) {
  const addAndOpen = async (room) => { await sync.addRoom(room); await openRoom(room.id); };

  // ---- create a room -------------------------------------------------------------------------
  const clearCreateErrors = () => { for (const id of ['err-create-name', 'err-create-topic', 'create-error']) fieldError(id); };
  function create() {
    $('form-create').reset();
    clearCreateErrors();
    $('dlg-create').showModal();
    $('create-name').focus();
  }
  $('form-create').addEventListener('submit', async (e) => {
    e.preventDefault();
    clearCreateErrors();
    const name = $('create-name').value.trim();
    if (!name) { fieldError('err-create-name', 'Give the room a name.'); return; }
    const topic = $('create-topic').value.trim();
    const visibility = new FormData($('form-create')).get('visibility') || 'public';
    try {
      const room = await api.createRoom(name, topic || undefined, visibility);
      $('dlg-create').close();
      await addAndOpen(room);
    } catch (err) { showProblem(err, { name: 'err-create-name', topic: 'err-create-topic' }, 'create-error'); }
  });

  // ---- browse public rooms: filter by name or topic, preview without joining, join -------------
  const browseItem = (r) => h('li', { class: 'browse-item' },
    h('div', {}, h('strong', { text: '#' + r.name }), h('span', { class: 'muted small', text: ' · ' + memberCount(r.member_count) }),
      r.topic ? h('p', { class: 'muted small', text: r.topic }) : null),
    h('div', { class: 'browse-actions' },
      r.joined ? null : h('button', { type: 'button', class: 'btn subtle preview', 'aria-label': `Preview #${r.name}`, onclick: async () => { $('dlg-browse').close(); await openRoom(r.id); } }, 'Preview'),
      h('button', { type: 'button', class: 'btn ' + (r.joined ? 'subtle' : 'primary'), 'aria-label': `${r.joined ? 'Open' : 'Join'} #${r.name}`, onclick: async () => {
        try {
          if (!r.joined) await sync.addRoom(await api.joinRoom(r.id));
          $('dlg-browse').close();
          await openRoom(r.id);
        } catch (err) { fieldError('browse-error', err.detail || err.message); }
      } }, r.joined ? 'Open' : 'Join')));
  const renderBrowse = () => {
    const q = $('browse-filter').value.trim().toLowerCase().replace(/^#/, '');
    const all = store.publicRooms();
    const rooms = all.filter((r) => r.name.toLowerCase().includes(q) || (r.topic || '').toLowerCase().includes(q));
    setChildren($('browse-list'), rooms.length ? rooms.map(browseItem)
      : h('li', { class: 'muted', text: all.length ? 'No room matches.' : 'No public rooms yet. Create one!' }));
  };
  $('browse-filter').addEventListener('input', renderBrowse);
  async function browse() {
    fieldError('browse-error');
    $('browse-filter').value = '';
    $('dlg-browse').showModal();
    $('browse-filter').focus();
    // The first page of public rooms I have not joined (the sidebar holds mine).
    try { const res = await api.roomsPage({ joined: false }); for (const r of res.rooms) store.upsertRoom(r); } catch (e) { fieldError('browse-error', e.detail || e.message); }
    renderBrowse();
  }

  return { create, browse };
}
