// A room's notifications (the header's bell): All, Mentions or None as a radio group showing the
// room's `notify`, sent at once (PUT /rooms/{id}/notifications; a refusal puts the old one back
// and says why) and kept in step with my other tabs (`notification_level` events); and the
// browser's permission to show notifications, asked for only from a click here: its button, or
// the first change of a level. Loaded the first time it opens.
import { $, h, fieldError } from './dom.js';
import { levelOf } from '../attention.js';

const LEVELS = [
  ['all', 'All messages'],
  ['mentions', 'Only mentions of me and @room'],
  ['none', 'Nothing'],
];

/** store, api. Returns {open(roomId, opener)}. */
export function initNotifySettings({ store, api }) {
  const radios = LEVELS.map(([value]) => h('input', { type: 'radio', name: 'notify-level', value, id: `notify-${value}` }));
  const allow = h('button', { type: 'button', class: 'btn subtle', id: 'notify-allow', hidden: true, onclick: () => ask() }, 'Allow desktop notifications');
  const browserNote = h('p', { class: 'muted small', id: 'notify-browser' });
  const saved = h('p', { class: 'form-ok', id: 'notify-ok', role: 'status' });
  const dlg = h('dialog', { id: 'dlg-notify', 'aria-labelledby': 'notify-title' },
    h('div', { class: 'form' },
      h('h2', { id: 'notify-title', text: 'Notifications' }),
      h('fieldset', { class: 'radio-row' }, h('legend', { id: 'notify-legend' }),
        LEVELS.map(([, label], i) => h('label', { for: radios[i].id }, radios[i], ` ${label}`))),
      h('p', { class: 'form-error', id: 'notify-error', role: 'alert', hidden: true }),
      saved, browserNote, allow,
      h('p', { class: 'muted small', id: 'notify-push', text: 'To hear of messages while Confab is closed, turn on "Notify me on this device" in Settings.' }),
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn subtle', 'data-close': true }, 'Close'))));
  document.body.append(dlg);
  dlg.addEventListener('click', (e) => { if (e.target.closest('[data-close]') || e.target === dlg) dlg.close(); });
  dlg.addEventListener('close', () => { if (opener && opener.isConnected) opener.focus(); opener = null; });

  let roomId = null; // the room shown
  let opener = null; // the focus goes back there
  let asked = false; // the permission was asked for from here

  const supported = () => 'Notification' in window;

  /** The room's level checked (unless the person is choosing one just now), the browser's permission said. */
  function render() {
    const room = store.rooms.get(roomId);
    if (!room) { dlg.close(); return; }
    $('notify-legend').textContent = `Notify me about ${room.kind === 'direct' ? 'this conversation' : '#' + room.name}`;
    const level = levelOf(room);
    for (const r of radios) r.checked = r.value === level;
    const permission = supported() ? Notification.permission : 'unsupported';
    browserNote.textContent = {
      granted: 'Desktop notifications show while Confab is in the background.',
      denied: 'Desktop notifications are blocked in this browser\'s site settings.',
      default: 'Desktop notifications are off in this browser.',
      unsupported: 'This browser cannot show desktop notifications.',
    }[permission];
    allow.hidden = permission !== 'default';
  }

  /** Asks the browser (from a click) whether notifications may show. */
  async function ask() {
    asked = true;
    if (!supported() || Notification.permission !== 'default') return;
    try { await Notification.requestPermission(); } catch { /* an older browser: a callback only */ }
    if (dlg.open) {
      render();
      if (allow.hidden && document.activeElement === document.body) radios.find((r) => r.checked).focus();
    }
  }

  async function choose(level) {
    const id = roomId;
    const before = levelOf(store.rooms.get(id));
    fieldError('notify-error');
    saved.textContent = '';
    if (!asked) ask(); // the first change of a level is a good moment: the person is thinking about it
    store.setNotify(id, level);
    try {
      await api.setNotify(id, level);
      if (roomId === id) saved.textContent = 'Saved.';
    } catch (e) {
      store.setNotify(id, before);
      if (roomId === id) fieldError('notify-error', `Not saved: ${e.detail || e.message}`);
    }
  }

  for (const r of radios) r.addEventListener('change', () => { if (r.checked) choose(r.value); });
  store.subscribe((what) => { if (dlg.open && (what === 'rooms' || what === 'reset')) render(); });

  return {
    open(id, from) {
      roomId = id;
      opener = from;
      fieldError('notify-error');
      saved.textContent = '';
      render();
      dlg.showModal();
      radios.find((r) => r.checked).focus();
    },
  };
}
